"""Evaluation: question files, BEIR folders, metrics from ranx, run/qrels
files, comparison, gates and the pytest helper."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.errors import InvalidQuestionFile
from qa.evaluate.beir import corpus_documents, read_beir
from qa.evaluate.judgments import Evidence, read_queries
from qa.evaluate.metrics import parse_gate, score_runs
from qa.evaluate.suite import _span_labels
from qa.evaluate.testing import assert_retrieval

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "beir-mini"


def test_metrics_agree_with_a_hand_checked_example():
    qrels = {"q1": {"a": 2, "b": 1}, "q2": {"c": 1}}
    run = {"q1": {"x": 4.0, "a": 3.0, "y": 2.0, "b": 1.0}, "q2": {"c": 1.0, "z": 0.5}}
    [scores] = score_runs(qrels, {"r": run}, ("ndcg@10", "recall@1", "recall@5", "mrr@10", "hit_rate@1"))
    # q1: relevant at ranks 2 (grade 2) and 4 (grade 1); q2: relevant at rank 1.
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert scores.per_query["ndcg@10"]["q1"] == pytest.approx(dcg / ideal)  # 0.6433
    assert scores.means["ndcg@10"] == pytest.approx((dcg / ideal + 1) / 2)
    assert scores.means["recall@1"] == pytest.approx(0.5)  # q1 0 of 2, q2 1 of 1
    assert scores.means["recall@5"] == pytest.approx(1.0)
    assert scores.means["mrr@10"] == pytest.approx((1 / 2 + 1) / 2)
    assert scores.means["hit_rate@1"] == pytest.approx(0.5)


def test_a_query_with_no_results_scores_zero_not_missing():
    [scores] = score_runs({"q1": {"a": 1}, "q2": {"b": 1}}, {"r": {"q1": {"a": 1.0}}}, ("recall@5",))
    assert scores.per_query["recall@5"] == {"q1": 1.0, "q2": 0.0}


def test_yaml_question_file_with_spans_grades_and_unanswerable(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(
        """
questions:
  - id: s1
    question: What about supervision?
    expected:
      - doc: reports/a.pdf
        quote: regular supervision
        relevance: 2
      - {doc: reports/a.pdf, start: 10, end: 40}
  - id: s2
    question: Who won the cup?
    answerable: false
  - id: s3
    question: Which documents discuss adoption?
    expected_docs: [d3, d4]
