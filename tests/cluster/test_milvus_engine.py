"""Milvus behind the candidate seam, in milvus-lite (the same client as a cluster).

The seed articles and three reports of the shared collection are built with
`--engine milvus`; the retriever over Milvus must rank as the embedded engine
does, honour the filters in Milvus, be found through the manifest, and a
failed write into Milvus must leave the previous build serving.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.cluster.shared_reports import copy_manifest_rows

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.cli import _load_retriever, main  # noqa: E402
from qa.index import milvus_engine  # noqa: E402
from qa.index.build import build_index  # noqa: E402
from qa.index.store import current_build, load_index, read_index_manifest  # noqa: E402
from qa.search.candidates import EmbeddedSource, Scope  # noqa: E402
from qa.search.filters import Filters, document_mask  # noqa: E402
from qa.search.retrieve import DEFAULT_SETTINGS, Retriever  # noqa: E402

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
OFSTED = ROOT.parent / "shared" / "corpus" / "ofsted"
REPORTS = [  # three small reports: two authorities judged inadequate in 2019, one requiring improvement in 2021
    "80511_newham/children's services inspection - 25 march 2019.pdf",
    "80564_stoke-on-trent/children's services inspection - 18 march 2019.pdf",
    "80479_knowsley/children's services inspection - 03 december 2021.pdf",
]
QUESTIONS = [
    "What did inspectors say about supervision of social workers?",
    "How stable is the workforce in Newham?",
    "What happens to care leavers in Knowsley?",
    "Were children at risk of exploitation protected in 2019?",
    "What needs to improve in Stoke-on-Trent?",
    "How well do leaders understand the quality of practice?",
    "agency staff caseloads",
    "Which council's children's services were judged inadequate?",
    "What did the article say about the council's response?",
    "the latest inspection of Knowsley",
]


def _docs(folder: Path) -> Path:
    """The seed articles and the three reports, with their manifest rows."""
    (folder / "reports").mkdir(parents=True)
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copy(f, folder / f.name)
    for rel in REPORTS:
        (folder / "reports" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(OFSTED / rel, folder / "reports" / rel)
    copy_manifest_rows(OFSTED, list(REPORTS), folder / "reports" / "manifest.csv")
    return folder


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    if not OFSTED.is_dir():
        pytest.skip("the shared collection is not beside the checkout")
    return _docs(tmp_path_factory.mktemp("docs"))


@pytest.fixture(scope="module")
def built(tmp_path_factory, docs, real_embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("milvus") / "index"
    build_index([docs], index_dir, embedder=real_embedder, engine="milvus")
    return index_dir


@pytest.fixture(scope="module")
def built_hnsw(tmp_path_factory, docs, real_embedder) -> Path:
    """The same documents with the full collection's vector index, HNSW (in FAISS and in Milvus)."""
    index_dir = tmp_path_factory.mktemp("milvus-hnsw") / "index"
    build_index([docs], index_dir, embedder=real_embedder, engine="milvus", vector_index="hnsw")
    return index_dir


@pytest.fixture(scope="module")
def engines(built, real_embedder) -> tuple[Retriever, Retriever]:
    """The same build searched through Milvus (as its manifest says) and embedded."""
    index = load_index(built)
    return Retriever(index, real_embedder), Retriever(index, real_embedder, source=EmbeddedSource(index))


def _top(retriever: Retriever, question: str, **kwargs) -> list[tuple[str, int, int]]:
    return [(p.doc_id, p.start, p.end) for p in retriever.search(question, k=5, **kwargs)]


def test_the_manifest_records_milvus_and_loading_finds_it(built, real_embedder):
    manifest = read_index_manifest(built)
    engine = manifest["engine"]
    assert engine["kind"] == "milvus" and engine["uri"] == milvus_engine.DEFAULT_URI
    build = current_build(built).name
    assert engine["collections"] == milvus_engine.MilvusTarget().collections(build)
    assert (built / "milvus.db").is_dir()  # milvus-lite, inside the index folder
    client = milvus_engine.connect(milvus_engine.resolve_uri(engine["uri"], built))
    for name in engine["collections"].values():
        assert client.has_collection(name)
    for kind in ("sentences", "chunks"):
        assert client.get_collection_stats(engine["collections"][kind])["row_count"] == manifest["counts"][kind]
    # what `search`, `ask`, `eval` and the app load: the source the manifest names
    assert Retriever(load_index(built), real_embedder).source.kind == "milvus"
    assert _load_retriever(built).source.kind == "milvus"


