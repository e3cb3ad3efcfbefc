"""Where a span of a PDF's stored text stands on its pages: the boxes a page
view highlights.

The stored text remembers, for each run of characters copied from a page,
the page and PDFium's index of its first character (Document.layout). A span
of the stored text is therefore a set of character ranges on pages; PDFium's
text page turns each range into the rectangles of its lines
(FPDFText_CountRects / GetRect), the boxes a reader sees as the quote.

Boxes are computed once, at build time, for every sentence (quotes are whole
sentences) and every item of a report's record, so that showing a page costs
one render. They are in PDF points with the origin at the page's top left and
y downwards: the coordinates of the page rendered at 72 dpi.
"""
from __future__ import annotations

import ctypes
from collections.abc import Sequence

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from qa.records import LayoutColumn

# A box goes on along its line across a gap this many times the line's height
# (a wide word space); further away, the text is in another column.
MAX_WORD_GAP = 1.5
# PageToDevice works in whole device pixels: mapping onto a page this many
# times larger keeps a hundredth of a point.
_PRECISION = 100


def span_boxes(
    data: bytes, layout: np.ndarray, spans: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes of each span of the stored text.

    Returns (rows, rects): rows int32 (span start, span end, 0-based page),
    rects float32 (x0, y0, x1, y1), one row per line of each span, spans in
    the order given. Spans outside the layout (text PDFium did not give, such
    as a footnote marker left out) get no rows.
    """
    found: list[tuple[int, int, float, float, float, float]] = []  # (span index, page, x0, y0, x1, y1)
    if layout is None or not len(layout) or not spans:
        return np.zeros((0, 3), np.int32), np.zeros((0, 4), np.float32)
    offsets = layout[:, LayoutColumn.OFFSET]
    ends = offsets + layout[:, LayoutColumn.LENGTH]
    wanted = _ranges_by_page(layout, offsets, ends, spans)
    pdf = pdfium.PdfDocument(data)
    try:
        for page_number in sorted(wanted):
            page = pdf[page_number]
            textpage = page.get_textpage()
            to_top_left = _page_mapping(page)
            boxes: dict[int, list[tuple[float, float, float, float]]] = {}  # by span
            for span_index, char, count in wanted[page_number]:
                for i in range(textpage.count_rects(char, count)):
                    left, bottom, right, top = textpage.get_rect(i)
                    x0, y0 = to_top_left(left, top)
                    x1, y1 = to_top_left(right, bottom)
                    boxes.setdefault(span_index, []).append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            for span_index, span_boxes_on_page in boxes.items():
                found += [(span_index, page_number, *box) for box in _lines(span_boxes_on_page)]
            textpage.close()
            page.close()
    finally:
        pdf.close()
    found.sort(key=lambda f: f[0])  # spans in order; each span's boxes stay in text order (a stable sort)
    return (
        np.array([(*spans[f[0]], f[1]) for f in found], dtype=np.int32).reshape(-1, 3),
        np.array([f[2:] for f in found], dtype=np.float32).reshape(-1, 4),
    )


def _lines(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """PDFium's rectangles, in text order, joined into one per line: it cuts a
    line wherever the font or the text object changes (a bold word, a link).
    A rectangle joins the one before it only when it goes on along the same
    line; a table row's cells stay boxes of their own, in the order they are
    read (a label over two lines, then its grade in the next column)."""
    lines: list[list[float]] = []
    for x0, y0, x1, y1 in boxes:
        if lines:
            last = lines[-1]
            overlap = min(y1, last[3]) - max(y0, last[1])
            height = max(y1 - y0, last[3] - last[1])
            same_line = overlap > 0.5 * min(y1 - y0, last[3] - last[1])
            if same_line and last[0] - 1 <= x0 <= last[2] + MAX_WORD_GAP * height:
                last[:] = [min(x0, last[0]), min(y0, last[1]), max(x1, last[2]), max(y1, last[3])]
                continue
        lines.append([x0, y0, x1, y1])
    return [tuple(line) for line in lines]


def _ranges_by_page(
    layout: np.ndarray, offsets: np.ndarray, ends: np.ndarray, spans: Sequence[tuple[int, int]]
) -> dict[int, list[tuple[int, int, int]]]:
    """For each page, the (span index, first PDFium character, count) ranges the spans cover."""
    wanted: dict[int, list[tuple[int, int, int]]] = {}
    for span_index, (start, end) in enumerate(spans):
        first = int(np.searchsorted(ends, start, side="right"))
        for row in range(first, len(layout)):
            if offsets[row] >= end:
                break
            a, b = max(start, int(offsets[row])), min(end, int(ends[row]))
            if b <= a:
                continue
            page = int(layout[row, LayoutColumn.PAGE])
            char = int(layout[row, LayoutColumn.CHAR_INDEX]) + a - int(offsets[row])
            ranges = wanted.setdefault(page, [])
            if ranges and ranges[-1][0] == span_index and ranges[-1][1] + ranges[-1][2] == char:
                ranges[-1] = (span_index, ranges[-1][1], ranges[-1][2] + b - a)
            else:
                ranges.append((span_index, char, b - a))
    return wanted


def _page_mapping(page: pdfium.PdfPage):
    """A function from PDF page space to top-left points on the page as
    rendered (crop box, rotation and all), by PDFium's own mapping."""
    width, height = page.get_size()
    rotation = page.get_rotation() // 90
    size_x, size_y = round(width * _PRECISION), round(height * _PRECISION)
    dx, dy = ctypes.c_int(), ctypes.c_int()

    def to_top_left(x: float, y: float) -> tuple[float, float]:
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, size_x, size_y, rotation, x, y, dx, dy)
        return dx.value / _PRECISION, dy.value / _PRECISION

    return to_top_left
