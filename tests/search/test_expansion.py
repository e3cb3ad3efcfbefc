"""Query expansion learned from the training questions (qa/search/expansion.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qa.evaluate.judgments import Evidence, QuestionItem, read_queries
from qa.index.build import build_index
from qa.index.store import load_index
from qa.ingest.gazetteer import load_gazetteer
from qa.search import expansion
from qa.search.retrieve import RetrievalSettings, Retriever

ROOT = Path(__file__).resolve().parents[2]


def _item(n: int, question: str, answer: str, authority: str) -> QuestionItem:
    return QuestionItem(f"q{n}", question, (Evidence(f"{authority}/report", answer),))


def test_a_word_is_expanded_by_what_its_answers_say_across_authorities():
    items = [
        _item(1, "Do they rely on locum social workers?", "Too many agency staff are used.", "1_kent"),
        _item(2, "How many locums in the team?", "Agency staff fill a third of posts.", "2_essex"),
        _item(3, "Locum managers?", "Most managers are agency staff.", "3_devon"),
        _item(4, "Are children seen quickly?", "Children are seen quickly by staff.", "1_kent"),
        _item(5, "Is the front door working?", "Staff in the MASH respond well.", "2_essex"),
    ]
    table = expansion.learn(items, load_gazetteer(), expansion.ExpansionSettings(min_questions=3, min_lift=1.0))
    assert table["locum"][:1] == ["agenc"]  # in all three answers with "locum", in two of five overall
    assert "staff" not in table.get("children", [])  # one question: below min_questions
    one_place = [_item(i, "locum?", "agency staff", "1_kent") for i in range(5)]
    assert expansion.learn(one_place, load_gazetteer(), expansion.ExpansionSettings(min_lift=1.0)) == {}


def test_expand_leaves_out_words_asked_and_words_the_index_lacks():
    table = {"locum": ["agenc", "staff", "vacanc"], "door": ["mash"]}
    vocabulary = {"agenc": 0, "staff": 1, "mash": 2}
    assert expansion.expand(["locum", "staff"], table, vocabulary) == ["agenc"]
    assert expansion.expand(["door", "locum"], table, vocabulary) == ["mash", "agenc", "staff"]


def test_the_committed_table_is_what_the_training_questions_give():
    """Reproducible: `python -m qa learn-expansions` gives the committed file."""
    items = read_queries(ROOT / "eval/ofsted/train.jsonl")
    assert expansion.learn(items, load_gazetteer()) == expansion.load()
    assert json.loads(expansion.EXPANSIONS_FILE.read_text())["about"]["questions"] == ["eval/ofsted/train.jsonl"]


def test_learn_expansions_command_writes_a_table(tmp_path):
    out = tmp_path / "expansions.json"
    done = subprocess.run([sys.executable, "-m", "qa", "learn-expansions", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert expansion.load(out) == expansion.load()


def _report_collection(folder: Path) -> Path:
    docs = folder / "docs"
    docs.mkdir()
    (docs / "report.txt").write_text(
        "Inspection of Kent children's services\n\nToo many agency staff cover vacant posts in the assessment teams."
        "\n\nSupervision is regular and reflective.\n\nChildren enjoy the activities of the care council.\n",
        encoding="utf-8")
    return docs


def test_expansion_finds_the_reports_words_for_the_question_and_can_be_turned_off(tmp_path, fake_embedder):
    docs = _report_collection(tmp_path)
    build_index([docs], tmp_path / "index", embedder=fake_embedder)
    index = load_index(tmp_path / "index")
    # as if the collection were reports (the fake collection is plain text)
    from dataclasses import replace
    index.documents[:] = [replace(d, kind="report") for d in index.documents]
    retriever = Retriever(index, fake_embedder)
    retriever.expansions = {"locum": ["agenc"]}
    query = retriever.parse("locum workers")
    on = retriever._chunk_lexical(query, RetrievalSettings(expansion_weight=0.5))
    off = retriever._chunk_lexical(query, RetrievalSettings(expansion_weight=0.0))
    agency_chunk = next(i for i in range(len(index.chunks)) if "agency" in index.documents[0].text[
        index.chunk(i).start:index.chunk(i).end])
    assert on[agency_chunk] > off[agency_chunk] == 0
    lexical = RetrievalSettings(mode="lexical", expansion_weight=0.5)
    assert retriever.search("locum workers", k=1, settings=lexical)[0].quote.startswith("Too many agency staff")


def test_a_collection_without_reports_is_not_expanded(tmp_path, fake_embedder):
    docs = _report_collection(tmp_path)
    build_index([docs], tmp_path / "index", embedder=fake_embedder)
    assert Retriever(load_index(tmp_path / "index"), fake_embedder).expansions == {}