def test_the_top_five_are_the_embedded_engines(engines):
    milvus, embedded = engines
    assert milvus.source.kind == "milvus" and embedded.source.kind == "embedded"
    for question in QUESTIONS:
        assert _top(milvus, question) == _top(embedded, question), question


def test_bm25_in_milvus_is_bm25s(built, engines):
    milvus, _ = engines
    index = milvus.index
    for question in ("supervision of social workers", "care leavers pathway plans", "exploitation missing children"):
        terms = index.lexical.known_terms(question)
        ids, scores = milvus.source.lexical_chunks(terms, 50)
        expected = index.lexical.scores_of_terms(terms)
        assert len(ids) == min(milvus_engine.LEXICAL_DEPTH, int((expected > 0).sum()))
        np.testing.assert_allclose(scores, expected[ids], rtol=1e-5)
        best = np.sort(expected)[::-1][: len(ids)]
        np.testing.assert_allclose(np.sort(scores)[::-1], best, rtol=1e-5)  # the best ones, none missed
    chunks = read_index_manifest(built)["engine"]["collections"]["chunks"]
    assert milvus_engine.bm25_difference(index, milvus.source.uri, chunks) < 1e-5


FILTERS = [
    Filters(authorities=("Newham",)),
    Filters(authorities=("Knowsley", "Stoke-on-Trent")),
    Filters(year_from=2020),
    Filters(year_to=2019, kinds=("report",)),
    Filters(kinds=("article",)),
    Filters(grades=("inadequate",)),
    Filters(grades=("requires improvement",)),
    Filters(regions=("London",)),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(f).split("(", 1)[1][:60])
def test_filters_are_applied_in_milvus(engines, filters):
    milvus, embedded = engines
    index = milvus.index
    mask = document_mask(index.documents, filters)
    assert mask.any()
    scope = Scope(mask, filters)
    assert milvus_engine.filter_expression(filters)  # a scalar filter, not a list of documents
    qvec = milvus.encode(milvus.parse("support for children and families"))
    dense_ids = milvus.source.dense_sentences(qvec, 50, scope)
    assert len(dense_ids) and mask[index.doc_of_sentence[dense_ids]].all()
    # exact search in both (a small build: FAISS and Milvus both flat): the same sentences, but for
    # ties (stock sentences repeated word for word have the same vector)
    embedded_ids = embedded.source.dense_sentences(qvec, 50, scope)
    cosines = [np.sort(index.vectors.reconstruct_batch(ids) @ qvec) for ids in (dense_ids, embedded_ids)]
    np.testing.assert_allclose(*cosines, rtol=1e-5)
    terms = index.lexical.known_terms("support for children and families")
    chunk_ids, _ = milvus.source.lexical_chunks(terms, 50, scope)
    allowed_chunks = mask[index.chunks[:, 0]]
    assert len(chunk_ids) and allowed_chunks[chunk_ids].all()
    embedded_ids, _ = embedded.source.lexical_chunks(terms, 50, scope)
    assert set(chunk_ids) == set(embedded_ids)  # every chunk holding a term, within the scope (fewer than 1,000)
    # and end to end
    results = milvus.search("What did inspectors find about help and protection?", k=5, filters=filters)
    assert results and all(filters.allows(index.document(p.doc_id)) for p in results)
    assert _top(milvus, "What did inspectors find about help and protection?", filters=filters) == _top(
        embedded, "What did inspectors find about help and protection?", filters=filters)


def test_a_scope_of_named_documents_adds_to_the_filters(engines):
    milvus, embedded = engines
    index = milvus.index
    reports = Filters(kinds=("report",))
    named = np.array(["newham" in d.doc_id for d in index.documents])
    scope = Scope(document_mask(index.documents, reports) & named, reports, named)
    expression = milvus_engine.scope_expression(scope)
    assert 'type in ["report"]' in expression and "doc in [" in expression
    qvec = milvus.encode(milvus.parse("workforce stability"))
    ids = milvus.source.dense_sentences(qvec, 20, scope)
    assert len(ids) and named[index.doc_of_sentence[ids]].all()
    empty = Scope(np.zeros(len(index.documents), dtype=bool), reports, np.zeros(len(index.documents), dtype=bool))
    assert len(milvus.source.dense_sentences(qvec, 20, empty)) == 0


