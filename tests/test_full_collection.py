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
