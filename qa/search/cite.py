"""Where a quote sits in its document and how to cite it.

Page and paragraph are derived from offsets, never guessed.
"""

from __future__ import annotations

import bisect
from datetime import date

import numpy as np

from qa.records import Document, LayoutColumn, PageHighlight


def page_of(doc: Document, offset: int) -> int | None:
    """1-based page of a text offset: from the layout when the document has
    one (exact, footnotes included), else from where each page begins."""
    if doc.layout is not None and len(doc.layout):
        row = max(0, int(np.searchsorted(doc.layout[:, LayoutColumn.OFFSET], offset, side="right")) - 1)
        return int(doc.layout[row, LayoutColumn.PAGE]) + 1
    if not doc.page_starts:
        return None
    return bisect.bisect_right(doc.page_starts, offset)


def highlight_of(doc: Document, start: int, end: int) -> tuple[PageHighlight, ...] | None:
    """The boxes of the text between `start` and `end` on its pages, from the
    boxes kept at build time for each sentence and record item inside it;
    None for a document with no pages (text, HTML, Word)."""
    if doc.box_spans is None or doc.box_rects is None:
        return None
    spans = doc.box_spans
    inside = np.flatnonzero((spans[:, 0] >= start) & (spans[:, 1] <= end))
    # A record item and the sentences inside it are both kept: take the
    # longest spans that do not overlap, so that no line is boxed twice.
    chosen: set[tuple[int, int]] = set()
    reached = start
    for a, b in sorted({(int(spans[i, 0]), int(spans[i, 1])) for i in inside}, key=lambda ab: (ab[0], -ab[1])):
        if a >= reached:
            chosen.add((a, b))
            reached = b
    pages: dict[int, list[tuple[float, float, float, float]]] = {}
    for i in inside:
        if (int(spans[i, 0]), int(spans[i, 1])) in chosen:
            pages.setdefault(int(spans[i, 2]) + 1, []).append(tuple(float(v) for v in doc.box_rects[i]))
    return tuple(PageHighlight(page, tuple(rects)) for page, rects in sorted(pages.items()))


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
