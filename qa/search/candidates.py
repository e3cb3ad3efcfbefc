"""Where the retriever's candidates come from: the seam between ranking and the engine.

The retriever asks the whole collection two things per question: the sentences
whose vectors are nearest the question's, and the chunks that score best by
BM25 for its words, each in the whole collection or in a scope (the documents
the filters allow, or those the question points at). Everything after that
(the candidates' cosines, coverage, the fusion, the learned ranker, the quotes)
is computed by the retriever from the local build. A `CandidateSource` answers
the two asks, and a third for a source that gives only the best chunks: the
BM25 of chunks it left out that the retriever holds as candidates.

- `EmbeddedSource`, the default: FAISS and bm25s in this process, over the
  build's own files.
- `MilvusSource` (qa/index/milvus_engine.py): a Milvus server or cluster, or
  milvus-lite in this process, holding the same sentences and chunks.

The index manifest's "engine" names the source (`open_source`); an index
without one is embedded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.errors import IndexMismatch
from qa.index import dense
from qa.index.store import LoadedIndex
from qa.records import ChunkColumn

from .filters import Filters


@dataclass(frozen=True, slots=True)
class Scope:
    """A part of the collection to search: the documents of `mask` (bool per
    document of the local build), which are those `filters` allow and, when
    `documents` is given, only those of it. A source over the local build reads
    the mask; an engine that holds documents' metadata applies the filters as
    its own and names `documents` explicitly."""

    mask: np.ndarray
    filters: Filters | None = None
    documents: np.ndarray | None = None  # bool per document, or None: every document the filters allow


class CandidateSource(Protocol):
    kind: str  # "embedded", "milvus"
    # True when lexical_chunks returns every chunk that holds a term (so
    # lexical_scores adds nothing): the retriever then never asks for it.
    scores_every_chunk: bool

    def dense_sentences(self, qvec: np.ndarray, k: int, scope: Scope | None = None) -> np.ndarray:
        """Ids (rows of the build's sentences) of the k sentences nearest the
        question's vector, in the whole collection or in `scope`; in no order."""
        ...

    def lexical_chunks(self, terms: list[str], k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids (rows of the build's chunks) and BM25 scores of at least the k
        best chunks for these stemmed terms (qa.index.lexical.tokenize, known to
        the build's vocabulary; repeats count), in the whole collection or in
        `scope`. A source may return more than k (the embedded one returns every
        chunk with a positive score); a chunk it leaves out is taken to score 0
        until lexical_scores is asked for it."""
        ...

    def lexical_scores(self, terms: list[str], chunk_ids: np.ndarray) -> np.ndarray:
        """The BM25 of these chunks for these terms (0 for a chunk holding none
        of them), one per id: the candidates' own scores, which lexical_chunks
        may have left out when they are far from the best."""
        ...


class EmbeddedSource:
    """FAISS over the sentence vectors and bm25s over the chunks, in this process."""

    kind = "embedded"
    scores_every_chunk = True

    def __init__(self, index: LoadedIndex):
        self.index = index
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None  # the last terms' scores of every chunk

    def dense_sentences(self, qvec: np.ndarray, k: int, scope: Scope | None = None) -> np.ndarray:
        if scope is None:
            _, ids = dense.search(self.index.vectors, qvec[None, :], k)
            return ids[0][ids[0] >= 0]
        # Within a scope, exact: a scope is a few documents, and an approximate
        # index searched for a few of its rows misses most of them.
        sentence_ids = np.flatnonzero(scope.mask[self.index.doc_of_sentence])
        if not len(sentence_ids):
            return sentence_ids
        cos = dense.vectors_of(self.index.vectors, sentence_ids) @ qvec
        return sentence_ids[top(cos, k, positive_only=False)]

    def lexical_chunks(self, terms: list[str], k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        # bm25s scores every chunk at once: all of them are returned, whatever k.
        scores = self._scores(terms)
        held = scores > 0
        if scope is not None:
            held &= scope.mask[self.index.chunks[:, ChunkColumn.DOC]]
        ids = np.flatnonzero(held)
        return ids, scores[ids]

    def lexical_scores(self, terms: list[str], chunk_ids: np.ndarray) -> np.ndarray:
        return self._scores(terms)[chunk_ids]

    def _scores(self, terms: list[str]) -> np.ndarray:
        """Every chunk's BM25 for these terms, kept for the same terms asked again (in a scope)."""
        key, last = tuple(terms), self._last  # (read once: threads may share this source)
        if last is None or last[0] != key:
            last = self._last = (key, self.index.lexical.scores_of_terms(terms))
        return last[1]


def open_source(index: LoadedIndex) -> CandidateSource:
    """The source the index's manifest names ("engine"); embedded when it names none."""
    engine = index.manifest.get("engine") or {"kind": "embedded"}
    kind = engine.get("kind", "embedded")
    if kind == "embedded":
        return EmbeddedSource(index)
    if kind == "milvus":
        from qa.index.milvus_engine import MilvusSource

        return MilvusSource(index, engine)
    raise IndexMismatch(f"The index at {index.folder} names a search engine this code does not know ({kind!r}); "
                        "rebuild it with `python -m qa build`.")


def top(scores: np.ndarray, n: int, *, positive_only: bool = True) -> np.ndarray:
    """Indices of the n highest scores (unordered); only positive ones if asked."""
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    n = min(n, len(scores))
    top_n = np.argpartition(-scores, n - 1)[:n]
    return top_n[scores[top_n] > 0] if positive_only else top_n
