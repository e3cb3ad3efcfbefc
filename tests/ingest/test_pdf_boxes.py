"""A quote's boxes on its page, read back by another PDF parser.

The boxes come from PDFium (qa/ingest/pdf_boxes.py); pdfplumber (pdfminer)
reads the characters inside them. Every sentence of two reports and every
record item (judgement lines, improvement points) of all the sample reports
must read back as the stored text: the words, in their order.
"""
from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from qa.evaluate.highlight_check import read_back, reads_as_quote
from qa.ingest.chunk import sentences_of
from qa.ingest.load import load_document
from qa.ingest.manifest import find_row, read_manifest
from qa.ingest.report_record import ReportRecord
from qa.search.cite import highlight_of
from tests.conftest import SEEDS

REPORTS = sorted((SEEDS / "reports").glob("*/*.pdf"))


def _load(path: Path):
    manifest = read_manifest(SEEDS / "reports" / "manifest.csv")
    row = find_row(manifest, path.relative_to(SEEDS / "reports").as_posix())
    doc, _ = load_document(path, SEEDS / "reports", manifest_row=row)
    return doc


def _failures(doc, path: Path, spans) -> list[tuple[str, str]]:
    failures = []
    with pdfplumber.open(path) as pdf:
        for start, end in spans:
            highlight = highlight_of(doc, start, end)
            quote = doc.text[start:end]
            had_markers = any(start <= o <= end for o, _ in doc.markers)
            read = read_back(pdf, highlight or ())
            if not highlight or not reads_as_quote(read, quote, had_markers=had_markers):
                failures.append((quote[:120], read[:120]))
    return failures


@pytest.mark.parametrize("path", [REPORTS[0], REPORTS[-1]], ids=lambda p: p.parent.name)
def test_every_sentence_reads_back_under_its_boxes(path):
    doc = _load(path)
    spans = [(s.start, s.end) for s in sentences_of(doc, 0)]
    assert len(spans) > 100
    assert _failures(doc, path, spans) == []


def test_every_record_item_reads_back_in_its_order():
    """A judgement row of the ILACS table is a label over two lines and its grade in the next
    column: the boxes are read label first, then grade, as the quote has them."""
    checked = 0
    for path in REPORTS:
        doc = _load(path)
        record = ReportRecord.from_json(doc.record)
        spans = [(j.start, j.end) for j in record.judgements if j.start is not None]
        spans += list(record.improvements)
        checked += len(spans)
        assert _failures(doc, path, spans) == [], path.name
    assert checked > 50


def test_boxes_are_in_points_from_the_top_left_of_the_page():
    doc = _load(REPORTS[0])
    with pdfplumber.open(REPORTS[0]) as pdf:
        width, height = float(pdf.pages[0].width), float(pdf.pages[0].height)
    rects = doc.box_rects
    assert (rects[:, 0] >= 0).all() and (rects[:, 2] <= width).all()
    assert (rects[:, 1] >= 0).all() and (rects[:, 3] <= height).all()
    assert (rects[:, 2] > rects[:, 0]).all() and (rects[:, 3] > rects[:, 1]).all()
    # the first sentence is on page 1
    first = highlight_of(doc, *map(int, doc.box_spans[0, :2]))
    assert first[0].page == 1


def test_text_documents_have_no_boxes():
    doc, _ = load_document(sorted(SEEDS.glob("*.txt"))[0], SEEDS)
    assert doc.box_spans is None and highlight_of(doc, 0, 10) is None