def test_a_scope_is_searched_exactly_when_the_index_is_hnsw(built_hnsw, real_embedder):
    """Milvus's HNSW searched with a selective filter returns a fraction of the
    neighbours asked for; a scope is searched in the `exact` (FLAT) field
    instead, as the embedded engine searches it: every sentence of the scope
    considered, the k nearest returned. (On a build this small a filtered HNSW
    search is exact too, so the field asked is checked: the shortfall shows on
    the full collection, docs/engines.md.)"""
    index = load_index(built_hnsw)
    assert index.manifest["vector_index"]["kind"] == "hnsw"
    milvus = Retriever(index, real_embedder)
    engine = index.manifest["engine"]
    fields = {f["name"] for f in milvus_engine.connect(milvus.source.uri).describe_collection(
        engine["collections"]["sentences"])["fields"]}
    assert milvus_engine.EXACT_FIELD in fields and milvus.source._scoped_field == milvus_engine.EXACT_FIELD
    vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)  # every sentence's vector, read back
    for question, authority in (("How stable is the workforce?", "newham"), ("care leavers", "knowsley")):
        named = np.array([authority in d.doc_id for d in index.documents])
        scope = Scope(named, None, named)
        qvec = milvus.encode(milvus.parse(question))
        rows = np.flatnonzero(named[index.doc_of_sentence])
        k = min(400, len(rows) - 1)  # nearly the whole scope: a filtered HNSW search falls short of it
        ids = milvus.source.dense_sentences(qvec, k, scope)
        assert len(ids) == k
        cosines = np.sort(vectors[rows] @ qvec)[::-1][:k]
        np.testing.assert_allclose(np.sort(vectors[ids] @ qvec)[::-1], cosines, rtol=1e-5, atol=1e-6)
    embedded = Retriever(index, real_embedder, source=EmbeddedSource(index))
    for question in QUESTIONS:
        assert _top(milvus, question) == _top(embedded, question), question


def test_candidates_beyond_the_lexical_depth_keep_their_own_bm25(built, real_embedder):
    """Milvus gives the best `lexical_depth` chunks; a candidate found by its
    meaning below them is asked its own BM25, so the fusion and the ranker see
    what the embedded engine (which scores every chunk) sees."""
    index = load_index(built)
    shallow = Retriever(index, real_embedder, source=milvus_engine.MilvusSource(index, index.manifest["engine"],
                                                                                 lexical_depth=3))
    terms = index.lexical.known_terms("supervision of social workers and their caseloads")
    expected = index.lexical.scores_of_terms(terms)
    chunk_ids = np.arange(len(index.chunks))
    assert (expected[chunk_ids] > 0).any() and (expected[chunk_ids] == 0).any()
    np.testing.assert_allclose(shallow.source.lexical_scores(terms, chunk_ids), expected[chunk_ids], rtol=1e-5)
    assert len(shallow.source.lexical_chunks(terms, 3)[0]) == 3
    embedded = Retriever(index, real_embedder, source=EmbeddedSource(index))
    for question in QUESTIONS:
        assert _top(shallow, question) == _top(embedded, question), question
    # the question's words and their expansions, two lists: a chunk among the best of one has all its score
    query = shallow.parse("care leavers expecting a baby and their own tenancy")
    assert len(shallow._lexical_terms(query, DEFAULT_SETTINGS)) == 2
    partial = shallow._chunk_lexical(query, DEFAULT_SETTINGS)
    full = embedded._chunk_lexical(query, DEFAULT_SETTINGS)
    given = np.flatnonzero(partial)
    assert 0 < len(given) < np.count_nonzero(full)  # the best of each list (100, the retriever's ask), not all
    np.testing.assert_allclose(partial[given], full[given], rtol=1e-5)
    documents = [d for d, _ in shallow.rank_documents(shallow.parse(QUESTIONS[0]), shallow.encode(
        shallow.parse(QUESTIONS[0])), k=5)]
    assert documents == [d for d, _ in embedded.rank_documents(embedded.parse(QUESTIONS[0]), embedded.encode(
        embedded.parse(QUESTIONS[0])), k=5)]