""",
        encoding="utf-8",
    )
    s1, s2, s3 = read_queries(path)
    assert s1.expected == (Evidence("reports/a.pdf", "regular supervision", relevance=2),
                           Evidence("reports/a.pdf", None, 10, 40, 1))
    assert not s2.answerable and s2.expected == ()
    assert [e.doc for e in s3.expected] == ["d3", "d4"] and not any(e.has_span for e in s3.expected)


@pytest.mark.parametrize(
    "line,message",
    [
        ('{"question": "q", "expected": [{"doc": "a", "start": 5}]}', "both start and end"),
        ('{"question": "q", "expected": [{"doc": "a", "start": 9, "end": 3}]}', "before its end"),
        ('{"question": "q", "expected": [{"doc": "a", "relevance": "high"}]}', "whole number"),
        ('{"question": "q", "expected": [{"quote": "x"}]}', '"doc"'),
        ('{"question": "q", "answerable": false, "expected_docs": ["a"]}', "answerable: false"),
        ('{"id": "same", "question": "q"}\n{"id": "same", "question": "r"}', "unique"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_question_files_say_what_is_wrong(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InvalidQuestionFile, match=message):
        read_queries(path)


def test_a_span_is_credited_once_however_many_passages_overlap_it():
    index = SimpleNamespace(documents=[SimpleNamespace(doc_id="a"), SimpleNamespace(doc_id="b")])
    spans = [(0, 100, 200, "a@100-200")]
    hits = [(1, 100, 150), (0, 120, 160), (0, 150, 250), (0, 0, 50)]
    assert _span_labels(index, spans, hits) == ["b@100-150", "a@100-200", "a@150-250", "a@0-50"]


def test_beir_folder_reading():
    dataset = read_beir(MINI)
    assert set(dataset.queries) == {"q1", "q2", "q3", "q4"}  # the unjudged query is left out
    assert dataset.qrels["q1"] == {"d1": 2, "d4": 1}
    documents, skipped = corpus_documents(dataset.corpus_path)
    assert len(documents) == 8 and not skipped
    d1 = documents[0]
    assert d1.text.startswith("Supervision of social workers\n\nManagers hold")
    assert [b.kind for b in d1.blocks] == ["title", "body", "body"]
    untitled = documents[-1]
    assert untitled.title == "d8" and untitled.blocks[0].kind == "body"


def test_beir_folder_missing_a_file_says_what_a_beir_folder_holds(tmp_path):
    shutil.copytree(MINI, tmp_path / "set")
    (tmp_path / "set" / "qrels" / "test.tsv").unlink()
    with pytest.raises(InvalidQuestionFile, match="corpus.jsonl, queries.jsonl and qrels/test.tsv"):
        read_beir(tmp_path / "set")


def test_gate_parsing():
    assert parse_gate("ndcg@10=0.7", ("ndcg@10",)) == ("ndcg@10", 0.7)
    with pytest.raises(ValueError, match="METRIC=VALUE"):
        parse_gate("ndcg@10", ("ndcg@10",))
    with pytest.raises(ValueError, match="not among"):
        parse_gate("map@5=0.1", ("ndcg@10",))


def qa_eval(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa", "eval", *args], capture_output=True, text=True, cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}, timeout=600,
    )


def test_beir_eval_from_the_command_line(tmp_path):
    index = tmp_path / "index"
    r = qa_eval("--beir", str(MINI), "--index", str(index), "--compare", "--json", "--run-out", "run.txt",
                "--qrels-out", "qrels.txt", "--report", "report/mini.md", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["level"] == "document" and out["questions"] == 4
    assert set(out["retrievers"]) == {"hybrid", "dense", "lexical", "rrf"}
    assert out["retrievers"]["hybrid"]["recall@5"] >= 0.75  # four easy questions over eight documents
    assert 0 <= out["significance"]["p_values"]["hybrid"]["dense"]["ndcg@10"] <= 1
    run_lines = (tmp_path / "run.txt").read_text().splitlines()
    qid, q0, doc, rank, score, tag = run_lines[0].split()
    assert q0 == "Q0" and rank == "1" and tag == "qa-hybrid" and doc.startswith("d")
    assert {line.split()[0] for line in run_lines} == {"q1", "q2", "q3", "q4"}
    assert "q1 0 d1 2" in (tmp_path / "qrels.txt").read_text()
    report = (tmp_path / "report" / "mini.md").read_text()
    assert "| a) hybrid |" in report and "![per-query differences](mini.png)" in report
    assert (tmp_path / "report" / "mini.png").read_bytes()[:4] == b"\x89PNG"

    # The index is reused (the corpus is unchanged); gates decide the exit code.
    r = qa_eval("--beir", str(MINI), "--index", str(index), "--min", "recall@100=0.5", cwd=tmp_path)
    assert r.returncode == 0 and "indexed" not in r.stderr, r.stderr
    r = qa_eval("--beir", str(MINI), "--index", str(index), "--min", "ndcg@10=1.01", cwd=tmp_path)
    assert r.returncode == 1 and "gate failed: ndcg@10" in r.stderr


def test_pytest_helper_passes_and_fails_with_the_shortfall(tmp_path):
    evaluation = assert_retrieval(beir=MINI, index=tmp_path / "index", minimum={"recall@100": 0.5})
    assert evaluation.product.name == "hybrid"
    with pytest.raises(AssertionError, match=r"ndcg@10 = [0-9.]+ < 1.01"):
        assert_retrieval(beir=MINI, index=tmp_path / "index", minimum={"ndcg@10": 1.01})


def test_a_question_the_product_refuses_counts_as_a_miss(tmp_path):
    folder = tmp_path / "set"
    shutil.copytree(MINI, folder)
    with open(folder / "queries.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"_id": "q6", "text": "   "}) + "\n")
    with open(folder / "qrels" / "test.tsv", "a", encoding="utf-8") as f:
        f.write("q6\td1\t1\n")
    evaluation = assert_retrieval(beir=folder, index=tmp_path / "index", minimum={"recall@100": 0.5})
    assert evaluation.product.per_query["recall@100"]["q6"] == 0.0
    assert len(evaluation.product.per_query["recall@100"]) == 5


def test_places_and_years_without_metadata_stay_words_of_the_question():
    from qa.ingest.gazetteer import load_gazetteer
    from qa.search.query import parse_question

    gazetteer = load_gazetteer()
    q = parse_question("What happened in Leeds in 1999 and in 2021?", gazetteer, known_places=set(), known_years={2021})
    assert q.topic == "What happened in Leeds in 1999 and?"
    assert q.places == ("Leeds",) and q.years == (1999, 2021)
    q = parse_question("What happened in Leeds in 2021?", gazetteer)  # the product's collection: metadata
    assert "Leeds" not in q.topic and "2021" not in q.topic


def test_the_paired_test_separates_a_better_run_and_not_an_equal_one():
    from scipy import stats

    from qa.evaluate.metrics import compare_runs

    qrels = {f"q{i}": {f"d{i}": 1} for i in range(20)}
    good = {q: {f"d{i}": 2.0, "x": 1.0} for i, q in enumerate(qrels)}  # the answer first
    half = {q: ({f"d{i}": 2.0, "x": 1.0} if i % 2 else {"x": 2.0, f"d{i}": 1.0}) for i, q in enumerate(qrels)}
    p = compare_runs(qrels, {"good": good, "half": half, "same": dict(good)}, ("mrr@10",)).p_values
    # An independent reading: scipy's paired t-test on the per-question reciprocal ranks.
    expected = stats.ttest_rel([1.0] * 20, [1.0 if i % 2 else 0.5 for i in range(20)]).pvalue
    assert p["good"]["half"]["mrr@10"] == pytest.approx(expected, rel=1e-6) and expected < 0.01
    assert p["good"]["same"]["mrr@10"] == 1.0  # nothing to tell apart
