"""The candidate seam (qa/search/candidates.py): the embedded source gives what
the retriever computed itself before the seam (direct FAISS and bm25s calls)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qa.errors import IndexMismatch
from qa.index.build import build_index
from qa.index.lexical import tokenize
from qa.index.store import load_index
from qa.records import ChunkColumn
from qa.search import expansion
from qa.search.candidates import EmbeddedSource, Scope, open_source
from qa.search.filters import Filters, document_mask
from qa.search.retrieve import DEFAULT_SETTINGS, Retriever

QUESTIONS = ["supervision of social workers", "caseloads stayed high", "council response", "independent reviewing"]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from tests.conftest import SEED_ARTICLES, FakeEmbedder

    docs = tmp_path_factory.mktemp("docs")
    for f in SEED_ARTICLES:
        (docs / f.name).write_bytes(f.read_bytes())
    (docs / "leeds.txt").write_text(
        "Leeds fostering praised\n\nInspectors said supervision in Leeds was regular and reflective.\n"
        "\nThis helped social workers. However, caseloads stayed high.\n", encoding="utf-8")
    folder = tmp_path_factory.mktemp("index")
    build_index([docs], folder, embedder=FakeEmbedder())
    return load_index(folder)


@pytest.fixture(scope="module")
def embedder():
    from tests.conftest import FakeEmbedder

    return FakeEmbedder()


def test_an_index_without_an_engine_is_searched_embedded(index, embedder):
    assert "engine" not in index.manifest
    assert isinstance(open_source(index), EmbeddedSource)
    assert Retriever(index, embedder).source.kind == "embedded"
    with pytest.raises(IndexMismatch, match="search engine"):
        open_source(replace(index, manifest={**index.manifest, "engine": {"kind": "elastic"}}))


@pytest.mark.parametrize("question", QUESTIONS)
def test_dense_sentences_are_faiss_search(index, embedder, question):
    source = EmbeddedSource(index)
    qvec = embedder.encode([question])[0]
    _, ids = index.vectors.search(qvec[None, :], 40)
    assert source.dense_sentences(qvec, 40).tolist() == ids[0][ids[0] >= 0].tolist()
    # within a scope: exact, over that scope's sentences only
    mask = np.array(["leeds" in d.doc_id for d in index.documents])
    rows = np.flatnonzero(mask[index.doc_of_sentence])
    cos = index.vectors.reconstruct_batch(rows) @ qvec
    found = source.dense_sentences(qvec, 3, Scope(mask))
    assert sorted(found.tolist()) == sorted(rows[np.argsort(-cos)[:3]].tolist())


@pytest.mark.parametrize("question", QUESTIONS)
def test_lexical_chunks_are_bm25s_scores(index, question):
    source = EmbeddedSource(index)
    terms = index.lexical.known_terms(question)
    everything = np.asarray(index.lexical._model.get_scores(terms), dtype=np.float32)  # bm25s itself
    ids, scores = source.lexical_chunks(terms, 5)
    assert ids.tolist() == np.flatnonzero(everything > 0).tolist()  # all of them, whatever k
    assert scores.tolist() == everything[ids].tolist()
    mask = np.array(["leeds" not in d.doc_id for d in index.documents])
    in_scope = mask[index.chunks[:, ChunkColumn.DOC]]
    ids, scores = source.lexical_chunks(terms, 5, Scope(mask))
    assert ids.tolist() == np.flatnonzero((everything > 0) & in_scope).tolist()
    assert scores.tolist() == everything[ids].tolist()
    # any chunks' own scores, those holding none of the terms at 0
    some = np.array([len(everything) - 1, 0, int(np.argmax(everything))])
    assert source.lexical_scores(terms, some).tolist() == everything[some].tolist()
    assert source.scores_every_chunk  # so the retriever never needs them


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_retrievers_bm25_is_the_one_before_the_seam(index, embedder, question):
    retriever = Retriever(index, embedder)
    # a table of expansions, so that the second lexical query (the expansion terms) runs too
    retriever.expansions = {t: ["reflect", "regular", "high"] for t in tokenize(question)}
    query = retriever.parse(question)
    before = index.lexical.scores(query.keywords)
    extra = expansion.expand(tokenize(query.keywords), retriever.expansions, index.lexical.vocabulary)
    assert extra
    before = before + DEFAULT_SETTINGS.expansion_weight * index.lexical.scores_of_terms(extra)
    mask = document_mask(index.documents, Filters(kinds=("article",)))
    scopes = retriever._scopes(mask, Filters(kinds=("article",)), None)
    assert retriever._chunk_lexical(query, DEFAULT_SETTINGS, scopes).tolist() == before.tolist()


def _candidates_before_the_seam(retriever, qvec, lexical_all, settings, allowed, preferred):
    """Retriever._candidates as it was before the seam, calling FAISS itself."""
    from qa.index import dense
    from qa.search.candidates import top

    index = retriever.index
    want = min(settings.candidates, len(index.chunks))
    _, ids = dense.search(index.vectors, qvec[None, :], want * 4)
    pools = [ids[0][ids[0] >= 0], index.sentences_of_chunks(top(lexical_all, want))]
    scopes = [m for m in (allowed, preferred if allowed is None else (
        allowed & preferred if preferred is not None else None)) if m is not None]
    for scope in scopes:
        sentence_ids = np.flatnonzero(scope[index.doc_of_sentence])
        if len(sentence_ids):
            cos = dense.vectors_of(index.vectors, sentence_ids) @ qvec
            pools.append(sentence_ids[top(cos, want * 4, positive_only=False)])
        chunk_ids = np.flatnonzero(scope[index.chunks[:, ChunkColumn.DOC]])
        pools.append(index.sentences_of_chunks(chunk_ids[top(lexical_all[chunk_ids], want)]))
    candidates = np.unique(np.concatenate(pools))
    if allowed is not None:
        candidates = candidates[allowed[index.doc_of_sentence[candidates]]]
    return candidates[~index.repeated[candidates]]


@pytest.mark.parametrize("filters", [None, Filters(kinds=("article",)), Filters(authorities=("Leeds",))])
@pytest.mark.parametrize("question", QUESTIONS + ["What did inspectors say about supervision in Leeds?"])
def test_candidates_are_the_ones_before_the_seam(index, embedder, question, filters):
    settings = replace(DEFAULT_SETTINGS, candidates=5)  # few, so that the scopes add their own
    retriever = Retriever(index, embedder)
    query = retriever.parse(question)
    qvec = retriever.encode(query)
    allowed = document_mask(index.documents, filters)
    preferred = retriever._preferred_documents(query)
    scopes = retriever._scopes(allowed, filters, preferred)
    lexical_all = retriever._chunk_lexical(query, settings, scopes)
    assert retriever._candidates(qvec, lexical_all, settings, allowed, scopes).tolist() == (
        _candidates_before_the_seam(retriever, qvec, lexical_all, settings, allowed, preferred).tolist())
