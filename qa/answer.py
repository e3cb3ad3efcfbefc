"""`ask`: an answer made only of quotes, or a plain statement that the
collection does not hold one.

The product abstains when the question names only local authorities the
collection has no documents about, or when no sentence is close enough to
the question. That closeness threshold is calibrated on questions whose
answer is absent (README, "Abstention"; `qa eval` reports it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .cite import readable_date
from .filters import Filters
from .records import Answer, Passage
from .retrieve import RetrievalSettings, Retriever

# Cosine between the question (without its places) and the best quoted
# sentence below which the collection is taken not to answer. Calibrated on
# the seed articles by `python -m qa eval --questions
# tests/data/seed_questions.jsonl --index <articles index> --calibrate` (README).
MIN_EVIDENCE = 0.42


@dataclass(frozen=True, slots=True)
class AnswerSettings:
    min_evidence: float = MIN_EVIDENCE
    max_quotes: int = 4
    # Quotes after the first must be nearly as close to the question.
    evidence_margin: float = 0.10
    retrieval: RetrievalSettings = RetrievalSettings()


DEFAULT_ANSWER_SETTINGS = AnswerSettings()


def ask(
    retriever: Retriever, question: str, *, settings: AnswerSettings = DEFAULT_ANSWER_SETTINGS,
    filters: Filters | None = None,
) -> Answer:
    query = retriever.parse(question)
    k = max(10, 2 * settings.max_quotes)  # enough candidates to pick the quotes from
    passages = retriever.search_query(query, retriever.encode(query), k=k, settings=settings.retrieval, filters=filters)
    missing = [p for p in query.places if p not in retriever.collection_places()]
    no_place = f"The collection has no documents about {' or '.join(missing)}." if missing else ""
    if not passages:
        # A question about a place alone ("What about Leeds?") finds nothing when no
        # document is about it: that, not an empty collection, is what to say.
        if filters is not None and filters.active:
            reason = "No document matches the filters; widen them."
        elif not retriever.index.documents:
            reason = "The collection is empty: add documents and build the index."
        elif query.places and len(missing) == len(query.places):
            reason = no_place
        else:
            reason = "Nothing in the collection answers this question."
        return Answer(query.text, False, reason, (), reason=reason)
    if query.places:
        if len(missing) == len(query.places):
            return _abstain(query.text, no_place, passages)
        passages = [p for p in passages if set(p.places) & set(query.places)] or passages
    if query.is_overview:  # "what about Sheffield?": the documents' opening lines
        chosen = [replace(p, rank=i) for i, p in enumerate(passages[: settings.max_quotes], 1)]
        return Answer(query.text, True, compose(chosen), tuple(chosen))
    best = max(p.evidence for p in passages)
    if best < settings.min_evidence:
        return _abstain(query.text, "Nothing in the collection answers this question.", passages)
    floor = max(settings.min_evidence, best - settings.evidence_margin)
    chosen = [p for p in passages if p.evidence >= floor][: settings.max_quotes]
    chosen = [replace(p, rank=i) for i, p in enumerate(_group_by_document(chosen), 1)]
    return Answer(query.text, True, compose(chosen), tuple(chosen))


def _abstain(question: str, reason: str, passages: list[Passage]) -> Answer:
    text = f"{reason} The closest passages are listed below; they are not an answer."
    return Answer(question, False, text, (), reason=reason, closest=tuple(passages[:3]))


def _group_by_document(passages: list[Passage]) -> list[Passage]:
    """Best document first with its quotes best first, then the next document."""
    order: dict[str, list[Passage]] = {}
    for p in passages:
        order.setdefault(p.doc_id, []).append(p)
    return [p for group in order.values() for p in group]


def compose(citations: list[Passage]) -> str:
    """The answer text: each document's quotes under its name, with [n] markers.

    Quotes are set as block quotes (Markdown "> "), not wrapped in quotation
    marks, because many of them open with the document's own quotation mark.
    """
    parts: list[str] = []
    current = None
    for n, p in enumerate(citations, 1):
        if p.doc_id != current:
            current = p.doc_id
            source = ", ".join(x for x in (p.publisher, f"“{p.title}”", readable_date(p.date)) if x)
            parts.append(("\n" if parts else "") + f"{source}:")
        parts.append(f"> {' '.join(p.quote.split())} [{n}]")
    return "\n".join(parts)
