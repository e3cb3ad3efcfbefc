"""BM25 over chunks (bm25s), with English stemming and stop words.

Tokenisation is ours rather than bm25s.tokenize so that indexing and
querying can never disagree, and so that possessives and curly apostrophes
("council’s") reduce to the same stem as the bare word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"\w\w+", re.UNICODE)
_STOP = frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
    return _stemmer().stemWords(words)


class LexicalIndex:
    """BM25 scores of every chunk for a query; the maths lives in bm25s."""

    def __init__(self, model: bm25s.BM25):
        self._model = model
        self._vocab = model.vocab_dict
        # documents per term: the term columns' lengths in bm25s' sparse matrix
        self._document_frequencies = np.diff(np.asarray(model.scores["indptr"]))

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        model = bm25s.BM25(k1=1.2, b=0.75)
        tokens = [tokenize(t) or ["\u2400"] for t in texts]  # an empty chunk still takes its row
        model.index(tokens, show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False))

    @property
    def vocabulary(self) -> dict[str, int]:
        """Stemmed term -> its column in the index."""
        return self._vocab

    def known_terms(self, query: str) -> list[str]:
        return [t for t in tokenize(query) if t in self._vocab]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (zeros when no query term is known)."""
        terms = self.known_terms(query)
        n = self._model.scores["num_docs"]
        if not terms:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)

    def scores_of_terms(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every chunk for stemmed terms already in the vocabulary."""
        if not terms:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term (0 when unknown)."""
        if term not in self._vocab:
            return 0.0
        n = self._model.scores["num_docs"]
        df = self._document_frequencies[self._vocab[term]]
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

