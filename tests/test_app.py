"""The Streamlit page, driven by streamlit.testing (no browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    monkeypatch.setenv("QA_DOCS", str(docs))
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "index"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_question_shows_quote_and_citation(app):
    app.text_input[0].input("What did inspectors say about Rotherham supervision?").run()
    assert not app.exception
    shown = " ".join(t.value for t in app.text)
    assert "beginning to deliver more regular supervision" in shown
    assert any("Community Care" in c.value and "para." in c.value for c in app.caption)


def test_unanswerable_question_says_so(app):
    app.text_input[0].input("What did inspectors say about supervision in Leeds?").run()
    assert any("no documents about Leeds" in i.value for i in app.info)


def test_empty_question_is_a_warning_not_a_crash(app):
    app.text_input[0].input("   ").run()
    assert not app.exception
