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


# ---------------------------------------------------------------- the retrieval seam


def test_index_columns_by_name_match_the_records_they_hold(retriever):
    from qa.records import ChunkColumn, SentenceColumn

    index = retriever.index
    for i in range(len(index.sentences)):
        s = index.sentence(i)
        assert index.sentences[i, SentenceColumn.DOC] == s.doc_index == index.doc_of_sentence[i]
        assert index.sentences[i, SentenceColumn.START] == s.start
        assert index.sentences[i, SentenceColumn.END] == s.end
    owner = {}
    for c in range(len(index.chunks)):
        chunk = index.chunk(c)
        assert index.chunks[c, ChunkColumn.FIRST_SENTENCE] == chunk.first_sentence
        for sid in range(chunk.first_sentence, chunk.last_sentence + 1):
            owner[sid] = c
            # a chunk's sentences lie inside its text span, in its document
            s = index.sentence(sid)
            assert s.doc_index == chunk.doc_index and chunk.start <= s.start < s.end <= chunk.end
    assert owner == dict(enumerate(index.chunk_of_sentence.tolist()))
    some = [len(index.chunks) - 1, 0]
    expected = [sid for c in some for sid in range(index.chunk(c).first_sentence, index.chunk(c).last_sentence + 1)]
    assert index.sentences_of_chunks(some).tolist() == expected


def test_one_fusion_for_sentences_and_documents():
    import numpy as np

    from qa.search.retrieve import fuse

    dense_side, lexical_side = np.array([1.0, 0.5, 0.0]), np.array([0.0, 0.2, 1.0])
    assert fuse(dense_side, lexical_side, RetrievalSettings(mode="dense"), dense_weight=0.7) is dense_side
    assert fuse(dense_side, lexical_side, RetrievalSettings(mode="lexical"), dense_weight=0.7) is lexical_side
    mixed = fuse(dense_side, lexical_side, RetrievalSettings(), dense_weight=0.7)
    assert np.allclose(mixed, [0.7, 0.41, 0.3])
    rrf = fuse(dense_side, lexical_side, RetrievalSettings(fusion="rrf"), dense_weight=0.7)
    # by rank only: the middle candidate is second on both sides, the others first on one and last on the other
    assert rrf.min() == 0.0 and rrf.max() == 1.0 and rrf[1] == rrf.min() and rrf[0] == rrf[2]


def test_documents_and_sentences_follow_the_same_dense_weight(retriever):
    """All-dense and all-lexical weights rank documents as the dense and lexical modes do."""
    query = retriever.parse("supervision and caseloads")
    qvec = retriever.encode(query)
    for weight, mode in ((1.0, "dense"), (0.0, "lexical")):
        by_weight = retriever.rank_documents(query, qvec, settings=RetrievalSettings(document_dense_weight=weight))
        by_mode = retriever.rank_documents(query, qvec, settings=RetrievalSettings(mode=mode))
        common = {d for d, _ in by_weight} & {d for d, _ in by_mode}
        assert [d for d, _ in by_weight if d in common] == [d for d, _ in by_mode if d in common]


def test_stage_times_belong_to_the_call_that_records_them(retriever):
    """The app's sessions share one retriever on several threads: a session's
    figures must hold its own stages only, however the others interleave."""
    import threading
    import time

    from qa.search.timing import record, stage

    inside = threading.Event()
    release = threading.Event()

    def other_session():
        with record() as theirs:
            with stage("vector"):
                inside.set()
                release.wait(5)
        other.update(theirs)

    other: dict = {}
    thread = threading.Thread(target=other_session)
    thread.start()
    inside.wait(5)
    with record() as mine:
        retriever.search("supervision", k=1)
        release.set()
        thread.join()
        time.sleep(0.01)
    assert {"encode", "quote"} <= set(mine) and all(v < 5 for v in mine.values())
    assert set(other) == {"vector"}  # the search's own stages went to `mine` only
    assert other["vector"] > 0


def test_stages_outside_a_record_are_not_kept(retriever):
    from qa.search.timing import record

    retriever.search("supervision", k=1)  # nothing recorded, nothing kept
    with record() as seconds:
        pass
    assert seconds == {}


def test_every_cache_in_the_package_is_bounded():
    """A process serves many sessions for days: no memo may grow with them."""
    import functools
    import importlib
    import pkgutil

    import qa

    found = 0
    for info in pkgutil.walk_packages(qa.__path__, "qa."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, functools._lru_cache_wrapper):
                found += 1
                assert obj.cache_info().maxsize is not None, f"{info.name}.{obj.__name__}"
    assert found  # the gazetteer, the tokenizer and the answer thresholds are memoised


def test_articles_take_their_own_dense_weight_and_reports_keep_theirs(retriever):
    """Articles follow article_dense_weight; dense_weight (what the ranker was trained on) is the reports'."""
    for question in ("supervision in Leeds", "caseloads", "independent reviewing officers"):
        dense_top = retriever.search(question, k=1, settings=RetrievalSettings(mode="dense"))[0]
        lexical_top = retriever.search(question, k=1, settings=RetrievalSettings(mode="lexical"))[0]
        articles_dense = RetrievalSettings(dense_weight=0.0, article_dense_weight=1.0)
        articles_lexical = RetrievalSettings(dense_weight=1.0, article_dense_weight=0.0)
        all_dense = retriever.search(question, k=1, settings=articles_dense)
        all_lexical = retriever.search(question, k=1, settings=articles_lexical)
        assert (all_dense[0].doc_id, all_dense[0].start) == (dense_top.doc_id, dense_top.start)
        assert (all_lexical[0].doc_id, all_lexical[0].start) == (lexical_top.doc_id, lexical_top.start)


def test_each_model_has_its_article_weight_on_file():
    import json

    from qa.index.embed import ADAPTED_MODEL, DEFAULT_MODEL
    from qa.search.retrieve import FUSION_WEIGHTS_FILE

    table = json.loads(FUSION_WEIGHTS_FILE.read_text())
    for model in (DEFAULT_MODEL, ADAPTED_MODEL):
        assert 0.0 <= table[model]["article_dense_weight"] <= 1.0 and table[model]["chosen_on"]
