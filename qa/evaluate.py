"""Retrieval evaluation on a question file, keyed to document and span.

A returned passage answers a question when it comes from the expected
document and its span overlaps the expected quote's span in the stored text,
so judgments survive any change of chunking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import dense
from .errors import InvalidQuestionFile
from .questions import QuestionItem, locate_quote
from .retrieve import RetrievalSettings, Retriever
from .store import LoadedIndex

DEFAULT_CONFIGS = {
    "dense": RetrievalSettings(mode="dense", place_boost=0.0),
    "lexical": RetrievalSettings(mode="lexical", place_boost=0.0),
    "hybrid": RetrievalSettings(),
}


@dataclass
class RunResult:
    name: str
    first_hit: dict[str, int | None] = field(default_factory=dict)  # question id -> rank

    def recall_at(self, k: int) -> float:
        ranks = list(self.first_hit.values())
        return sum(1 for r in ranks if r is not None and r <= k) / max(1, len(ranks))

    def mrr(self, k: int = 10) -> float:
        ranks = list(self.first_hit.values())
        return sum(1.0 / r for r in ranks if r is not None and r <= k) / max(1, len(ranks))

    def metrics(self) -> dict[str, float]:
        return {"R@1": self.recall_at(1), "R@5": self.recall_at(5), "MRR@10": self.mrr(10)}


def expected_spans(index: LoadedIndex, items: list[QuestionItem]) -> dict[str, tuple[int, int, int]]:
    """question id -> (doc index, start, end) of its expected quote."""
    by_name = {}
    for i, d in enumerate(index.documents):
        by_name[d.doc_id] = i
        by_name[d.source] = i
        by_name[re.sub(r"\.[^.]+$", "", d.source)] = i
    out = {}
    for item in items:
        if not item.answerable or not item.expected_quote:
            continue
        doc_index = by_name.get(item.expected_doc or "")
        if doc_index is None:
            raise InvalidQuestionFile(
                f"Question {item.id}: expected document {item.expected_doc!r} is not in the index."
            )
        span = locate_quote(index.documents[doc_index].text, item.expected_quote)
        if span is None:
            raise InvalidQuestionFile(f"Question {item.id}: its expected quote is not in {item.expected_doc}.")
        out[item.id] = (doc_index, *span)
    return out


def _overlaps(a: tuple[int, int, int], doc_index: int, start: int, end: int) -> bool:
    return a[0] == doc_index and start < a[2] and a[1] < end


def evaluate_configs(
    retriever: Retriever, items: list[QuestionItem], configs: dict[str, RetrievalSettings], *, k: int = 10
) -> list[RunResult]:
    index = retriever.index
    spans = expected_spans(index, items)
    doc_index_of = {d.doc_id: i for i, d in enumerate(index.documents)}
    judged = [it for it in items if it.id in spans]
    vectors = retriever.embedder.encode([retriever.parse(it.question).topic for it in judged])
    results = []
    for name, settings in configs.items():
        run = RunResult(name)
        for item, qvec in zip(judged, vectors, strict=True):
            passages = retriever.search_query(retriever.parse(item.question), qvec, k=k, settings=settings)
            run.first_hit[item.id] = next(
                (p.rank for p in passages if _overlaps(spans[item.id], doc_index_of[p.doc_id], p.start, p.end)),
                None,
            )
        results.append(run)
    return results


def evaluate_naive_paragraphs(retriever: Retriever, items: list[QuestionItem], *, k: int = 10) -> RunResult:
    """The literal baseline: blank-line paragraphs, embedded, FAISS top-k."""
    index = retriever.index
    spans = expected_spans(index, items)
    paragraphs = []
    for i, d in enumerate(index.documents):
        for m in re.finditer(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", d.text, flags=re.S):
            paragraphs.append((i, m.start(), m.end()))
    texts = [index.documents[i].text[s:e] for i, s, e in paragraphs]
    para_index = dense.build_vector_index(retriever.embedder.encode(texts))
    judged = [it for it in items if it.id in spans]
    _, ids = dense.search(para_index, retriever.embedder.encode([it.question for it in judged]), k)
    run = RunResult("naive paragraphs")
    for item, row in zip(judged, ids, strict=True):
        hits = [r + 1 for r, pid in enumerate(row) if pid >= 0 and _overlaps(spans[item.id], *paragraphs[pid])]
        run.first_hit[item.id] = hits[0] if hits else None
    return run


def format_table(runs: list[RunResult]) -> str:
    names = list(runs[0].metrics()) if runs else []
    width = max([len(r.name) for r in runs] + [10])
    lines = [f"{'retriever':<{width}}  " + "  ".join(f"{n:>7}" for n in names)]
    for r in runs:
        lines.append(f"{r.name:<{width}}  " + "  ".join(f"{v:7.3f}" for v in r.metrics().values()))
    n = len(runs[0].first_hit) if runs else 0
    lines.append(f"({n} answerable questions)")
    return "\n".join(lines)


@dataclass
class AbstentionResult:
    threshold: float
    answered_when_answerable: float  # share of answerable questions answered
    abstained_when_unanswerable: float  # share of unanswerable questions refused
    n_answerable: int
    n_unanswerable: int
    wrong: list[tuple[str, str, bool]] = field(default_factory=list)  # (id, question, answered)

    def format(self) -> str:
        return (
            f"abstention at min evidence {self.threshold:.2f}: answered {self.answered_when_answerable:.1%} of "
            f"{self.n_answerable} answerable, refused {self.abstained_when_unanswerable:.1%} of "
            f"{self.n_unanswerable} unanswerable"
        )


def abstention(retriever: Retriever, items: list[QuestionItem], *, threshold: float | None = None) -> AbstentionResult:
    """How often `ask` answers answerable questions and refuses the others."""
    from .answer import AnswerSettings, ask

    settings = AnswerSettings() if threshold is None else AnswerSettings(min_evidence=threshold)
    answered = {it.id: ask(retriever, it.question, settings=settings).answered for it in items}
    return _abstention_result(items, answered, settings.min_evidence)


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
    from .answer import AnswerSettings, ask

    # One pass with no threshold records each question's best evidence.
    best: dict[str, float | None] = {}
    for it in items:
        a = ask(retriever, it.question, settings=AnswerSettings(min_evidence=-1.0))
        best[it.id] = max((p.evidence for p in a.citations), default=None) if a.answered else None
    results = []
    for t in np.round(np.arange(0.20, 0.70, 0.01), 2):
        answered = {qid: ev is not None and ev >= t for qid, ev in best.items()}
        r = _abstention_result(items, answered, float(t))
        results.append(((r.answered_when_answerable + r.abstained_when_unanswerable) / 2, -t, r))
    return max(results, key=lambda x: (x[0], x[1]))[2]
