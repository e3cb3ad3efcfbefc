"""What the ranker knows about each candidate sentence for a question.

Features are numbers computed from the index and the question alone: how
close the sentence, its neighbours and its section are to the question in
meaning and in words; whether its document is about the place and time
asked; whether it holds the kind of thing asked for (a figure for "how
many", a reason for "why"); where in the report it stands. `qa/search/ranker.py`
turns them into one score. They are computed for a few hundred candidates
per question, from what the build stored about each sentence
(qa/index/sentence_facts.py), so each is a lookup or a small matrix product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.index import dense
from qa.index.lexical import tokenize
from qa.index.sentence_facts import FACTS
from qa.index.store import LoadedIndex
from qa.records import SentenceColumn

from .query import Query

# What a question asks for, read from its wording.
_ASKS_QUANTITY = re.compile(
    r"\b(?:how\s+(?:many|much|long|often|quickly|soon)|what\s+(?:proportion|percentage|share|number|fraction)"
    r"|number\s+of|percentage|per\s*cent|proportion|how\s+big|how\s+large)\b", re.I)
_ASKS_WHY = re.compile(r"\b(?:why|reason|reasons|because|cause[sd]?|explain|what\s+led\s+to|how\s+come)\b", re.I)
_ASKS_WHEN = re.compile(r"\b(?:when|what\s+year|which\s+year|what\s+date|since\s+when|how\s+long\s+ago)\b", re.I)
_ASKS_WHO = re.compile(r"\b(?:who|whom|whose|which\s+(?:council|authority|authorities|councils|organisation))\b", re.I)

FEATURES = (
    "cos", "cos_rank", "cos_context", "cos_gap",
    "chunk_bm25", "chunk_bm25_rank", "coverage", "coverage_context", "coverage_heading", "rarest_matched",
    "document_bm25", "document_cos",
    "place", "year", "latest", "recency", "untimed_recency",
    "asks_quantity", "asks_why", "asks_when", "asks_who",
    "has_number", "has_money", "has_reason", "has_date",
    "quantity_match", "why_match", "when_match",
    "improve_section", "first_page", "numbered", "footnote", "words", "position",
    "fusion",
)
_COL = {name: i for i, name in enumerate(FEATURES)}
_FACT = {name: i for i, name in enumerate(FACTS)}


@dataclass(frozen=True, slots=True)
class QuestionCues:
    quantity: bool
    why: bool
    when: bool
    who: bool

    @classmethod
    def of(cls, text: str) -> QuestionCues:
        return cls(bool(_ASKS_QUANTITY.search(text)), bool(_ASKS_WHY.search(text)),
                   bool(_ASKS_WHEN.search(text)), bool(_ASKS_WHO.search(text)))


class SentenceTable:
    """Per-sentence positions of an index, computed once when it is loaded."""

    def __init__(self, index: LoadedIndex):
        self.index = index
        s = index.sentences
        self.doc = index.doc_of_sentence
        block = s[:, SentenceColumn.BLOCK]
        self.chunk = index.chunk_of_sentence
        n = len(s)
        idx = np.arange(n)
        # the sentence before / after in the same block (-1 when none)
        same_prev = np.r_[False, (self.doc[1:] == self.doc[:-1]) & (block[1:] == block[:-1])] if n else \
            np.zeros(0, dtype=bool)
        same_next = np.r_[same_prev[1:], False] if n else same_prev
        self.prev = np.where(same_prev, idx - 1, -1)
        self.next = np.where(same_next, idx + 1, -1)


def compute_features(
    table: SentenceTable, query: Query, qvec: np.ndarray, candidates: np.ndarray, *,
    lexical_scores: np.ndarray, document_lexical: np.ndarray, idf, place_mask: np.ndarray | None,
    year_mask: np.ndarray | None, latest: np.ndarray, recency: np.ndarray, fused: np.ndarray | None = None,
) -> np.ndarray:
    """A (len(candidates), len(FEATURES)) matrix, in the order of FEATURES.
    `fused`: the hand-set fusion's scores of the candidates; min-max scaled
    over them, it is the ranker's anchor, the same scale in any collection."""
    index = table.index
    facts = index.facts
    c = np.asarray(candidates, dtype=np.int64)
    n = len(c)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if n == 0 or facts is None:
        return out
    # meaning
    cos = dense.vectors_of(index.vectors, c) @ qvec
    prev, nxt = table.prev[c], table.next[c]
    cos_prev = _cosines(index, np.where(prev >= 0, prev, c), qvec) * (prev >= 0)
    cos_next = _cosines(index, np.where(nxt >= 0, nxt, c), qvec) * (nxt >= 0)
    out[:, _COL["cos"]] = cos
    out[:, _COL["cos_rank"]] = _rank_score(cos)
    out[:, _COL["cos_context"]] = np.maximum(cos_prev, cos_next)
    out[:, _COL["cos_gap"]] = cos - cos.max()
    if fused is not None and n > 1 and np.ptp(fused) > 0:
        out[:, _COL["fusion"]] = (fused - fused.min()) / np.ptp(fused)
    # words
    chunk_bm25 = lexical_scores[table.chunk[c]]
    out[:, _COL["chunk_bm25"]] = chunk_bm25 / max(1e-6, float(chunk_bm25.max()))
    out[:, _COL["chunk_bm25_rank"]] = _rank_score(chunk_bm25)
    vocabulary = index.lexical.vocabulary
    terms = sorted({t for t in tokenize(query.keywords) if t in vocabulary})
    if terms:
        columns = np.array([vocabulary[t] for t in terms])
        weights = np.array([idf(t) for t in terms], dtype=np.float64)
        total = weights.sum() or 1.0
        own = facts.terms[c][:, columns].toarray() > 0
        around = own | (facts.terms[np.where(prev >= 0, prev, c)][:, columns].toarray() > 0) \
            | (facts.terms[np.where(nxt >= 0, nxt, c)][:, columns].toarray() > 0)
        rows = facts.heading_row[c]
        heading = facts.heading_terms[np.maximum(rows, 0)][:, columns].toarray() > 0 if facts.heading_terms.shape[0] \
            else np.zeros_like(own)
        heading &= (rows >= 0)[:, None]
        out[:, _COL["coverage"]] = own @ weights / total
        out[:, _COL["coverage_context"]] = around @ weights / total
        out[:, _COL["coverage_heading"]] = heading @ weights / total
        out[:, _COL["rarest_matched"]] = (own * weights).max(axis=1) / max(weights.max(), 1e-9)
    docs = table.doc[c]
    doc_bm25 = document_lexical[docs]
    out[:, _COL["document_bm25"]] = doc_bm25 / max(1e-6, float(doc_bm25.max()))
    out[:, _COL["document_cos"]] = index.document_vectors[docs] @ qvec
    # place and time
    out[:, _COL["place"]] = place_mask[docs] if place_mask is not None else 0
    out[:, _COL["year"]] = year_mask[docs] if year_mask is not None else 0
    out[:, _COL["latest"]] = latest[docs] if query.latest else 0
    out[:, _COL["recency"]] = recency[docs]
    out[:, _COL["untimed_recency"]] = recency[docs] if not (query.years or query.latest) else 0
    # what is asked for, and what the sentence holds
    cues = QuestionCues.of(query.text)
    stored = facts.facts[c]
    for name in ("has_number", "has_money", "has_reason", "has_date", "improve_section", "first_page", "numbered",
                 "footnote", "words", "position"):
        out[:, _COL[name]] = stored[:, _FACT[name]]
    out[:, _COL["asks_quantity"]] = cues.quantity
    out[:, _COL["asks_why"]] = cues.why
    out[:, _COL["asks_when"]] = cues.when
    out[:, _COL["asks_who"]] = cues.who
    out[:, _COL["quantity_match"]] = out[:, _COL["has_number"]] * cues.quantity
    out[:, _COL["why_match"]] = out[:, _COL["has_reason"]] * cues.why
    out[:, _COL["when_match"]] = out[:, _COL["has_date"]] * cues.when
    return out


def _cosines(index: LoadedIndex, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
    return dense.vectors_of(index.vectors, rows) @ qvec


def _rank_score(x: np.ndarray) -> np.ndarray:
    """1 for the best of the candidates, falling to 0 for the worst."""
    order = np.argsort(-x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    return 1.0 - ranks / max(1, len(x) - 1)
