"""Hybrid retrieval: dense sentences + BM25 chunks, fused, place-aware.

The ranking unit is the sentence, since it is what gets quoted. Its dense
score is its own cosine to the question; its lexical score mixes the BM25 of
its chunk (context) with the share of the question's words it contains. Both
are min-max normalised over the candidates and mixed (a convex combination,
which measured better than reciprocal rank fusion: docs/choices.md, "Fusion").
Documents about the authority or year the question names, or the latest
inspection when it asks for that, are preferred; filters exclude documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index import dense
from qa.index.embed import Embedder, per_model_entry
from qa.index.lexical import tokenize
from qa.index.store import LoadedIndex
from qa.ingest.gazetteer import Gazetteer, load_gazetteer
from qa.records import ChunkColumn, Passage

from . import expansion
from .candidates import CandidateSource, Scope, open_source
from .candidates import top as _top
from .features import SentenceTable, compute_features
from .filters import Filters, document_mask, document_years, latest_per_authority, recency_of
from .query import Query, parse_question
from .quote import choose_span, make_passage
from .ranker import DEFAULT_SHARE, load_ranker
from .timing import stage


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    mode: str = "hybrid"  # "hybrid", "dense" or "lexical"
    fusion: str = "convex"  # "convex" (normalised scores) or "rrf"
    dense_weight: float = 0.7
    # The dense weight for sentences of articles (and any document that is not a
    # report: benchmark corpora); None: the index model's own, chosen on the seed
    # articles' dev questions (FUSION_WEIGHTS_FILE), else dense_weight. Reports keep
    # dense_weight: the learned ranker was trained on their fusion.
    article_dense_weight: float | None = None
    # Lexical side of a sentence: BM25 of its chunk (context) mixed with the
    # idf-weighted share of the question's words found in the sentence itself.
    coverage_weight: float = 0.5
    context_weight: float = 0.0  # share of the best neighbouring sentence's cosine
    candidates: int = 100  # chunks from each side before fusion
    # Added to the fused score (in [0, 1]) of documents about the place asked:
    # 1.0 ranks every passage about that place first, which is what someone
    # who names an authority expects; other places follow.
    place_boost: float = 1.0
    # The same for documents of a year the question names, and for the latest
    # inspection of each authority when it asks for the "latest" one.
    time_boost: float = 0.5
    rrf_k: int = 60
    # Ranking whole documents (evaluation at document level, BEIR): the
    # weight of the dense side (see rank_documents).
    document_dense_weight: float = 0.5
    document_pool: int = 2000  # sentences drawn from the vector index per query
    # The learned ranker (qa/search/ranker.py) reorders the report sentences among the
    # fusion's best `ranked`: `ranker` if given, else the index model's committed
    # one when `learned`.
    ranker: object | None = None
    learned: bool = True
    # Weight of the learned rank against the fusion's (_learned_order); None:
    # the ranker's own, chosen on dev for its model.
    learned_share: float | None = None
    ranked: int = 200  # the fusion's best this many are what the ranker reorders
    # BM25 of the words the question's words go with in answers (qa/search/expansion.py),
    # added to the chunk's BM25 at this weight, in collections of reports: "locum"
    # finds "agency staff". Chosen on dev (0.2 / 0.4 / 0.7: see docs/evaluation.md).
    expansion_weight: float = 0.2


DEFAULT_SETTINGS = RetrievalSettings()
FUSION_WEIGHTS_FILE = Path(__file__).with_name("fusion_weights.json")


class Retriever:
    def __init__(
        self, index: LoadedIndex, embedder: Embedder, *, gazetteer: Gazetteer | None = None,
        source: CandidateSource | None = None,
    ):
        self.index = index
        self.embedder = embedder
        # Where candidates come from (qa/search/candidates.py): the engine the index's manifest names.
        self.source = source if source is not None else open_source(index)
        self.gazetteer = gazetteer or load_gazetteer()
        self._chunk_of_sentence = index.chunk_of_sentence
        self._doc_of_sentence = index.doc_of_sentence
        self._places = [set(d.places) for d in index.documents]
        self._years = [document_years(d) for d in index.documents]
        self._is_report = np.array([d.kind == "report" for d in index.documents], dtype=bool)
        self._latest = latest_per_authority(index.documents)
        self.ranker = load_ranker(index.manifest.get("model", ""))
        # Learned from questions about reports: a collection without reports keeps its words.
        self.expansions = expansion.load() if self._is_report.any() else {}
        self._article_dense_weight = per_model_entry(FUSION_WEIGHTS_FILE, index.manifest.get("model", "")).get(
            "article_dense_weight")
        self.table = SentenceTable(index)
        self._recency = recency_of(index.documents)
        self._collection_places: set[str] = set().union(*self._places) if self._places else set()
        self._collection_regions = {region for d in index.documents if (region := d.meta.get("region"))}
        # Every year a document is dated by (inspection or publication): a question naming
        # one of them is asking about that time, not for the word.
        self._collection_years: set[int] = set().union(*self._years) | {
            int(v[:4]) for d in index.documents for v in (d.date, *d.meta.values()) if v and _is_date(v)
        }

    def parse(self, question: str) -> Query:
        # A collection without place metadata (a benchmark corpus) cannot prefer
        # a place's documents, so there a place named stays a word to match.
        return parse_question(
            question, self.gazetteer, known_places=None if self._collection_places else set(),
            known_years=self._collection_years,
        )

    def encode(self, query: Query) -> np.ndarray:
        """The question's vector. Places are left out: they are matched
        against documents' places, and in the text they would pull every
        sentence that merely names the place above the ones that answer."""
        with stage("encode"):
            return self.embedder.encode([query.topic])[0]

    def collection_places(self) -> set[str]:
        return self._collection_places

    def collection_regions(self) -> set[str]:
        """The regions of the collection's authorities."""
        return self._collection_regions

    def search(
        self, question: str, *, k: int = 5, settings: RetrievalSettings = DEFAULT_SETTINGS,
        filters: Filters | None = None,
    ) -> list[Passage]:
        query = self.parse(question)
        return self.search_query(query, self.encode(query), k=k, settings=settings, filters=filters)

    def search_query(
        self, query: Query, qvec: np.ndarray, *, k: int, settings: RetrievalSettings = DEFAULT_SETTINGS,
        filters: Filters | None = None,
    ) -> list[Passage]:
        """Top-k quotes for a parsed question and its vector."""
        allowed = document_mask(self.index.documents, filters)
        if query.is_overview:
            sentence_ids, fused, cosines = self._overview_sentences(query, qvec, allowed)
        else:
            sentence_ids, fused, cosines = self._rank_sentences(query, qvec, settings, allowed, filters)
        with stage("quote"):
            return self._quotes(sentence_ids, fused, cosines, k)

    def _quotes(self, sentence_ids: np.ndarray, fused: np.ndarray, cosines: np.ndarray, k: int) -> list[Passage]:
        """The best k quotes around the ranked sentences, never overlapping or repeated."""
        passages: list[Passage] = []
        quoted: set[int] = set()
        seen_quotes: set[str] = set()
        for sid, score, cos in zip(sentence_ids, fused, cosines, strict=True):
            if sid in quoted:
                continue
            lo, hi = choose_span(self.index, int(sid))
            if quoted.intersection(range(lo, hi + 1)):
                continue  # overlaps a quote already given
            p = make_passage(
                self.index, lo, hi, rank=len(passages) + 1, score=float(score), evidence=float(cos)
            )
            quoted.update(range(lo, hi + 1))
            key = " ".join(p.quote.lower().split())
            if key in seen_quotes:  # the same words in another document: show once
                continue
            seen_quotes.add(key)
            passages.append(p)
            if len(passages) == k:
                break
        return passages

    def _rank_sentences(
        self, query: Query, qvec: np.ndarray, settings: RetrievalSettings, allowed: np.ndarray | None,
        filters: Filters | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate sentence ids, best first, with their scores and cosines."""
        empty = np.zeros(0, dtype=np.int64)
        if len(self.index.chunks) == 0:
            return empty, np.zeros(0), np.zeros(0)
        scopes = self._scopes(allowed, filters, self._preferred_documents(query))
        with stage("lexical"):
            lexical_all = self._chunk_lexical(query, settings, scopes)
        with stage("vector"):  # (the candidate pools: mostly the FAISS searches)
            candidates = self._candidates(qvec, lexical_all, settings, allowed, scopes)
            cos = dense.vectors_of(self.index.vectors, candidates) @ qvec
        with stage("lexical"):
            unscored = self._unscored_chunks(lexical_all, candidates)
            lexical_all = self._complete_lexical(query, settings, lexical_all, unscored)
        if len(candidates) == 0:
            return empty, np.zeros(0), np.zeros(0)
        fused = self._fused(query, qvec, candidates, cos, lexical_all, settings)
        order = np.argsort(-fused, kind="stable")
        candidates, fused, cos = candidates[order], fused[order], cos[order]
        ranker = settings.ranker or (self.ranker if settings.learned else None)
        if ranker is not None and settings.mode == "hybrid":
            share = settings.learned_share if settings.learned_share is not None else getattr(
                ranker, "share", DEFAULT_SHARE)
            with stage("rank"):
                candidates, cos = self._learned_order(query, qvec, candidates, fused, cos, lexical_all, ranker,
                                                      settings.ranked, share)
        return candidates, fused, cos

    def _learned_order(
        self, query: Query, qvec: np.ndarray, candidates: np.ndarray, fused: np.ndarray, cos: np.ndarray,
        lexical_all: np.ndarray, ranker, top: int, share: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fusion's best `top`, with the report sentences among them put in
        the learned ranker's order, in the places report sentences held. The
        ranker was trained on reports only (what users ask about); on the seed
        articles its weights on BM25 and neighbouring sentences cost a fifth of
        the top-one hits, so articles (and benchmark corpora) keep the fusion's
        order, and each score stays with its place in the list. The order given
        is by the mean of the learned and the fused rank, weighted `share` to
        the learned, the ranker's own `share`. Chosen on dev (0.5 / 0.7 / 0.85 / 1,
        top one then top five): adapted model 0.721 / 0.770 / 0.770 / 0.770 and
        0.933 / 0.945 / 0.933 / 0.921, so 0.7; packaged model 0.611 / 0.677 /
        0.671 / 0.671 and 0.874 / 0.874 / 0.880 / 0.862, a tie, so 0.7, which
        also loses less on the ten sample reports (top five 0.925 against 0.875)."""
        top = min(top, len(candidates))
        slots = np.flatnonzero(self._is_report[self._doc_of_sentence[candidates[:top]]])
        if len(slots) < 2:
            return candidates, cos
        features = self.features(query, qvec, candidates[slots], lexical_all, fused=fused[slots])
        learned = np.asarray(ranker.score(features), dtype=np.float64)
        # Ranks, not scores, are mixed: the slots are in the fusion's order already.
        learned_rank = np.empty(len(slots))
        learned_rank[np.argsort(-learned, kind="stable")] = np.arange(len(slots))
        mixed = share * learned_rank + (1 - share) * np.arange(len(slots))
        order = np.arange(len(candidates))
        order[slots] = slots[np.argsort(mixed, kind="stable")]
        return candidates[order], cos[order]

    def ranker_examples(
        self, query: Query, qvec: np.ndarray, settings: RetrievalSettings = DEFAULT_SETTINGS
    ) -> tuple[np.ndarray, np.ndarray]:
        """What the learned ranker sees for a question: the fusion's best
        `settings.ranked` sentence ids and their features (training, qa/search/ranker.py)."""
        scopes = self._scopes(None, None, self._preferred_documents(query))
        lexical_all = self._chunk_lexical(query, settings, scopes)
        candidates = self._candidates(qvec, lexical_all, settings, None, scopes)
        cos = dense.vectors_of(self.index.vectors, candidates) @ qvec
        unscored = self._unscored_chunks(lexical_all, candidates)
        lexical_all = self._complete_lexical(query, settings, lexical_all, unscored)
        fused = self._fused(query, qvec, candidates, cos, lexical_all, settings)
        best = np.argsort(-fused, kind="stable")[: settings.ranked]
        return candidates[best], self.features(query, qvec, candidates[best], lexical_all, fused=fused[best])

    def _fused(
        self, query: Query, qvec: np.ndarray, candidates: np.ndarray, cos: np.ndarray, lexical_all: np.ndarray,
        settings: RetrievalSettings,
    ) -> np.ndarray:
        """The hand-set fusion: normalised dense and lexical scores mixed, plus boosts."""
        dense_scores = cos
        if settings.context_weight:
            dense_scores = cos + settings.context_weight * self._neighbour_cosines(candidates, qvec)
        with stage("lexical"):
            lexical_scores = (1 - settings.coverage_weight) * _minmax(
                lexical_all[self._chunk_of_sentence[candidates]]
            ) + settings.coverage_weight * self._coverage(candidates, query)
        fused = fuse(_minmax(dense_scores), _minmax(lexical_scores), settings,
                     dense_weight=self._dense_weights(candidates, settings))
        return fused + self._boosts(query, settings)[self._doc_of_sentence[candidates]]

    def _chunk_lexical(self, query: Query, settings: RetrievalSettings, scopes: Sequence[Scope] = ()) -> np.ndarray:
        """Each chunk's BM25 for the question, plus its BM25 for the words the
        question's words go with in answers, weighted."""
        scores = np.zeros(len(self.index.chunks), dtype=np.float32)
        asks = self._lexical_terms(query, settings)
        for terms, weight in asks:
            scores += weight * self._bm25(terms, settings.candidates, scopes)
        if len(asks) > 1:
            # A chunk among the best for one list and not the other has only
            # part of its score from a source that gives the best: the rest is
            # asked, so the best chunks overall are those of the embedded engine.
            scores = self._complete_lexical(query, settings, scores, np.flatnonzero(scores))
        return scores

    def _lexical_terms(self, query: Query, settings: RetrievalSettings) -> list[tuple[list[str], float]]:
        """The term lists the question is scored by, with their weights: its own
        words known to the collection, and their expansions."""
        asks = [(self.index.lexical.known_terms(query.keywords), 1.0)]
        if settings.expansion_weight and self.expansions:
            # every word asked, known to the collection or not: "locum" is in no report
            extra = expansion.expand(tokenize(query.keywords), self.expansions, self.index.lexical.vocabulary)
            if extra:
                asks.append((extra, settings.expansion_weight))
        return [(terms, weight) for terms, weight in asks if terms]

    def _complete_lexical(
        self, query: Query, settings: RetrievalSettings, lexical_all: np.ndarray, chunk_ids: np.ndarray
    ) -> np.ndarray:
        """lexical_all with these chunks' own scores, from a source that gave
        only the best chunks (Milvus), as the embedded source gives every one.
        (After _chunk_lexical a chunk with a score has all of it: only those at
        0 can be missing theirs.)"""
        if self.source.scores_every_chunk or not len(chunk_ids):
            return lexical_all
        chunk_ids = np.unique(chunk_ids)
        own = np.zeros(len(chunk_ids), dtype=np.float32)
        for terms, weight in self._lexical_terms(query, settings):
            own += weight * self.source.lexical_scores(terms, chunk_ids)
        lexical_all = lexical_all.copy()
        lexical_all[chunk_ids] = own
        return lexical_all

    def _unscored_chunks(self, lexical_all: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """The candidates' chunks the source gave no score: a candidate found by
        its meaning, below the best chunks Milvus gives, keeps its BM25 instead of 0."""
        chunk_ids = self._chunk_of_sentence[candidates]
        return chunk_ids[lexical_all[chunk_ids] == 0]

    def _bm25(self, terms: list[str], k: int, scopes: Sequence[Scope] = ()) -> np.ndarray:
        """Each chunk's BM25 for these terms, as the source gives it for at least
        the k best of the whole collection and of each scope; 0 for the chunks it
        leaves out (the embedded source leaves out none that hold a term)."""
        scores = np.zeros(len(self.index.chunks), dtype=np.float32)
        if terms:
            for scope in (None, *scopes):
                ids, found = self.source.lexical_chunks(terms, k, scope)
                scores[ids] = found
        return scores

    def _dense_weights(self, candidates: np.ndarray, settings: RetrievalSettings) -> float | np.ndarray:
        """The dense weight of each candidate sentence: reports' and articles' (see RetrievalSettings)."""
        article = settings.article_dense_weight
        if article is None:
            article = self._article_dense_weight if self._article_dense_weight is not None else settings.dense_weight
        if article == settings.dense_weight:
            return settings.dense_weight
        return np.where(self._is_report[self._doc_of_sentence[candidates]], settings.dense_weight, float(article))

    def features(
        self, query: Query, qvec: np.ndarray, candidates: np.ndarray, lexical_all: np.ndarray,
        fused: np.ndarray | None = None,
    ) -> np.ndarray:
        """The ranker's view of each candidate sentence (qa/search/features.py)."""
        place = self._about_places(query) if query.places else None
        year = self._of_years(query.years) if query.years else None
        return compute_features(
            self.table, query, qvec, candidates, lexical_scores=lexical_all,
            document_lexical=self.index.document_lexical.scores(query.keywords),
            idf=self.index.lexical.idf, place_mask=place, year_mask=year, latest=self._latest,
            recency=self._recency, fused=fused,
        )

    def rank_documents(
        self, query: Query, qvec: np.ndarray, *, k: int = 100, settings: RetrievalSettings = DEFAULT_SETTINGS,
        filters: Filters | None = None,
    ) -> list[tuple[int, float]]:
        """The k best documents as (document index, score), best first.

        Each side judges a document as a whole and by its best part: dense,
        the cosine of the document's own vector (title and opening) and of its
        best sentence; lexical, the BM25 of the whole document and of its best
        chunk. Each signal is min-max normalised over the candidates, the two
        of a side averaged, and the sides mixed like passages are. On the
        BEIR-format sets in bench/ this beat either half of each side and
        reciprocal rank fusion (docs/choices.md, "Ranking documents").
        """
        n_docs = len(self.index.documents)
        if n_docs == 0 or len(self.index.chunks) == 0:
            return []
        use_dense = settings.mode in ("hybrid", "dense")
        use_lexical = settings.mode in ("hybrid", "lexical")
        pool = min(self.index.vectors.ntotal, max(settings.document_pool, 20 * k))
        candidates = np.zeros(n_docs, dtype=bool)
        whole_cos = self.index.document_vectors @ qvec
        whole_bm25 = self.index.document_lexical.scores(query.keywords).astype(np.float64)
        best_chunk = np.zeros(n_docs)
        np.maximum.at(best_chunk, self.index.chunks[:, ChunkColumn.DOC],
                      self._bm25(self.index.lexical.known_terms(query.keywords), max(k, pool // 10)))
        if use_dense:
            candidates[self._doc_of_sentence[self.source.dense_sentences(qvec, pool)]] = True
            candidates[_top(whole_cos, max(k, pool // 10), positive_only=False)] = True
        if use_lexical:
            candidates[_top(whole_bm25, max(k, pool // 10))] = True
            candidates[_top(best_chunk, max(k, pool // 10))] = True
        allowed = document_mask(self.index.documents, filters)
        if allowed is not None:
            candidates &= allowed
        docs = np.flatnonzero(candidates)
        if len(docs) == 0:
            return []
        if use_lexical and not self.source.scores_every_chunk:  # (Milvus: the candidates' own best chunks)
            chunk_ids = np.flatnonzero(np.isin(self.index.chunks[:, ChunkColumn.DOC], docs))
            own = self.source.lexical_scores(self.index.lexical.known_terms(query.keywords), chunk_ids)
            np.maximum.at(best_chunk, self.index.chunks[chunk_ids, ChunkColumn.DOC], own)
        dense_side = (_minmax(whole_cos[docs]) + _minmax(self._best_cosines(docs, qvec))) / 2 if use_dense else 0
        lexical_side = (_minmax(whole_bm25[docs]) + _minmax(best_chunk[docs])) / 2 if use_lexical else 0
        fused = fuse(dense_side, lexical_side, settings, dense_weight=settings.document_dense_weight)
        fused = fused + self._boosts(query, settings)[docs]
        order = np.argsort(-fused, kind="stable")[:k]
        return [(int(docs[i]), float(fused[i])) for i in order]

    def _best_cosines(self, docs: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Each document's best sentence cosine to the question."""
        bounds = np.searchsorted(self._doc_of_sentence, np.stack([docs, docs + 1]))
        rows = np.concatenate([np.arange(a, b) for a, b in bounds.T])
        cos = dense.vectors_of(self.index.vectors, rows) @ qvec
        best = np.full(len(docs), -1.0)
        np.maximum.at(best, np.repeat(np.arange(len(docs)), bounds[1] - bounds[0]), cos)
        return best

    def _preferred_documents(self, query: Query) -> np.ndarray | None:
        """Documents the question points at (its places, its years), or None."""
        mask = self._about_places(query) if query.places else None
        if query.years:
            in_years = self._of_years(query.years)
            mask = in_years if mask is None else mask & in_years
        return mask

    def _of_years(self, years: tuple[int, ...]) -> np.ndarray:
        """True for each document that a question naming one of these years may mean."""
        wanted = set(years)
        return np.array([bool(y & wanted) for y in self._years], dtype=bool)

    def _about_places(self, query: Query) -> np.ndarray:
        """True for each document about one of the places the question names."""
        wanted = set(query.places)
        return np.array([bool(p & wanted) for p in self._places], dtype=bool)

    def _boosts(self, query: Query, settings: RetrievalSettings) -> np.ndarray:
        """Per-document additions to the fused score."""
        boost = np.zeros(len(self.index.documents))
        if query.places:
            boost += settings.place_boost * self._about_places(query)
        if query.years:
            boost += settings.time_boost * self._of_years(query.years)
        if query.latest:
            boost += settings.time_boost * self._latest
        return boost

    def _scopes(self, allowed: np.ndarray | None, filters: Filters | None, preferred: np.ndarray | None) -> list[Scope]:
        """Where candidates are drawn from besides the whole collection: the
        documents the filters allow, and the documents the question points at
        (among those), so that a small preferred set is never crowded out by the rest."""
        filters = filters if allowed is not None else None
        scopes = [Scope(allowed, filters)] if allowed is not None else []
        if preferred is not None:
            scopes.append(Scope(preferred if allowed is None else allowed & preferred, filters, preferred))
        return scopes

    def _candidates(
        self, qvec: np.ndarray, lexical_all: np.ndarray, settings: RetrievalSettings,
        allowed: np.ndarray | None, scopes: list[Scope],
    ) -> np.ndarray:
        """Sentences worth scoring: the best of the whole collection, and the
        best within each scope (see _scopes)."""
        want = min(settings.candidates, len(self.index.chunks))
        use_dense = settings.mode in ("hybrid", "dense")
        use_lexical = settings.mode in ("hybrid", "lexical")
        pools = []
        if use_dense:
            pools.append(self.source.dense_sentences(qvec, want * 4))
        if use_lexical:
            pools.append(self.index.sentences_of_chunks(_top(lexical_all, want)))
        for scope in scopes:
            if use_dense:
                pools.append(self.source.dense_sentences(qvec, want * 4, scope))
            if use_lexical:
                chunk_ids = np.flatnonzero(scope.mask[self.index.chunks[:, ChunkColumn.DOC]])
                pools.append(self.index.sentences_of_chunks(chunk_ids[_top(lexical_all[chunk_ids], want)]))
        candidates = np.unique(np.concatenate(pools)) if pools else np.zeros(0, dtype=np.int64)
        if allowed is not None:
            candidates = candidates[allowed[self._doc_of_sentence[candidates]]]
        return candidates[~self.index.repeated[candidates]]

    def _overview_sentences(
        self, query: Query, qvec: np.ndarray, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a question about a place and nothing more ("Summarise the latest
        Dorset inspection"): the opening sentences of each report about it, where
        it sums up its findings, the most recent first; only the latest report
        when it asks for that, only those of the years it names."""
        wanted = set(query.places)
        docs = [
            i for i, places in enumerate(self._places)
            if places & wanted and (allowed is None or allowed[i])
            and (not query.years or self._years[i] & set(query.years))
            and (not query.latest or self._latest[i])
        ]
        docs.sort(key=lambda i: self.index.documents[i].date or "", reverse=True)
        ids, scores = [], []
        for rank, d in enumerate(docs):
            rows = np.flatnonzero((self._doc_of_sentence == d) & ~self.index.repeated)[:3]
            ids += rows.tolist()
            scores += [1.0 - 0.1 * rank - 0.01 * j for j in range(len(rows))]
        ids_array = np.array(ids, dtype=np.int64)
        cos = dense.vectors_of(self.index.vectors, ids_array) @ qvec if ids else np.zeros(0)
        order = np.argsort(-np.array(scores), kind="stable")
        return ids_array[order], np.array(scores)[order], cos[order]

    def _neighbour_cosines(self, ids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Best cosine of the sentence before or after, within the same chunk."""
        chunk = self._chunk_of_sentence
        n = len(chunk)
        prev_ids, next_ids = np.clip(ids - 1, 0, n - 1), np.clip(ids + 1, 0, n - 1)
        prev = np.where(chunk[prev_ids] == chunk[ids], dense.vectors_of(self.index.vectors, prev_ids) @ qvec, 0)
        nxt = np.where(chunk[next_ids] == chunk[ids], dense.vectors_of(self.index.vectors, next_ids) @ qvec, 0)
        prev[prev_ids == ids] = 0
        nxt[next_ids == ids] = 0
        return np.maximum(prev, nxt)

    def _coverage(self, ids: np.ndarray, query: Query) -> np.ndarray:
        """idf-weighted share of the question's words that each sentence contains."""
        vocabulary = self.index.lexical.vocabulary
        terms = sorted({t for t in tokenize(query.keywords) if t in vocabulary})
        weights = np.array([self.index.lexical.idf(t) for t in terms])
        if not terms or not weights.sum() or len(ids) == 0:
            return np.zeros(len(ids))
        facts = self.index.facts
        if facts is not None:
            held = facts.terms[ids][:, [vocabulary[t] for t in terms]].toarray() > 0
            return held @ weights / weights.sum()
        out = np.zeros(len(ids))  # an index built without sentence facts (older format)
        for j, sid in enumerate(ids):
            held_terms = self._terms_of(int(sid))
            out[j] = sum(w for t, w in zip(terms, weights, strict=True) if t in held_terms) / weights.sum()
        return out

    def _terms_of(self, sid: int) -> frozenset[str]:
        d, s, e, _ = self.index.sentences[sid]
        return frozenset(tokenize(self.index.documents[d].text[s:e]))


def fuse(
    dense_side: np.ndarray, lexical_side: np.ndarray, settings: RetrievalSettings, *,
    dense_weight: float | np.ndarray,
) -> np.ndarray:
    """One score per candidate from its two sides, each already in [0, 1] over
    the candidates: the side the mode asks for alone, or the two mixed, by
    weight (convex) or by rank (reciprocal rank fusion, rescaled to [0, 1]).
    Sentences and documents are fused here alike; only their dense weight
    differs (one weight, or one per candidate). Boosts are the caller's, added after."""
    if settings.mode == "dense":
        return dense_side
    if settings.mode == "lexical":
        return lexical_side
    if settings.fusion == "rrf":
        return _minmax(1.0 / (settings.rrf_k + _ranks(dense_side)) + 1.0 / (settings.rrf_k + _ranks(lexical_side)))
    return dense_weight * dense_side + (1 - dense_weight) * lexical_side


def _is_date(value: str) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d\d-\d\d-\d\d", value))


def _minmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.ones_like(x)


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(-np.asarray(x), kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    return ranks
