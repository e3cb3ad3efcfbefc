"""Where a quote sits in its document and how to cite it.

Page and paragraph are derived from offsets, never guessed.
"""

from __future__ import annotations

import bisect
from datetime import date

import numpy as np

from qa.records import Document, LayoutColumn


def page_of(doc: Document, offset: int) -> int | None:
    """1-based page of a text offset: from the layout when the document has
    one (exact, footnotes included), else from where each page begins."""
    if doc.layout is not None and len(doc.layout):
        row = max(0, int(np.searchsorted(doc.layout[:, LayoutColumn.OFFSET], offset, side="right")) - 1)
        return int(doc.layout[row, LayoutColumn.PAGE]) + 1
    if not doc.page_starts:
        return None
    return bisect.bisect_right(doc.page_starts, offset)


def paragraph_of(doc: Document, offset: int) -> int | None:
    """The document's own paragraph number if it has one, else the ordinal of
    the paragraph (title not counted) as a reader would count it."""
    ordinal = 0
    for block in doc.blocks:
        if block.kind == "title":
            continue
        ordinal += 1
        if block.start <= offset < block.end:
            return block.number if block.number is not None else ordinal
    return None


def readable_date(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def citation(doc: Document, start: int) -> str:
    """E.g. 'Community Care, "Quality of council's ...", para. 9 [004_8817.txt]'."""
    parts = [doc.publisher or ("Ofsted" if doc.kind == "report" else None), f"“{doc.title}”"]
    inspection = doc.meta.get("inspection_dates")
    parts.append(inspection or readable_date(doc.date))
    page = page_of(doc, start)
    if page is not None:
        parts.append(f"p. {page}")
    para = paragraph_of(doc, start)
    if para is not None:
        parts.append(f"para. {para}")
    return ", ".join(p for p in parts if p) + f" [{doc.source}]"
