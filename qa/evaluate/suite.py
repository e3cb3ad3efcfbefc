"""Retrieval evaluation: a suite of judged questions, runs of retriever
configurations over it, metrics and significance from ranx (qa.metrics).

Two levels:
- passage: judgments are evidence spans in documents (a quote or offsets);
  a returned passage is relevant when it overlaps one, so judgments survive
  any change of chunking. In the run, such a passage carries the span's
  label (`doc_id@start-end`), the first time only, so the library scores
  spans, not however many passages happen to overlap one.
- document: judgments name documents (BEIR qrels, or question files without
  spans); documents are ranked by their best evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from qa.errors import InvalidQuestion, InvalidQuestionFile
from qa.index import dense
from qa.index.store import LoadedIndex
from qa.search.retrieve import DEFAULT_SETTINGS, RetrievalSettings, Retriever

from .judgments import QuestionItem, locate_quote, quote_occurrences
from .metrics import DEFAULT_METRICS, Comparison, Qrels, Run, Scores, compare_runs, score_runs

PRODUCT = "hybrid"
FUSION_ONLY = "fusion only"  # the product without its learned ranker (passage level only)
# `--compare`: the product's retriever, the same without its learned ranker
# (the hand-set fusion alone), its two parts alone, and plain reciprocal rank
# fusion of the same parts (what a hybrid has to beat).
COMPARE_CONFIGS = {
    PRODUCT: DEFAULT_SETTINGS,
    FUSION_ONLY: replace(DEFAULT_SETTINGS, learned=False),
    "dense": replace(DEFAULT_SETTINGS, mode="dense"),
    "lexical": replace(DEFAULT_SETTINGS, mode="lexical"),
    "rrf": replace(DEFAULT_SETTINGS, fusion="rrf", learned=False),
}
NAIVE = "naive paragraphs"
DEFAULT_DEPTH = 100  # results per query in a run (Recall@100 needs 100)


@dataclass
class Suite:
    name: str
    level: str  # "passage" or "document"
    questions: dict[str, str]  # judged question id -> question
    qrels: Qrels  # question id -> label (doc id, or doc_id@start-end) -> grade
    spans: dict[str, list[tuple[int, int, int, str]]] = field(default_factory=dict)  # (doc index, start, end, label)
    items: list[QuestionItem] = field(default_factory=list)  # the question file's items, for abstention


def suite_from_questions(
    index: LoadedIndex, items: list[QuestionItem], *, name: str, level: str | None = None
) -> Suite:
    """Judgments of a question file, checked against the index's documents."""
    if level is None:
        level = "passage" if any(e.has_span for it in items for e in it.expected) else "document"
    doc_index = _document_lookup(index)
    suite = Suite(name, level, {}, {}, items=items)
    for item in items:
        if not item.answerable or not item.expected:
            continue
        judged: dict[str, int] = {}
        for ev in item.expected:
            d = doc_index.get(ev.doc)
            if d is None:
                raise InvalidQuestionFile(f"Question {item.id}: expected document {ev.doc!r} is not in the index.")
            doc = index.documents[d]
            if level == "document":
                judged[doc.doc_id] = max(judged.get(doc.doc_id, 0), ev.relevance)
                continue
            if not ev.has_span:
                raise InvalidQuestionFile(
                    f"Question {item.id}: passage-level evaluation needs a quote or span for {ev.doc!r} "
                    "(or evaluate with --level document)."
                )
            span = locate_quote(doc.text, ev.quote) if ev.quote is not None else (ev.start, ev.end)
            if span is None or span[1] > len(doc.text):
                raise InvalidQuestionFile(f"Question {item.id}: its expected quote or span is not in {ev.doc}.")
            label = f"{doc.doc_id}@{span[0]}-{span[1]}"
            judged[label] = ev.relevance
            suite.spans.setdefault(item.id, []).append((d, span[0], span[1], label))
        suite.questions[item.id] = item.question
        suite.qrels[item.id] = judged
    return suite


