"""Typed records passed between the stages of the pipeline.

Offsets are always character offsets into `Document.text`, the cleaned full
text a reader sees. Nothing downstream of loading ever changes that text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class SentenceColumn(IntEnum):
    """Columns of the index's sentence table (int64, one row per sentence, in
    document order; a row's number is the sentence id)."""

    DOC = 0  # index into the index's documents
    START = 1  # character offsets into the document's text
    END = 2
    BLOCK = 3  # index into the document's blocks


class ChunkColumn(IntEnum):
    """Columns of the index's chunk table (int64, one row per chunk)."""

    DOC = 0
    START = 1
    END = 2
    FIRST_SENTENCE = 3  # sentence ids, inclusive
    LAST_SENTENCE = 4


class LayoutColumn(IntEnum):
    """Columns of a PDF document's layout (see Document.layout)."""

    OFFSET = 0  # where the run of characters starts in the stored text
    LENGTH = 1
    PAGE = 2  # 0-based
    CHAR_INDEX = 3  # PDFium's index of the run's first character on that page


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-like span of the document text.

    kind: "title", "body" (prose that may be quoted), "heading" (short line
    without sentence punctuation: a heading or caption; context only) or
    "boilerplate" (navigation, datelines, repeated captions: never quoted).
    number: the document's own paragraph number ("12." in a report), if any.
    """

    start: int
    end: int
    kind: str
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a format loader (text, PDF, HTML, DOCX) makes of one file: the
    stored text and what it can tell about it. load.py adds id, hash and places."""

    text: str
    blocks: tuple[Block, ...]
    title: str
    kind: str = "article"
    date: str | None = None
    publisher: str | None = None
    page_starts: tuple[int, ...] = ()
    meta: dict[str, str] = field(default_factory=dict, hash=False)
    layout: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)  # see Document
    markers: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    source: str  # path relative to the --docs folder it came from
    title: str
    text: str
    content_hash: str
    kind: str = "article"  # "article" or "report"
    date: str | None = None  # ISO yyyy-mm-dd
    publisher: str | None = None
    places: tuple[str, ...] = ()  # canonical local authority names, most prominent first
    link: str | None = None
    blocks: tuple[Block, ...] = ()
    page_starts: tuple[int, ...] = ()  # offset where each page begins (reports only)
    meta: dict[str, str] = field(default_factory=dict, hash=False)
    # PDFs: where the stored text came from, one row per run of characters copied
    # from a page: (text offset, length, 0-based page, PDFium character index).
    # Rows are in text order; a footnote placed after a paragraph that crossed
    # the page keeps its own page here.
    layout: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)
    # Footnote markers left out of the text: (offset where the marker stood, marker).
    markers: tuple[tuple[int, str], ...] = ()
    # PDFs: where each sentence (and record item) stands on its page, one row per
    # line: box_spans int32 (span start, span end, 0-based page) and box_rects
    # float32 (x0, y0, x1, y1) in points from the page's top left (ingest/pdf_boxes.py).
    box_spans: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)
    box_rects: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)
    # Reports: kind, dates, judgements and improvement points, each with its
    # span in `text` (ingest/report_record.py: ReportRecord.to_json()).
    record: dict | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class PageHighlight:
    """The boxes of a quote on one page: what the page view draws."""

    page: int  # 1-based
    rects: tuple[tuple[float, float, float, float], ...]  # points, top-left origin, y downwards

    def to_json(self) -> dict:
        return {"page": self.page, "rects": [[round(v, 2) for v in r] for r in self.rects]}


@dataclass(frozen=True, slots=True)
class Sentence:
    doc_index: int
    start: int
    end: int
    block_index: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive sentences of one document: the unit that is ranked."""

    doc_index: int
    start: int
    end: int
    first_sentence: int  # global sentence ids, inclusive
    last_sentence: int


@dataclass(frozen=True, slots=True)
class Passage:
    """A verbatim quote from a document, with everything needed to cite it."""

    rank: int
    score: float
    doc_id: str
    source: str
    title: str
    quote: str
    start: int
    end: int
    page: int | None
    paragraph: int | None
    citation: str
    date: str | None = None
    publisher: str | None = None
    places: tuple[str, ...] = ()
    link: str | None = None
    evidence: float = 0.0  # best question-sentence similarity inside the quote
    # PDFs: the quote's lines on their pages; None for text, HTML and Word documents.
    highlight: tuple[PageHighlight, ...] | None = None
    # A report a later inspection of the same authority superseded: the latest one's publication date.
    superseded_by: str | None = None

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "paragraph": self.paragraph,
            "citation": self.citation,
            "date": self.date,
            "publisher": self.publisher,
            "places": list(self.places),
            "link": self.link,
            "highlight": None if self.highlight is None else [h.to_json() for h in self.highlight],
            "superseded_by": self.superseded_by,
        }


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One row of an answer drawn from reports' records (qa/answer/reports.py):
    a judgement, an improvement point or a finding, always traced to a quote
    (`citation`, the [n] of the answer's citations) or to the manifest row
    that states it (`source` "manifest", shown with it)."""

    row: str  # "judgement", "improvement" or "finding"
    authority: str  # the local authority, as the gazetteer names it
    report_id: str  # doc_id of the report
    report_date: str | None  # ISO date of publication
    report_kind: str  # "full inspection", "short inspection", ...
    area: str  # "overall_effectiveness", "care_leavers", ... ("" for an improvement point)
    label: str  # the area as a reader reads it
    finding: str  # the grade ("inadequate") or, for an improvement or finding, its quote
    quote: str | None  # the words of the report that state it, verbatim
    citation: int | None  # 1-based number of the quote in Answer.citations
    source: str  # "report" (a quote) or "manifest" (the manifest row, no quote in the text)
    region: str | None = None
    change: str | None = None  # "improved", "declined" or "same" against the authority's previous report

    def to_json(self) -> dict:
        return {
            "row": self.row, "authority": self.authority, "region": self.region, "report_id": self.report_id,
            "report_date": self.report_date, "report_kind": self.report_kind, "area": self.area,
            "label": self.label, "finding": self.finding, "quote": self.quote, "citation": self.citation,
            "source": self.source, "change": self.change,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answered: bool
    text: str  # the answer, made only of quotes with [n] markers
    citations: tuple[Passage, ...]
    reason: str = ""  # why the product abstained, when it did
    closest: tuple[Passage, ...] = ()  # shown under "not an answer" when abstaining
    # "answered" (quotes that answer), "related" (passages about it, not an answer)
    # or "none" (nothing in the collection); `answered` is true for the first only.
    verdict: str = "answered"
    # How the question was read where a reader could not tell ("Huddersfield:
    # read as Kirklees, ..."): shown above the answer.
    notes: tuple[str, ...] = ()
    # Answers from reports' records: how to show them ("quotes", the default;
    # "report_card", "table", "timeline" or "comparison") and their rows.
    view: str = "quotes"
    records: tuple[RecordRow, ...] = ()

    def to_json(self) -> dict:
        out = {
            "question": self.question,
            "answered": self.answered,
            "answer": self.text,
            "citations": [p.to_json() for p in self.citations],
            "verdict": self.verdict,
            "reason": self.reason,
            "closest": [p.to_json() for p in self.closest],
            "notes": list(self.notes),
            "view": self.view,
        }
        if self.records:
            out["records"] = [r.to_json() for r in self.records]
        return out
