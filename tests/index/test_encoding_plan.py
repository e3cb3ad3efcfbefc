"""The build's encoding levers are exact: each text encoded once, stock text
given its first occurrence's vector, the encoder recorded, and a changed
encoder re-encoding everything (qa/index/build.py encoding_plan, qa/index/embed.py)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.errors import ModelUnavailable
from qa.index import build, export
from qa.index.build import PreviousVectors, build_index, encoding_plan, repeated_sentences
from qa.index.embed import encoder_key, encoder_of, make_embedder
from qa.index.store import load_index, read_index_manifest
from qa.records import Sentence
from qa.search.retrieve import Retriever
from tests.conftest import SEEDS, FakeEmbedder


class TextCounter(FakeEmbedder):
    """The fake embedder, counting the texts it is given (each one's vector depends on it alone)."""

    def __init__(self, encoder: dict | None = None):
        super().__init__()
        self.texts: list[str] = []
        if encoder is not None:
            self.encoder_info = encoder

    def encode(self, texts, *, batch_size=64):
        self.texts += texts
        return super().encode(texts, batch_size=batch_size)


def _every_sentence_plan(documents, sentences, texts, previous):
    """The plan before the levers: every sentence encoded from its own text."""
    reused = {i: previous.sentence_rows[t] for i, t in enumerate(texts) if t in previous.sentence_rows}
    todo = [i for i in range(len(texts)) if i not in reused]
    return reused, [texts[i] for i in todo], [[i] for i in todo]


@pytest.fixture(scope="module")
def seed_builds(tmp_path_factory):
    """The seeds built with the levers and, for reference, with every sentence encoded."""
    planned, every = TextCounter(), TextCounter()
    lever_dir, every_dir = tmp_path_factory.mktemp("planned"), tmp_path_factory.mktemp("every")
    build_index([SEEDS], lever_dir, embedder=planned)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "encoding_plan", _every_sentence_plan)
        build_index([SEEDS], every_dir, embedder=every)
    return load_index(lever_dir), load_index(every_dir), planned, every


def test_each_text_is_encoded_once(seed_builds):
    planned_index, _, planned, every = seed_builds
    sentences = len(planned_index.sentences)
    documents = len(planned_index.documents)
    assert len(every.texts) == sentences + documents  # the reference encoded every sentence (and document)
    assert len(planned.texts) == len(set(planned.texts))  # no text twice
    texts = [planned_index.documents[d].text[s:e] for d, s, e, _ in planned_index.sentences.tolist()]
    assert len(planned.texts) < len(set(texts)) + documents  # stock variants folded too
    assert planned_index.repeated.any()  # (the seeds have stock text: the lever is exercised)


def test_quotable_sentences_keep_their_own_vectors(seed_builds):
    planned_index, every_index, *_ = seed_builds
    assert np.array_equal(planned_index.sentences, every_index.sentences)
    a = planned_index.vectors.reconstruct_n(0, planned_index.vectors.ntotal)
    b = every_index.vectors.reconstruct_n(0, every_index.vectors.ntotal)
    quotable = ~planned_index.repeated
    assert np.array_equal(a[quotable], b[quotable])
    assert np.array_equal(planned_index.document_vectors, every_index.document_vectors)
    # a stock sentence has the vector of the first sentence with its words (digits folded)
    texts = [planned_index.documents[d].text[s:e] for d, s, e, _ in planned_index.sentences.tolist()]
    keys = build._stock_keys(planned_index.documents, [Sentence(*r) for r in planned_index.sentences.tolist()])
    first: dict[str, int] = {}
    for i in np.flatnonzero(planned_index.repeated):
        j = first.setdefault(keys[i], i)
        assert np.array_equal(a[i], b[j])
        if texts[i] == texts[j]:
            assert np.array_equal(a[i], b[i])


def test_search_results_are_those_of_encoding_everything(seed_builds, fake_embedder):
    from qa.evaluate.judgments import read_queries
    from tests.conftest import DATA

    planned_index, every_index, *_ = seed_builds
    questions = [q.question for f in ("seed_questions.jsonl", "report_questions.jsonl")
                 for q in read_queries(DATA / f)]
    a, b = Retriever(planned_index, fake_embedder), Retriever(every_index, fake_embedder)
    for question in questions:
        assert [(p.doc_id, p.start, p.end, round(p.score, 6)) for p in a.search(question, k=10)] == \
            [(p.doc_id, p.start, p.end, round(p.score, 6)) for p in b.search(question, k=10)], question


def test_plan_reuses_previous_vectors_by_text():
    from qa.records import Document

    text = "Call line 1. Write to us. A finding."
    docs = [Document(doc_id=f"d{i}", source=f"d{i}.txt", title="", text=text.replace("1", str(i)), content_hash=str(i))
            for i in range(6)]
    sentences = [Sentence(i, s, e, 0) for i in range(6) for s, e in ((0, 12), (13, 25), (26, 36))]
    texts = [docs[s.doc_index].text[s.start : s.end] for s in sentences]
    assert repeated_sentences(docs, sentences).tolist() == [True, True, True] * 6
    reused, encode, rows_of = encoding_plan(docs, sentences, texts, PreviousVectors())
    assert not reused and encode == ["Call line 0.", "Write to us.", "A finding."]
    assert sorted(i for rows in rows_of for i in rows) == list(range(18))
    previous = PreviousVectors(sentence_rows={"Call line 0.": 7, "Call line 3.": 9})
    reused, encode, _ = encoding_plan(docs, sentences, texts, previous)
    assert reused[9] == 9 and all(reused[i] == 7 for i in (0, 3, 6, 12, 15))  # its own text first
    assert encode == ["Write to us.", "A finding."]


def test_a_changed_encoder_re_encodes_and_is_recorded(tmp_path):
    index_dir = tmp_path / "index"
    torch_like = TextCounter()
    build_index([SEEDS], index_dir, embedder=torch_like)
    assert read_index_manifest(index_dir)["encoder"] == {"kind": "torch"}
    # the same encoder: nothing to do
    assert build_index([SEEDS], index_dir, embedder=TextCounter()).up_to_date
    # another encoder: a new build, every text encoded again (no vector of the other kept)
    quantised = TextCounter({"kind": "onnx-int8", "file": "x/model_qint8.onnx", "sha256": "ab"})
    report = build_index([SEEDS], index_dir, embedder=quantised)
    assert not report.up_to_date and len(quantised.texts) == len(torch_like.texts)
    assert read_index_manifest(index_dir)["encoder"]["kind"] == "onnx-int8"
    assert build_index([SEEDS], index_dir, embedder=TextCounter(dict(quantised.encoder_info))).up_to_date
    # the same kind made from another export (another hash) re-encodes too
    other = TextCounter({"kind": "onnx-int8", "file": "x/model_qint8.onnx", "sha256": "cd"})
    assert not build_index([SEEDS], index_dir, embedder=other).up_to_date and other.texts


def test_encoder_identity():
    assert encoder_key(None) == encoder_key({"kind": "torch", "runtime": "torch 2.13.0+cpu"}) == ["torch", None]
    assert encoder_key({"kind": "onnx", "sha256": "1"}) != encoder_key({"kind": "onnx", "sha256": "2"})
    assert encoder_of(FakeEmbedder()) == {"kind": "torch"}


def test_an_encoder_without_its_runtime_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    with pytest.raises(ModelUnavailable, match="make setup-cluster"):
        export.require("openvino")
    with pytest.raises(ModelUnavailable, match="Unknown encoder"):
        make_embedder("all-MiniLM-L6-v2", encoder="tensorrt")