def check_judgments(index: LoadedIndex, items: list[QuestionItem]) -> list[str]:
    """What is wrong with a question file's judgments against the index: a
    document it does not hold, a quote that is not in its document exactly
    once (an evidence span must be unambiguous), a span outside the text."""
    doc_index = _document_lookup(index)
    problems = []
    for item in items:
        for ev in item.expected:
            d = doc_index.get(ev.doc)
            if d is None:
                problems.append(f"{item.id}: document {ev.doc!r} is not in the index")
                continue
            text = index.documents[d].text
            if ev.quote is not None:
                found = len(quote_occurrences(text, ev.quote))
                if found != 1:
                    problems.append(f"{item.id}: quote found {found} times in {ev.doc}: {ev.quote[:70]!r}")
            elif ev.start is not None and ev.end > len(text):
                problems.append(f"{item.id}: span {ev.start}-{ev.end} is past the end of {ev.doc}")
    return problems


def _document_lookup(index: LoadedIndex) -> dict[str, int]:
    """A document's index by doc_id, source path, or source path without its extension."""
    out = {}
    for i, d in enumerate(index.documents):
        out[re.sub(r"\.[^./]+$", "", d.source)] = i
        out[d.source] = i
        out[d.doc_id] = i
    return out


def run_configuration(
    retriever: Retriever, suite: Suite, settings: RetrievalSettings, *, depth: int = DEFAULT_DEPTH,
    vectors: dict[str, np.ndarray] | None = None,
) -> Run:
    """The ranked results of one configuration for every judged question, as
    {question id: {label: score}}; scores fall with rank (depth + 1 - rank) so
    the run's order is exactly the retriever's."""
    vectors = vectors or question_vectors(retriever, suite)
    run: Run = {}
    for qid, question in suite.questions.items():
        if qid not in vectors:  # a question the product refuses to take (empty, too long): no results
            run[qid] = {}
            continue
        query = retriever.parse(question)
        if suite.level == "document":
            ranked = retriever.rank_documents(query, vectors[qid], k=depth, settings=settings)
            labels = [retriever.index.documents[d].doc_id for d, _ in ranked]
        else:
            passages = retriever.search_query(query, vectors[qid], k=depth, settings=settings)
            doc_number = {d.doc_id: i for i, d in enumerate(retriever.index.documents)}
            hits = [(doc_number[p.doc_id], p.start, p.end) for p in passages]
            labels = _span_labels(retriever.index, suite.spans.get(qid, []), hits)
        run[qid] = {label: float(depth + 1 - rank) for rank, label in enumerate(labels, 1)}
    return run


def question_vectors(retriever: Retriever, suite: Suite) -> dict[str, np.ndarray]:
    """Every question encoded once, in one batch, for all configurations;
    questions the product refuses (InvalidQuestion) are left out."""
    topics = {}
    for qid, question in suite.questions.items():
        try:
            topics[qid] = retriever.parse(question).topic
        except InvalidQuestion:
            continue
    return dict(zip(topics, retriever.embedder.encode(list(topics.values())), strict=True))


def _span_labels(
    index: LoadedIndex, spans: list[tuple[int, int, int, str]], hits: list[tuple[int, int, int]]
) -> list[str]:
    """Run labels for ranked (doc index, start, end) hits: an expected span's
    label for the first hit overlapping it, the hit's own span otherwise."""
    labels: list[str] = []
    for d, start, end in hits:
        label = next(
            (lab for sd, s, e, lab in spans if sd == d and start < e and s < end and lab not in labels),
            f"{index.documents[d].doc_id}@{start}-{end}",
        )
        if label not in labels:
            labels.append(label)
    return labels


