"""The whole shared collection (../shared/corpus/ofsted), parsed and indexed.

Slow (a few minutes of PDF parsing): `make test-all` or `pytest -m slow`.
The fake embedder stands in for the model; `python -m qa bench` measures
the real build.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.index.build import build_index
from qa.index.store import load_index

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "ofsted"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_index(tmp_path_factory):
    from tests.conftest import FakeEmbedder

    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the slow suite needs ../shared beside the repository")
    index_dir = tmp_path_factory.mktemp("full")
    report = build_index([SHARED], index_dir, embedder=FakeEmbedder())
    return report, load_index(index_dir)


def test_every_real_report_is_indexed(full_index):
    report, index = full_index
    assert len(report.indexed) >= 440
    assert all("web page" in reason for _, reason in report.skipped), report.skipped


def test_reports_have_pages_paragraphs_metadata_and_no_furniture(full_index):
    _, index = full_index
    checks = {
        "pages": lambda d: len(d.page_starts) >= 5 and list(d.page_starts) == sorted(d.page_starts),
        "authority and region": lambda d: bool(d.places and d.meta.get("region")),
        "link and inspection dates": lambda d: bool(d.link and d.meta.get("inspection_dates")),
        "numbered paragraphs": lambda d: sum(b.number is not None for b in d.blocks) >= 5,
    }
    for name, ok in checks.items():
        failing = [d.source for d in index.documents if not ok(d)]
        # A few old reports have another layout; the collection as a whole must hold.
        assert len(failing) <= 0.03 * len(index.documents), (name, failing)
    # quotable sentences never carry a running header or a page number line
    for d, s, e, _ in index.sentences[::97]:
        text = index.documents[d].text[s:e]
        assert "\n" not in text and not text.strip().isdigit()


def test_every_overall_grade_the_manifest_gives_is_read_from_the_report(full_index):
    """The record reader finds the words stating the overall grade in each report the manifest grades,
    and they give the manifest's grade (an independent transcription)."""
    from qa.ingest.manifest import MANIFEST_NAME, find_row, metadata_from_row, read_manifest
    from qa.ingest.report_record import normalise_grade

    _, index = full_index
    manifest = read_manifest(SHARED / MANIFEST_NAME)
    checked, wrong = 0, []
    for i, record in index.report_records.items():
        doc = index.documents[i]
        listed = normalise_grade(metadata_from_row(find_row(manifest, doc.source) or {}).get("overall_effectiveness"))
        if listed is None:
            continue
        checked += 1
        overall = record.overall()
        if overall is None or overall.start is None or overall.grade != listed:
            wrong.append((doc.source, listed, overall))
        elif listed.split()[0] not in doc.text[overall.start : overall.end].lower():
            wrong.append((doc.source, listed, doc.text[overall.start : overall.end]))
    assert checked >= 270 and wrong == []


def test_record_items_read_back_under_their_boxes_with_another_parser(full_index):
    """Every judgement line and improvement point of every 10th report, read by pdfplumber."""
    import pdfplumber

    from qa.evaluate.highlight_check import read_back, reads_as_quote
    from qa.search.cite import highlight_of

    _, index = full_index
    checked, failures = 0, []
    for i, record in sorted(index.report_records.items())[::10]:
        doc = index.documents[i]
        spans = [(j.start, j.end) for j in record.judgements if j.start is not None] + list(record.improvements)
        with pdfplumber.open(SHARED / doc.source) as pdf:
            for start, end in spans:
                read = read_back(pdf, highlight_of(doc, start, end) or ())
                checked += 1
                if not reads_as_quote(read, doc.text[start:end],
                                      had_markers=any(start <= o <= end for o, _ in doc.markers)):
                    failures.append((doc.source, doc.text[start:end][:80], read[:80]))
    assert checked > 300
    assert len(failures) <= 0.01 * checked, failures[:5]


def test_every_title_is_read_whole(full_index):
    """Titles run over several lines on older reports ("... care leavers and / Review of the effectiveness
    of the local safeguarding children board"): none may stop at a dangling word or keep a footnote mark."""
    import re

    _, index = full_index
    dangling = re.compile(r"(?:\b(?:and|of|for|the|in|to)|[,;:–-])\s*$", re.I)
    cut = [d.title for d in index.documents if dangling.search(d.title)]
    marked = [d.title for d in index.documents if re.search(r"[a-z]\d+$", d.title)]
    assert cut == [] and marked == []
    birmingham = [d.title for d in index.documents if "80429_birmingham" in d.source and "2014" in d.source]
    assert birmingham and birmingham[0].endswith("Review of the effectiveness of the local safeguarding children board")