def test_a_failed_milvus_write_leaves_the_previous_build_live(tmp_path, real_embedder, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copy(f, docs / f.name)
    index_dir = tmp_path / "index"
    build_index([docs], index_dir, embedder=real_embedder, engine="milvus")
    live = current_build(index_dir)
    live_collections = read_index_manifest(index_dir)["engine"]["collections"]
    question = "What did the article say about the council?"
    before = _top(Retriever(load_index(index_dir), real_embedder), question)

    (docs / "extra.txt").write_text("Council statement\n\nThe council said supervision had improved.\n",
                                    encoding="utf-8")
    inserted = []

    def failing_insert(client, name, batches):
        for rows in batches:
            client.insert(name, rows)
            inserted.append(name)
            raise ConnectionError("the Milvus server went away")

    monkeypatch.setattr(milvus_engine, "_insert", failing_insert)
    with pytest.raises(milvus_engine.EngineUnavailable, match="previous index"):
        build_index([docs], index_dir, embedder=real_embedder, engine="milvus")
    assert inserted  # it failed while writing, not before
    assert current_build(index_dir) == live
    client = milvus_engine.connect(str(index_dir.resolve() / "milvus.db"))
    assert not [n for n in client.list_collections() if n not in live_collections.values()]  # the new ones dropped
    assert {r["collection"] for r in json.loads((index_dir / milvus_engine.LEDGER).read_text())} == set(
        live_collections.values())
    assert _top(Retriever(load_index(index_dir), real_embedder), question) == before  # still serving

    monkeypatch.undo()
    report = build_index([docs], index_dir, embedder=real_embedder)  # the engine is kept: the live build's
    assert not report.up_to_date and current_build(index_dir) != live
    assert read_index_manifest(index_dir)["engine"]["kind"] == "milvus"


def test_old_builds_collections_are_dropped_and_an_up_to_date_build_moves_engine(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(sorted((ROOT / "seeds").glob("*.txt"))[0], docs / "a.txt")
    index_dir = tmp_path / "index"
    build_index([docs], index_dir, embedder=fake_embedder)  # embedded
    assert "engine" not in read_index_manifest(index_dir)
    report = build_index([docs], index_dir, embedder=fake_embedder, engine="milvus")  # nothing changed: moved
    assert report.up_to_date
    first = read_index_manifest(index_dir)["engine"]["collections"]
    assert load_index(index_dir).manifest["engine"]["kind"] == "milvus"  # checksums still hold
    client = milvus_engine.connect(str(index_dir.resolve() / "milvus.db"))
    for n in range(2):  # two more builds: the first build is then neither live nor the one before
        (docs / f"b{n}.txt").write_text(f"Title {n}\n\nSupervision was regular in year {n}.\n", encoding="utf-8")
        build_index([docs], index_dir, embedder=fake_embedder)
    assert not any(client.has_collection(c) for c in first.values())
    live = read_index_manifest(index_dir)["engine"]["collections"]
    assert all(client.has_collection(c) for c in live.values())
    build_index([docs], index_dir, embedder=fake_embedder, engine="embedded")  # and back, still up to date
    assert "engine" not in read_index_manifest(index_dir)
    assert Retriever(load_index(index_dir), fake_embedder).source.kind == "embedded"


def test_build_command_takes_the_engine(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(sorted((ROOT / "seeds").glob("*.txt"))[0], docs / "a.txt")
    uri = tmp_path / "elsewhere.db"
    code = main(["build", "--docs", str(docs), "--index", str(tmp_path / "index"), "--model", "all-MiniLM-L6-v2",
                 "--engine", "milvus", "--engine-uri", str(uri), "--json"])
    assert code == 0
    engine = json.loads(capsys.readouterr().out)["engine"]
    assert engine["kind"] == "milvus" and engine["uri"] == str(uri) and uri.is_dir()
    assert main(["search", "council", "--index", str(tmp_path / "index"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"]
    assert main(["build", "--docs", str(docs), "--index", str(tmp_path / "i2"), "--engine", "milvus",
                 "--engine-uri", str(tmp_path / "no-suffix")]) == 2
    assert "ending in .db" in capsys.readouterr().err


def test_filter_expressions():
    assert milvus_engine.filter_expression(Filters(authorities=("King's Lynn", 'A "B"'))) == (
        'array_contains_any(authority, ["King\'s Lynn", "A \\"B\\""])')
    assert milvus_engine.filter_expression(Filters(year_from=2018, year_to=2020)) == (
        "year > 0 and year >= 2018 and year <= 2020")
    assert milvus_engine.filter_expression(Filters(grades=("good", "requires improvement to be good"))) == (
        '(grade == "good" or grade like "requires improvement%")')
    assert milvus_engine.filter_expression(Filters(regions=("London",), kinds=("report",))) == (
        'region in ["london"] and type in ["report"]')
    assert milvus_engine.scope_expression(None) == ""
