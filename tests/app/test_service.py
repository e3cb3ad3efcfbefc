"""Uploads, exports and the shared service, with the fake embedder."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from qa.answer.export import quote_rows, to_csv, to_json, to_markdown
from qa.answer.present import escape_markdown, paragraph_around
from qa.app.service import Chat, Service
from qa.app.uploads import MAX_UPLOAD_BYTES, safe_file_name, save_upload
from qa.ingest.load import MAX_TEXT_FILE_BYTES


@pytest.fixture
def service(seed_docs, tmp_path, fake_embedder):
    return Service(tmp_path / "index", seed_docs, embedder=fake_embedder)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("a\x00b\u202e.txt", "ab.txt"),
        ("<script>.html", "_script_.html"),
        ("", "upload"),
    ],
)
def test_upload_names_cannot_escape_the_folder(name, expected):
    assert safe_file_name(name) == expected


def test_uploads_are_indexed_and_bad_ones_rejected_with_reason(service):
    good = b"Fostering in Torbay\n\nInspectors found that fostering panels in Torbay were timely.\n"
    report, rejected = service.add_files([
        ("../torbay.txt", good), ("virus.exe", b"MZ..."), ("empty.txt", b""), ("bin.txt", bytes(range(256)) * 4),
        ("big.txt", b"x" * (MAX_UPLOAD_BYTES + 1)), ("long.html", b"<p>x</p>" * (MAX_TEXT_FILE_BYTES // 8 + 1)),
        ("long.txt", b"word " * (MAX_TEXT_FILE_BYTES // 5 + 1)),
    ])
    reasons = dict(rejected)
    assert "not accepted" in reasons["virus.exe"] and "empty" in reasons["empty.txt"]
    assert "binary" in reasons["bin.txt"] and "limit" in reasons["big.txt"]
    assert "10 MB limit for a web page" in reasons["long.html"]  # the build's limit, applied at upload
    assert "10 MB limit for one text file" in reasons["long.txt"]
    assert report and report.embedded == ["uploads/torbay.txt"]
    assert (service.docs_dir / "uploads" / "torbay.txt").is_file()
    assert not (service.docs_dir / "uploads" / "bin.txt").exists()  # rejected files do not stay
    chat = Chat()
    turn = service.ask(chat, "fostering panels in Torbay")
    assert turn.answer.answered and "Torbay" in turn.answer.citations[0].quote


def test_a_build_published_by_another_process_is_served_next(service, seed_docs, fake_embedder):
    from qa.index.build import build_index
    from qa.index.store import current_build

    before = service.retriever.index.folder
    (seed_docs / "torbay.txt").write_text(
        "Fostering in Torbay\n\nInspectors found that fostering panels in Torbay were timely.\n", encoding="utf-8")
    build_index([seed_docs], service.index_dir, embedder=fake_embedder)  # as `qa build` would
    turn = service.ask(Chat(), "fostering panels in Torbay")
    assert service.retriever.index.folder == current_build(service.index_dir) != before
    assert turn.answer.answered and "Torbay" in turn.answer.citations[0].quote
    # A damaged newer build is not served: the one in memory stays.
    (seed_docs / "more.txt").write_text("More\n\nAdoption panels met every month in Torbay.\n", encoding="utf-8")
    build_index([seed_docs], service.index_dir, embedder=fake_embedder)
    (current_build(service.index_dir) / "dense.faiss").write_bytes(b"broken")
    serving = service.retriever.index.folder
    assert service.ask(Chat(), "fostering panels in Torbay").answer.answered
    assert service.retriever.index.folder == serving


def test_conversation_turns_are_kept_per_chat(service):
    a, b = Chat(), Chat()
    service.ask(a, "supervision in Rotherham")
    turn = service.ask(a, "And what about Sheffield?")
    assert "Sheffield" in turn.understood and len(a.turns) == 2 and b.turns == []


def test_exports_have_one_row_per_quote(service):
    chat = Chat()
    service.ask(chat, "managers are beginning to deliver more regular supervision in Rotherham")
    service.ask(chat, "supervision in Leeds")
    answers = [t.answer for t in chat.turns]
    assert answers[0].answered and not answers[1].answered
    rows = quote_rows(answers)
    assert len(rows) == len(answers[0].citations) + 1
    parsed = list(csv.DictReader(io.StringIO(to_csv(answers))))
    assert parsed[0]["quote"] == answers[0].citations[0].quote and parsed[0]["start"].isdigit()
    assert json.loads(to_json(answers))[0]["citation"] == answers[0].citations[0].citation
    md = to_markdown(answers)
    assert "## managers are beginning" in md and "[1]" in md and "no documents about Leeds" in md


def test_markdown_escaping_neutralises_markup():
    text = "<script>alert(1)</script> [x](http://e) ![i](http://e/p.png) **b** $x$ # h"
    out = escape_markdown(text)
    assert "<script>" not in out and "](" not in out and "![" not in out and "**" not in out and "$x$" not in out
    assert "http://" not in escape_markdown("go to http://evil.example now").replace("\\", "")
    assert "www." not in escape_markdown("www.evil.example").replace("\\", "")


def test_paragraph_around_a_quote(service):
    doc = service.documents[0]
    block = next(b for b in doc.blocks if b.kind == "body")
    before, quote, after = paragraph_around(doc, block.start, block.start + 10)
    assert before + quote + after == doc.text[block.start : block.end]


def _server_config() -> dict:
    import tomllib

    return tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())


def test_server_upload_limit_matches_the_products():
    assert _server_config()["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES


def test_the_served_app_watches_no_files():
    """Start-up must not depend on what else sits in the checkout (.venv, indexes)."""
    assert _server_config()["server"]["fileWatcherType"] == "none"


@pytest.mark.parametrize("name", ["督" * 100 + ".txt", "a" * 400 + ".txt"])
def test_long_upload_names_are_shortened_and_keep_their_type(tmp_path, name):
    saved = save_upload(tmp_path, name, b"Torbay news\n\nInspectors praised Torbay's fostering panels.\n")
    assert saved.suffix == ".txt" and len(saved.name.encode()) <= 255 and saved.parent == tmp_path


def test_an_upload_never_replaces_a_folder_or_pipe_of_its_name(tmp_path):
    import os

    (tmp_path / "report.txt").mkdir()
    os.mkfifo(tmp_path / "report (2).txt")  # reading it would wait for ever
    saved = save_upload(tmp_path, "report.txt", b"Torbay news\n\nInspectors praised Torbay.\n")
    assert saved.name == "report (3).txt" and saved.is_file()


def test_uploads_work_with_a_relative_documents_folder(seed_docs, tmp_path, fake_embedder, monkeypatch):
    monkeypatch.chdir(seed_docs.parent)  # as `make run` does with QA_DOCS=seeds
    service = Service(Path("index"), Path(seed_docs.name), embedder=fake_embedder)
    report, rejected = service.add_files([("torbay.txt", b"Torbay news\n\nInspectors praised Torbay.\n")])
    assert rejected == [] and report.embedded == ["uploads/torbay.txt"]
