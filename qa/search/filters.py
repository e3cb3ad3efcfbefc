"""Narrowing and preferring documents by their metadata.

Filters (authority, region, year range, grade, document type) exclude
documents; the question's own words (a year, "latest") only prefer them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.errors import QAError
from qa.records import Document

GRADES = ("outstanding", "good", "requires improvement", "inadequate")
KINDS = ("report", "article")


@dataclass(frozen=True, slots=True)
class Filters:
    authorities: tuple[str, ...] = ()  # canonical names (see Gazetteer.resolve)
    regions: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    grades: tuple[str, ...] = ()  # overall effectiveness, lower case
    kinds: tuple[str, ...] = ()  # "report", "article"

    def __post_init__(self) -> None:
        for g in self.grades:
            if g not in GRADES and not g.startswith("requires improvement"):
                raise QAError(f"Unknown grade {g!r}: use one of {', '.join(GRADES)}.")
        for k in self.kinds:
            if k not in KINDS:
                raise QAError(f"Unknown document type {k!r}: use {' or '.join(KINDS)}.")
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise QAError(f"The year range {self.year_from}-{self.year_to} is empty; give the earlier year first.")

    @property
    def active(self) -> bool:
        return bool(self.authorities or self.regions or self.year_from or self.year_to or self.grades or self.kinds)

    def allows(self, doc: Document) -> bool:
        if self.authorities and not set(doc.places) & set(self.authorities):
            return False
        if self.regions and doc.meta.get("region", "").lower() not in {r.lower() for r in self.regions}:
            return False
        year = document_year(doc)
        if (self.year_from or self.year_to) and year is None:
            return False
        if self.year_from and year < self.year_from or self.year_to and year > self.year_to:
            return False
        if self.grades and not _grade_matches(doc.meta.get("overall_effectiveness", ""), self.grades):
            return False
        return not self.kinds or doc.kind in self.kinds


def _grade_matches(grade: str, wanted: tuple[str, ...]) -> bool:
    grade = grade.lower()
    return any(grade == w or (w.startswith("requires improvement") and grade.startswith("requires improvement"))
               for w in wanted)


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def document_years(doc: Document) -> set[int]:
    """Every year an inspection may be named by: its inspection's (the
    manifest's dates, else the dates the report prints, "6 November 2017 to
    30 November 2017") and its publication's. A report published in January
    2018 is "the 2017 inspection" to those who were inspected, and "the 2018
    report" to those who read it."""
    years = {int(v[:4]) for v in (doc.meta.get("inspection_start"), doc.meta.get("inspection_end"), doc.date)
             if v and v[:4].isdigit()}
    return years | {int(y) for y in _YEAR.findall(doc.meta.get("inspection_dates", ""))}


def document_year(doc: Document) -> int | None:
    """The year a document speaks for: its inspection's end, else its date."""
    for value in (doc.meta.get("inspection_end"), doc.date):
        if value and value[:4].isdigit():
            return int(value[:4])
    return None


def document_mask(documents: list[Document], filters: Filters | None) -> np.ndarray | None:
    """Boolean mask of allowed documents, or None when nothing is filtered."""
    if filters is None or not filters.active:
        return None
    return np.array([filters.allows(d) for d in documents], dtype=bool)


def latest_per_authority(documents: list[Document]) -> np.ndarray:
    """True for each document that is the most recent one about its authority."""
    best: dict[str, tuple[str, int]] = {}
    for i, d in enumerate(documents):
        if not d.places:
            continue
        when = d.meta.get("inspection_end") or d.date or ""
        if d.places[0] not in best or when > best[d.places[0]][0]:
            best[d.places[0]] = (when, i)
    mask = np.zeros(len(documents), dtype=bool)
    mask[[i for _, i in best.values()]] = True
    return mask


def recency_of(documents: list[Document]) -> np.ndarray:
    """Per document: 1 for its authority's most recent, 1/2 for the one before, 1/3 ...; 0 without an authority."""
    by_authority: dict[str, list[tuple[str, int]]] = {}
    for i, d in enumerate(documents):
        if d.places:
            by_authority.setdefault(d.places[0], []).append((d.meta.get("inspection_end") or d.date or "", i))
    out = np.zeros(len(documents))
    for docs in by_authority.values():
        for rank, (_, i) in enumerate(sorted(docs, reverse=True)):
            out[i] = 1.0 / (1 + rank)
    return out
