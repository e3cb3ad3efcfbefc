"""Ofsted PDF reports: text, page map, paragraphs, metadata, bad files.

Uses the real reports shipped in seeds/reports (copies of the shared
collection's files)."""
from __future__ import annotations

import io
import re
import shutil
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from qa.errors import UnsupportedDocument
from qa.index.build import build_index
from qa.index.store import load_index
from qa.ingest.load import load_document
from qa.ingest.manifest import read_manifest
from qa.ingest.pdf import _join, parse_pdf
from qa.search.cite import page_of
from qa.search.filters import Filters
from qa.search.retrieve import Retriever

REPORTS = Path(__file__).resolve().parents[2] / "seeds" / "reports"
PDFS = sorted(REPORTS.rglob("*.pdf"))


def _raw_pages(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@pytest.fixture(scope="module", params=PDFS, ids=lambda p: p.parent.name[:20] + "/" + p.stem[-12:])
def report(request):
    path = request.param
    return path, parse_pdf(path.read_bytes(), path.name)


def test_running_headers_and_page_numbers_are_gone(report):
    path, parsed = report
    raw = _raw_pages(path)
    # the second line of each page's header ("<dates> <page number>") repeats on every page in the raw text
    tops = Counter(re.sub(r"\d+", "#", p.strip().splitlines()[0].strip()) for p in raw[1:] if p.strip())
    header, count = tops.most_common(1)[0]
    assert count >= len(raw) // 2  # the raw text does have furniture
    for block in parsed.blocks:  # no page number left standing alone
        assert not re.fullmatch(r"\s*\d{1,3}\s*", parsed.text[block.start : block.end])
    if re.search(r"[a-z]{4}", header, re.I):  # a running header with words: at most once (the title)
        pattern = re.escape(header).replace("\\#", r"\d+").replace("\\ ", r"\s+")
        assert len(re.findall(pattern, parsed.text)) <= 1, header


def test_body_paragraphs_are_joined_lines(report):
    _, parsed = report
    body = [parsed.text[b.start : b.end] for b in parsed.blocks if b.kind == "body"]
    assert body and all("\n" not in p for p in body)
    assert sum(len(p) for p in body) > 10_000


def test_page_map_puts_sentences_on_their_pages(report):
    path, parsed = report
    raw = [_squash(p) for p in _raw_pages(path)]
    assert len(parsed.page_starts) == len(raw)
    assert list(parsed.page_starts) == sorted(parsed.page_starts)
    body = [b for b in parsed.blocks if b.kind == "body"]
    for block in body[:: max(1, len(body) // 25)]:
        snippet = _squash(parsed.text[block.start : block.start + 40])
        page = page_of(_doc(parsed), block.start)
        assert snippet in raw[page - 1], (page, parsed.text[block.start : block.start + 40])


def test_numbered_paragraphs_are_recorded(report):
    _, parsed = report
    numbers = [b.number for b in parsed.blocks if b.number is not None]
    assert len(numbers) >= 10
    for b in parsed.blocks:
        if b.number is not None:  # the paragraph starts after its number
            assert not re.match(r"\d+\.", parsed.text[b.start : b.end])
    assert sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if b == a + 1) >= len(numbers) // 2


def test_metadata_read_from_the_report_itself(report):
    _, parsed = report
    assert parsed.kind == "report" and parsed.publisher == "Ofsted"
    assert parsed.title.lower().startswith(("inspection of", "isle of wight")) or "inspection" in parsed.title.lower()
    assert re.search(r"(19|20)\d\d", parsed.meta["inspection_dates"])
    assert parsed.date and parsed.date[:2] == "20"


@pytest.mark.parametrize(
    "before,line,vocabulary,expected",
    [
        ("the assess-", "ment was", {"assessment": 2}, "the assess"),
        ("a multi-", "agency team", {}, "a multi-"),
        ("a multi\ufffe", "agency team", {"multi": 1}, "a multi-"),
        ("ended.", "Next", {}, "ended. "),
    ],
)
def test_line_end_hyphens(before, line, vocabulary, expected):
    assert _join(before, line, Counter(vocabulary)) == expected


def _doc(parsed):
    from qa.records import Document

    return Document("d", "d.pdf", parsed.title, parsed.text, "h", parsed.kind, parsed.date, parsed.publisher,
                    (), None, parsed.blocks, parsed.page_starts, parsed.meta)


def test_manifest_metadata_and_citation():
    rows = read_manifest(REPORTS / "manifest.csv")
    path = PDFS[0]
    rel = path.relative_to(REPORTS).as_posix()
    doc, _ = load_document(path, REPORTS, manifest_row=rows[rel])
    assert doc.link and doc.link.startswith("https://")
    assert doc.meta["overall_effectiveness"] in ("outstanding", "good", "requires improvement", "inadequate")
    assert doc.meta["region"] and doc.places and doc.date
    from qa.search.cite import citation

    block = next(b for b in doc.blocks if b.number is not None)
    cite = citation(doc, block.start)
    assert cite.startswith("Ofsted, “Inspection of") and "p. " in cite and f"para. {block.number}" in cite


def _bad_pdfs(folder: Path, good: bytes) -> dict[str, str]:
    """Broken files made here; name -> words the build's reason must contain."""
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    image_only = io.BytesIO()
    blank = pdfium.PdfDocument.new()
    blank.new_page(200, 200)
    blank.save(image_only)
    files = {
        "encrypted.pdf": (encrypted.getvalue(), "encrypted"),
        "truncated.pdf": (good[: len(good) // 3], "damaged"),
        "zero.pdf": (b"", "empty"),
        "image-only.pdf": (image_only.getvalue(), "no text layer"),
        "webpage.pdf": (b"<!DOCTYPE html><html><body>Not found</body></html>", "web page"),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: reason for name, (_, reason) in files.items()}


@pytest.mark.parametrize("name", ["encrypted.pdf", "truncated.pdf", "zero.pdf", "image-only.pdf", "webpage.pdf"])
def test_each_bad_pdf_is_unsupported_with_its_reason(tmp_path, name):
    reasons = _bad_pdfs(tmp_path, PDFS[0].read_bytes())
    with pytest.raises(UnsupportedDocument, match=reasons[name]):
        parse_pdf((tmp_path / name).read_bytes(), name)


def test_bad_pdfs_never_stop_a_build(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(PDFS[0], docs / "good report.pdf")
    reasons = _bad_pdfs(docs, PDFS[0].read_bytes())
    report = build_index([docs], tmp_path / "index", embedder=fake_embedder)
    assert report.indexed == ["good report.pdf"]
    skipped = dict(report.skipped)
    for name, reason in reasons.items():
        assert reason in skipped[name]


@pytest.fixture(scope="module")
def report_retriever(tmp_path_factory):
    from tests.conftest import FakeEmbedder

    index = tmp_path_factory.mktemp("reports-index")
    embedder = FakeEmbedder()
    build_index([REPORTS], index, embedder=embedder)
    return Retriever(load_index(index), embedder)


def test_filters(report_retriever):
    r = report_retriever
    by_source = {d.doc_id: d for d in r.index.documents}
    hits = r.search("supervision of social workers", k=10, filters=Filters(authorities=("Dorset",)))
    assert hits and all(by_source[p.doc_id].places == ("Dorset",) for p in hits)
    hits = r.search("supervision", k=10, filters=Filters(year_from=2025, year_to=2026))
    assert hits and all(by_source[p.doc_id].meta["inspection_end"][:4] in ("2025", "2026") for p in hits)
    hits = r.search("supervision", k=10, filters=Filters(grades=("inadequate",)))
    assert hits and all(by_source[p.doc_id].meta["overall_effectiveness"] == "inadequate" for p in hits)
    hits = r.search("supervision", k=10, filters=Filters(regions=("South West",)))
    assert hits and all(by_source[p.doc_id].meta["region"] == "South West" for p in hits)
    assert r.search("supervision", k=5, filters=Filters(kinds=("article",))) == []


def test_year_and_latest_prefer_the_matching_inspection(report_retriever):
    r = report_retriever
    by_id = {d.doc_id: d for d in r.index.documents}
    top = r.search("Dorset early help 2021", k=1)[0]
    assert by_id[top.doc_id].meta["inspection_end"].startswith("2021")
    top = r.search("latest inspection of Dorset early help", k=1)[0]
    assert by_id[top.doc_id].meta["inspection_end"].startswith("2025")
    top = r.search("What did inspectors say about Bournemouth, Christchurch and Poole?", k=1)[0]
    assert "Bournemouth, Christchurch and Poole" in top.places


def test_incremental_build_with_reports(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    shutil.copytree(REPORTS, docs)
    held = sorted(docs.rglob("*.pdf"))[-1]
    moved = tmp_path / "held.pdf"
    shutil.move(held, moved)
    build_index([docs], tmp_path / "index", embedder=fake_embedder)
    shutil.move(moved, held)
    report = build_index([docs], tmp_path / "index", embedder=fake_embedder)
    assert report.embedded == [held.relative_to(docs).as_posix()]
    assert len(load_index(tmp_path / "index").documents) == len(PDFS)


def test_stock_text_repeated_across_reports_is_never_quoted(report_retriever):
    r = report_retriever
    assert r.index.repeated.any()
    for question in ["reuse this information free of charge under the Open Government Licence",
                     "copy of this document in a different format such as large print or Braille"]:
        for p in r.search(question, k=10):
            assert "Open Government Licence" not in p.quote and "large print" not in p.quote


def test_changed_manifest_row_refreshes_metadata_without_embedding(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    shutil.copytree(REPORTS, docs)
    build_index([docs], tmp_path / "index", embedder=fake_embedder)
    manifest = docs / "manifest.csv"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Sarah Canto", "A. N. Other"), encoding="utf-8")
    report = build_index([docs], tmp_path / "index", embedder=fake_embedder)
    assert not report.up_to_date and report.embedded == []
    inspectors = {d.meta.get("lead_inspector") for d in load_index(tmp_path / "index").documents}
    assert "A. N. Other" in inspectors and "Sarah Canto" not in inspectors
