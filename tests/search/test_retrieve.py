"""Retrieval and quoting mechanics, with the fake embedder."""

from __future__ import annotations

import pytest

from qa.answer.verdict import ask
from qa.errors import InvalidQuestion
from qa.index.build import build_index
from qa.index.store import load_index
from qa.search.query import MAX_QUESTION_CHARS
from qa.search.retrieve import RetrievalSettings, Retriever

QUESTIONS = [
    "What did inspectors say about supervision in Rotherham?",
    "Sheffield social work quality",
    "caseloads",
    "independent reviewing officers",
    "legal services panels",
    "What needs to improve?",
    "électronique 😀 системы",
    "a",
]


@pytest.fixture
def retriever(seed_docs, tmp_path, fake_embedder):
    (seed_docs / "leeds.txt").write_text(
        "Leeds fostering praised\n\nInspectors said supervision in Leeds was regular and reflective.\n"
        "\nThis helped social workers. However, caseloads stayed high.\n",
        encoding="utf-8",
    )
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    return Retriever(load_index(tmp_path / "index"), fake_embedder)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize("question", QUESTIONS)
def test_every_quote_is_verbatim_whole_sentences(retriever, question, mode):
    passages = retriever.search(question, k=8, settings=RetrievalSettings(mode=mode))
    docs = {d.doc_id: d for d in retriever.index.documents}
    for p in passages:
        text = docs[p.doc_id].text
        assert text[p.start : p.end] == p.quote
        assert p.quote.strip() == p.quote and p.quote
        # ends at a sentence end, starts at a sentence start
        starts = set(retriever.index.sentences[:, 1].tolist())
        ends = set(retriever.index.sentences[:, 2].tolist())
        assert p.start in starts and p.end in ends
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    assert len({(p.doc_id, p.start) for p in passages}) == len(passages)


def test_place_in_question_prefers_its_documents(retriever):
    top = retriever.search("supervision in Leeds", k=1)[0]
    assert top.places == ("Leeds",)
    top = retriever.search("supervision in Rotherham", k=1)[0]
    assert top.places == ("Rotherham",)


def test_quote_takes_the_qualifying_sentence_after_it(retriever):
    passages = retriever.search("Did this help social workers in Leeds?", k=3)
    quote = next(p.quote for p in passages if "helped" in p.quote)
    assert quote == "This helped social workers. However, caseloads stayed high."


def test_quote_never_includes_navigation(retriever):
    for q in ["Read More", "Comments are closed", "More from Community Care", "councillor suspended photo"]:
        for p in retriever.search(q, k=10):
            assert "Read More" not in p.quote and "Comments are closed" not in p.quote
            assert "councillor suspended" not in p.quote


@pytest.mark.parametrize(
    "question,match",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * (MAX_QUESTION_CHARS + 1), "limit"),
        ("x" * 10_000, "limit"),
        ("?!... ;;", "no words"),
        (None, "must be text"),
    ],
)
def test_bad_questions_get_a_clear_error(retriever, question, match):
    with pytest.raises(InvalidQuestion, match=match):
        retriever.search(question)


def test_control_characters_are_tolerated(retriever):
    assert retriever.search("supervision\x00 in\x1b Rotherham\u200b", k=2)


def test_question_about_an_absent_authority_is_not_answered(retriever):
    answer = ask(retriever, "What did inspectors say about supervision in Kent?")
    assert not answer.answered and "Kent" in answer.text and not answer.citations
    # Said plainly, with nothing about other places offered in its stead.
    assert answer.verdict == "none" and "no documents about Kent" in answer.reason and not answer.closest


def test_answer_has_markers_for_each_citation(retriever):
    answer = ask(retriever, "supervision in Leeds regular reflective")
    assert answer.answered
    for n, p in enumerate(answer.citations, 1):
        assert f"[{n}]" in answer.text and p.rank == n
        assert " ".join(p.quote.split()) in answer.text
