"""The command-line contract (docs/architecture.md, "The design note"), run as outside scripts run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.index.store import load_index

ROOT = Path(__file__).resolve().parent.parent
PASSAGE_KEYS = {"rank", "score", "doc_id", "source", "title", "quote", "start", "end", "page", "paragraph", "citation"}


def qa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("cli") / "index"
    result = qa("build", "--docs", str(ROOT / "seeds"), "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    seeds = [p for p in (ROOT / "seeds").rglob("*") if p.suffix in (".txt", ".pdf")]
    assert len(report["indexed"]) == len(seeds) and report["skipped"] == []
    return index


def test_search_json_shape(built):
    r = qa(
        "search", "What did inspectors say about Rotherham supervision?", "--index", str(built), "--k", "3", "--json"
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["query"].startswith("What did")
    assert len(out["results"]) == 3
    texts = {d.source: d.text for d in load_index(built).documents}
    for p in out["results"]:
        assert PASSAGE_KEYS <= p.keys()
        assert texts[p["source"]][p["start"] : p["end"]] == p["quote"]


def test_queries_file_gives_one_line_per_id(built, tmp_path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        '{"id": "a", "question": "supervision in Rotherham"}\n{"id": "b", "query": "caseloads"}\n'
        '{"id": "c", "question": "supervision in Leeds"}\n',
        encoding="utf-8",
    )
    r = qa("search", "--queries", str(qfile), "--index", str(built), "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["a", "b", "c"]
    r = qa("ask", "--queries", str(qfile), "--index", str(built), "--json")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["a", "b", "c"]
    assert rows[0]["answered"] is True and rows[0]["citations"]
    assert rows[2]["answered"] is False and rows[2]["citations"] == []
    for row in rows:
        assert {"answered", "answer", "citations"} <= row.keys()


def test_ask_text_output(built):
    r = qa("ask", "What did inspectors say about Rotherham supervision?", "--index", str(built))
    assert r.returncode == 0 and "[1]" in r.stdout and "regular supervision" in r.stdout


def test_eval_compares_the_retrievers_on_a_question_file(built):
    r = qa(
        "eval", "--questions", str(ROOT / "tests" / "data" / "seed_questions.jsonl"), "--index", str(built),
        "--compare", "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["level"] == "passage"
    assert {"dense", "lexical", "hybrid", "fusion only", "rrf", "naive paragraphs"} == out["retrievers"].keys()
    assert out["abstention"]["min_evidence"] > 0
    assert 0 <= out["abstention"]["abstained_when_answerable"] <= 0.2


@pytest.mark.parametrize(
    "args,message",
    [
        (["search", ""], "empty"),
        (["ask", "x" * 10_000], "limit"),
        (["search"], "QUESTION"),
        (["search", "--queries", "/no/such/file.jsonl"], "Cannot read"),
    ],
)
def test_errors_are_messages_not_tracebacks(built, args, message):
    r = qa(*args, "--index", str(built))
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr


def test_missing_index_tells_how_to_build(tmp_path):
    r = qa("search", "supervision", "--index", str(tmp_path / "none"))
    assert r.returncode == 2 and "python -m qa build" in r.stderr and "Traceback" not in r.stderr


def test_bad_documents_do_not_stop_a_build(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("A title\n\nSupervision in Rotherham was weak.\n", encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (docs / "latin1.txt").write_bytes("Caf\xe9\n\nThe caf\xe9 was fine.\n".encode("latin-1"))
    r = qa("build", "--docs", str(docs), "--index", str(tmp_path / "index"))
    assert r.returncode == 0, r.stderr
    assert "Skipped empty.txt" in r.stdout and "Skipped binary.txt" in r.stdout
    assert "Indexed 2 documents" in r.stdout and "Traceback" not in r.stderr


def test_build_progress_names_its_stage_and_unit(capsys):
    from qa.cli import _progress_printer

    show = _progress_printer()
    show(3, 10, "loading")
    show(4096, 9000, "embedding")
    loading, embedding = capsys.readouterr().err.strip("\r\n").split("\n")
    assert loading.strip("\r").startswith("loading 3/10 (") and "docs/s" in loading
    assert embedding.strip("\r").startswith("embedding 4096/9000 (") and "sentences/s" in embedding
    assert "loading" not in embedding and "docs/s" not in embedding
