"""A quote shown where it stands: its PDF page rendered, its lines highlighted.

The boxes were found at build time (ingest/pdf_boxes.py) in points from the
page's top left, so drawing them is a scale: one render per page shown.
"""
from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from qa.errors import QAError
from qa.records import PageHighlight

HIGHLIGHT_FILL = (255, 214, 0, 90)  # translucent yellow: the words stay readable under it
HIGHLIGHT_EDGE = (178, 106, 0, 255)  # a dark edge, so the box shows on a yellow page too
PADDING = 1.5  # points around each line's box


def render_highlight(pdf_path: Path, highlight: PageHighlight, *, scale: float = 1.6) -> Image.Image:
    """The highlighted page as an RGB image (`scale` 1 = 72 dpi)."""
    try:
        pdf = pdfium.PdfDocument(pdf_path)
    except (OSError, pdfium.PdfiumError) as e:
        raise QAError(f"Cannot open {pdf_path.name} to show its page ({e}); check the collection folder.") from None
    try:
        if not 1 <= highlight.page <= len(pdf):
            raise QAError(f"{pdf_path.name} has no page {highlight.page}; rebuild the index from this file.")
        page = pdf[highlight.page - 1]
        image = page.render(scale=scale).to_pil().convert("RGBA")
        page.close()
    finally:
        pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in highlight.rects:
        box = [(x0 - PADDING) * scale, (y0 - PADDING) * scale, (x1 + PADDING) * scale, (y1 + PADDING) * scale]
        draw.rectangle(box, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_EDGE, width=max(1, round(scale)))
    return Image.alpha_composite(image, overlay).convert("RGB")