def naive_paragraph_run(retriever: Retriever, suite: Suite, *, depth: int = DEFAULT_DEPTH) -> Run:
    """The literal baseline: blank-line paragraphs, embedded whole, FAISS top-k."""
    index = retriever.index
    paragraphs = []
    for i, d in enumerate(index.documents):
        for m in re.finditer(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", d.text, flags=re.S):
            paragraphs.append((i, m.start(), m.end()))
    texts = [index.documents[i].text[s:e] for i, s, e in paragraphs]
    para_index = dense.build_vector_index(retriever.embedder.encode(texts))
    ids = list(suite.questions)
    _, hits = dense.search(para_index, retriever.embedder.encode([suite.questions[q] for q in ids]), depth)
    run: Run = {}
    for qid, row in zip(ids, hits, strict=True):
        found = [paragraphs[h] for h in row if h >= 0]
        if suite.level == "document":
            labels = list(dict.fromkeys(index.documents[i].doc_id for i, _, _ in found))
        else:
            labels = _span_labels(index, suite.spans.get(qid, []), found)
        run[qid] = {label: float(depth + 1 - rank) for rank, label in enumerate(labels, 1)}
    return run


@dataclass
class AbstentionResult:
    threshold: float
    answered_when_answerable: float  # share of answerable questions answered
    abstained_when_unanswerable: float  # share of unanswerable questions refused
    n_answerable: int
    n_unanswerable: int
    wrong: list[tuple[str, str, bool]] = field(default_factory=list)  # (id, question, answered)
    # How the unanswerable ones were told: verdict -> count ("related", "none", "answered").
    unanswerable_verdicts: dict[str, int] = field(default_factory=dict)

    @property
    def abstained_when_answerable(self) -> float:
        """Wrong abstentions: answerable questions the product refused."""
        return 1.0 - self.answered_when_answerable

    def to_json(self) -> dict:
        return {
            "min_evidence": self.threshold,
            "answered_when_answerable": self.answered_when_answerable,
            "abstained_when_answerable": self.abstained_when_answerable,
            "abstained_when_unanswerable": self.abstained_when_unanswerable,
            "answerable": self.n_answerable,
            "unanswerable": self.n_unanswerable,
            "wrong": [{"id": i, "question": q, "answered": a} for i, q, a in self.wrong],
            "unanswerable_verdicts": self.unanswerable_verdicts,
        }

    def format(self) -> str:
        told = ", ".join(f"{n} {v}" for v, n in sorted(self.unanswerable_verdicts.items()))
        return (
            f"abstention at min evidence {self.threshold:.2f}: abstained on {self.abstained_when_unanswerable:.1%} of "
            f"{self.n_unanswerable} unanswerable (right{f'; verdicts: {told}' if told else ''}), on "
            f"{self.abstained_when_answerable:.1%} of {self.n_answerable} answerable (wrong)"
        )


def abstention(retriever: Retriever, items: list[QuestionItem], *, threshold: float | None = None) -> AbstentionResult:
    """How often `ask` answers answerable questions and refuses the others."""
    from qa.answer.verdict import AnswerSettings, ask, resolved

    settings = resolved(AnswerSettings(min_evidence=threshold), retriever)
    answered, verdicts = {}, {}
    for it in items:
        try:
            answer = ask(retriever, it.question, settings=settings)
            answered[it.id], verdicts[it.id] = answer.answered, answer.verdict
        except InvalidQuestion:  # refused as a question: not answered
            answered[it.id], verdicts[it.id] = False, "none"
    result = _abstention_result(items, answered, settings.min_evidence)
    result.unanswerable_verdicts = dict(Counter(verdicts[it.id] for it in items if not it.answerable))
    return result


def _abstention_result(items: list[QuestionItem], answered: dict[str, bool], threshold: float) -> AbstentionResult:
    pos = [it for it in items if it.answerable]
    neg = [it for it in items if not it.answerable]
    wrong = [(it.id, it.question, answered[it.id]) for it in items if answered[it.id] != it.answerable]
    return AbstentionResult(
        threshold,
        sum(answered[it.id] for it in pos) / max(1, len(pos)),
        sum(not answered[it.id] for it in neg) / max(1, len(neg)),
        len(pos),
        len(neg),
        wrong,
    )


def calibrate(retriever: Retriever, items: list[QuestionItem]) -> AbstentionResult:
    """The evidence threshold that best separates answerable from unanswerable
    questions (highest balanced accuracy; ties go to the lower threshold, so
    the product errs towards answering with quotes the reader can judge)."""
    from qa.answer.verdict import AnswerSettings, ask

    # One pass with no threshold records each question's best evidence.
    best: dict[str, float | None] = {}
    for it in items:
        try:
            a = ask(retriever, it.question, settings=AnswerSettings(min_evidence=-1.0))
        except InvalidQuestion:
            best[it.id] = None
            continue
        best[it.id] = max((p.evidence for p in a.citations), default=None) if a.answered else None
    results = []
    for t in np.round(np.arange(0.20, 0.70, 0.01), 2):
        answered = {qid: ev is not None and ev >= t for qid, ev in best.items()}
        r = _abstention_result(items, answered, float(t))
        results.append(((r.answered_when_answerable + r.abstained_when_unanswerable) / 2, -t, r))
    return max(results, key=lambda x: (x[0], x[1]))[2]


# Gates on abstention rates, besides the ranx metrics (`--min`, assert_retrieval).
ABSTENTION_GATES = ("answered_when_answerable", "abstained_when_unanswerable")


@dataclass
class Evaluation:
    suite: Suite
    metrics: tuple[str, ...]
    scores: list[Scores]  # the product's configuration first
    runs: dict[str, Run]
    comparison: Comparison | None = None
    abstention: AbstentionResult | None = None

    @property
    def product(self) -> Scores:
        return self.scores[0]

    def by_kind(self) -> dict[str, tuple[int, dict[str, float]]]:
        """The product's mean metrics over the questions of each kind (the
        question file's `kind`: everyday, time, quantity ...), with how many."""
        kinds: dict[str, list[str]] = {}
        for it in self.suite.items:
            if it.kind and it.id in self.suite.questions:
                kinds.setdefault(it.kind, []).append(it.id)
        per_query = self.product.per_query
        return {
            kind: (len(ids), {m: sum(per_query[m].get(q, 0.0) for q in ids) / len(ids) for m in self.metrics})
            for kind, ids in sorted(kinds.items())
        }

    def gate_values(self) -> dict[str, float]:
        """What --min can check: the product's metrics, and abstention rates."""
        values = dict(self.product.means)
        if self.abstention is not None:
            values["answered_when_answerable"] = self.abstention.answered_when_answerable
            values["abstained_when_unanswerable"] = self.abstention.abstained_when_unanswerable
        return values


def evaluate(
    retriever: Retriever, suite: Suite, *, configs: dict[str, RetrievalSettings] | None = None,
    metrics: tuple[str, ...] = DEFAULT_METRICS, depth: int = DEFAULT_DEPTH, naive: bool = False,
    significance: bool = False, with_abstention: bool = True,
) -> Evaluation:
    """Run each configuration over the suite and score it; the first is the product's."""
    configs = configs or {PRODUCT: DEFAULT_SETTINGS}
    if not suite.questions:
        raise InvalidQuestionFile(f"{suite.name} has no answerable question with judgments to evaluate.")
    vectors = question_vectors(retriever, suite)
    runs = {name: run_configuration(retriever, suite, s, depth=depth, vectors=vectors) for name, s in configs.items()}
    if naive:
        runs[NAIVE] = naive_paragraph_run(retriever, suite, depth=depth)
    scores = score_runs(suite.qrels, runs, metrics)
    comparison = compare_runs(suite.qrels, runs, metrics) if significance and len(runs) > 1 else None
    has_negatives = any(not it.answerable for it in suite.items)
    abstain = abstention(retriever, suite.items) if with_abstention and has_negatives else None
    return Evaluation(suite, metrics, scores, runs, comparison, abstain)
