"""`ask`: quotes that answer, related passages that do not, or nothing.

Three verdicts, decided by evidence:
- "answered": the reports say it. The best quotes are close to the question
  and hold what it asks for (a figure for "how many", a name for "who is").
- "related": passages about the subject were found, but none answers the
  question as asked (a budget the reports never give, a name they never
  state); they are shown under a heading that says they are not an answer.
- "none": the collection cannot hold an answer (a place that is no local
  authority, an authority with no report here, a service Ofsted does not
  inspect, a year with no inspection of that authority, the future), or
  nothing in it comes close.

The closeness thresholds are calibrated on the development questions
(eval/ofsted/dev.jsonl; `qa eval --calibrate`), never on the test part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from qa.index.embed import per_model_entry
from qa.records import Answer, Passage
from qa.search.cite import readable_date
from qa.search.filters import Filters
from qa.search.query import Query
from qa.search.retrieve import RetrievalSettings, Retriever
from qa.search.scope import check as check_scope

from .reports import answer_from_records, regions_in

# Cosine between the question (without its places) and the best quoted
# sentence below which the collection is taken not to answer; below the
# second, nothing in it is even related. Cosines differ from one model to
# another (the adapted model puts answers nearer and the rest further), so
# each model has its own pair in THRESHOLDS_FILE, calibrated by `python -m qa
# eval --questions eval/ofsted/dev.jsonl --index <full collection> --calibrate`;
# these are the packaged model's, used for a model that has none.
MIN_EVIDENCE = 0.42
MIN_RELATED = 0.25
THRESHOLDS_FILE = Path(__file__).with_name("answer_thresholds.json")


@lru_cache(maxsize=16)  # read once per model, not on every question
def thresholds_for(model: str, *, path: Path = THRESHOLDS_FILE) -> tuple[float, float]:
    """(min evidence, min related) for an index built with `model`."""
    entry = per_model_entry(path, model)
    return float(entry.get("min_evidence", MIN_EVIDENCE)), float(entry.get("min_related", MIN_RELATED))


ANSWERED, RELATED, NONE = "answered", "related", "none"


@dataclass(frozen=True, slots=True)
class AnswerSettings:
    # None: the index's model's calibrated thresholds (thresholds_for).
    min_evidence: float | None = None
    min_related: float | None = None
    max_quotes: int = 4
    # Quotes after the first must be nearly as close to the question.
    evidence_margin: float = 0.10
    retrieval: RetrievalSettings = RetrievalSettings()


DEFAULT_ANSWER_SETTINGS = AnswerSettings()

# What a question needs its answer to hold.
_ASKS_MONEY = re.compile(
    r"\bhow\s+much\b(?!\s+(?:better|worse|progress|improve|change|support|help|of|more|less|has|have))"
    r"|\bwhat\s+(?:is|was|are|were|'s)\s+(?:the\s+)?(?:\S+\s+){0,4}?(?:budget|salar(?:y|ies)|allowances?|spend|cost|pay)\b"
    r"|\bbudgets?\b|\bsalar(?:y|ies)\b|£"
    r"|\b(?:weekly|monthly|annual|yearly)\s+(?:\S+\s+)?(?:allowances?|fees?|payments?)\b", re.I)
_ASKS_PERSON = re.compile(
    r"\b(?:who\s+(?:is|was|are|were|'s|heads?|leads?|runs?|ran|chairs?)\b(?!.*\b(?:responsible\s+for\s+(?:children|"
    r"care)))|what\s+is\s+the\s+name\s+of|name\s+of\s+the|named?\s+(?:the\s+)?(?:director|leader|chief|head|manager))",
    re.I)
_PERSON_ROLE = re.compile(
    r"\b(?:director|leader|chief\s+executive|head|manager|chair|lead\s+member|cabinet\s+member|commissioner"
    r"|social\s+worker|mayor|minister|councillor|officer|inspector)\b", re.I)
_PRICED = re.compile(r"\b(budget|allowance|salar)", re.I)  # what a sum asked for is the price of
_ASKS_COUNT = re.compile(r"\bhow\s+many\b|\bwhat\s+(?:proportion|percentage|share|number)\b", re.I)
_MONEY = re.compile(r"£\s?\d|\b\d[\d,.]*\s*(?:million|billion|pounds|k\b)|\bper\s+(?:week|year|month)\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred"
    r"|half|third|quarter|majority|minority|most|all|none|few|several|many)\b", re.I)
# A person's name: a title and a surname ("Mr Smith"), or two capitalised words
# that are no institution's ("Robert Henderson", not "Social Care").
_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Cllr|Councillor|Professor)\.?\s+[A-Z][a-z]+")
_CAPITALISED_PAIR = re.compile(r"(?<![\w.] )(?<!^)\b([A-Z][a-z]+)\s+([A-Z][a-z]+)\b")
_INSTITUTION_WORDS = {
    "social", "care", "children", "childrens", "services", "service", "council", "board", "families", "family",
    "health", "wellbeing", "education", "county", "city", "borough", "local", "safeguarding", "partnership",
    "trust", "director", "corporate", "executive", "chief", "strategic", "lead", "member", "cabinet",
    "independent", "reviewing", "officer", "officers", "designated", "authority", "adult", "adults", "young",
    "people", "team", "hub", "group", "panel", "committee", "assistant", "deputy", "head", "virtual", "school",
    "schools", "public", "law", "outline", "national", "framework", "department", "ofsted", "his", "her",
    "majesty", "majesty’s", "inspector", "inspectors", "the", "and", "of", "for", "in", "to", "with",
}


def _has_person_name(text: str) -> bool:
    if _TITLED_NAME.search(text):
        return True
    return any(a.lower() not in _INSTITUTION_WORDS and b.lower() not in _INSTITUTION_WORDS
               for a, b in _CAPITALISED_PAIR.findall(text))


def ask(
    retriever: Retriever, question: str, *, settings: AnswerSettings = DEFAULT_ANSWER_SETTINGS,
    filters: Filters | None = None,
) -> Answer:
    """Quotes that answer the question, related passages that do not, or nothing;
    with a note for each town read as its authority and each name read past a slip."""
    answer = _answer(retriever, question, settings=settings, filters=filters)
    notes = tuple(f"{town}: read as {name}, the council that runs its children's services."
                  for town, name in retriever.gazetteer.towns_in(question))
    notes += tuple(f"{typed}: read as {name}." for typed, name in retriever.gazetteer.misspelt_in(question))
    return replace(answer, notes=notes) if notes else answer


def _answer(retriever: Retriever, question: str, *, settings: AnswerSettings, filters: Filters | None) -> Answer:
    query = retriever.parse(question)
    out_of_scope = check_scope(
        query, retriever.index.documents, retriever.gazetteer, retriever.collection_places()
    ) if retriever.collection_places() else None
    if out_of_scope is not None:
        return Answer(query.text, False, out_of_scope.reason, (), reason=out_of_scope.reason, verdict=NONE)
    from_records = _from_records(retriever, query, settings, filters)
    if from_records is not None:
        return from_records
    k = max(10, 2 * settings.max_quotes)  # enough candidates to pick the quotes from
    passages = retriever.search_query(query, retriever.encode(query), k=k, settings=settings.retrieval, filters=filters)
    if not passages:
        if filters is not None and filters.active:
            reason = "No document matches the filters; widen them."
        elif not retriever.index.documents:
            reason = "The collection is empty: add documents and build the index."
        else:
            reason = "Nothing in the collection answers this question."
        return Answer(query.text, False, reason, (), reason=reason, verdict=NONE)
    if query.places:
        passages = [p for p in passages if set(p.places) & set(query.places)] or passages
    if query.is_overview:  # "what about Sheffield?": the documents' opening lines
        chosen = [replace(p, rank=i) for i, p in enumerate(passages[: settings.max_quotes], 1)]
        return Answer(query.text, True, compose(chosen), tuple(chosen), verdict=ANSWERED)
    settings = resolved(settings, retriever)
    best = max(p.evidence for p in passages)
    if best < settings.min_related:
        return _not_answered(query.text, NONE, "Nothing in the collection answers this question.", passages)
    if best < settings.min_evidence:
        return _not_answered(query.text, RELATED, "The reports do not answer this question directly.", passages)
    # In the ranking's order (the learned ranker's, when the index has one): the
    # best-ranked close passage first, then others nearly as close as the closest.
    floor = max(settings.min_evidence, best - settings.evidence_margin)
    close = [p for p in passages if p.evidence >= settings.min_evidence]
    chosen = (close[:1] + [p for p in close[1:] if p.evidence >= floor])[: settings.max_quotes]
    missing = missing_kind(query, [])
    if missing:
        # A figure or a name is asked for: only quotes that hold one can answer, best-ranked first.
        holding = [p for p in close if not missing_kind(query, [p])]
        if not holding:
            return _not_answered(query.text, RELATED, f"The reports do not give {missing}.", passages)
        chosen = holding[: settings.max_quotes]
    if not query.years:
        chosen = _current_first(chosen)
    chosen = [replace(p, rank=i) for i, p in enumerate(_group_by_document(chosen), 1)]
    return Answer(query.text, True, compose(chosen), tuple(chosen), verdict=ANSWERED)


def _from_records(
    retriever: Retriever, query: Query, settings: AnswerSettings, filters: Filters | None
) -> Answer | None:
    """A report card or a table from the reports' records, when the question asks for one."""
    settings = resolved(settings, retriever)

    def best_in(query: Query, authority: str) -> list[Passage]:
        one = replace(query, places=(authority,))
        passages = retriever.search_query(
            one, retriever.encode(one), k=10, settings=settings.retrieval,
            filters=replace(filters or Filters(), authorities=(authority,)))
        return [p for p in passages if p.evidence >= settings.min_evidence]

    # From the topic, where places are taken out: not "North East" of "Bath and North East Somerset".
    regions = regions_in(query.topic, retriever.collection_regions())
    return answer_from_records(retriever.index, query, filters=filters, regions=regions, search=best_in)


def resolved(settings: AnswerSettings, retriever: Retriever) -> AnswerSettings:
    """`settings` with the thresholds it leaves open taken from the index's model."""
    if settings.min_evidence is not None and settings.min_related is not None:
        return settings
    evidence, related = thresholds_for(retriever.index.manifest.get("model", ""))
    return replace(settings, min_evidence=evidence if settings.min_evidence is None else settings.min_evidence,
                   min_related=related if settings.min_related is None else settings.min_related)


def missing_kind(query: Query, passages: list[Passage]) -> str | None:
    """What the question asks for that none of the quotes holds ("a figure",
    "a name"), or None. Money and names are asked for in so many words and
    are rare in the reports, so a quote without them cannot be the answer."""
    text = query.text
    quotes = " ".join(p.quote for p in passages)
    if _ASKS_MONEY.search(text):
        # A sum that is not the budget, allowance or salary asked about ("£1.5m
        # for a new hub" for "what is the annual budget") does not answer.
        priced = {m.group(1).lower() for m in _PRICED.finditer(text)}
        if not any(_MONEY.search(p.quote) and (not priced or any(w in p.quote.lower() for w in priced))
                   for p in passages):
            return "that figure"
    if _ASKS_PERSON.search(text) and _PERSON_ROLE.search(text) and not _has_person_name(quotes):
        return "that name"
    if _ASKS_COUNT.search(text) and not _NUMBER.search(quotes):
        return "that figure"
    return None


def _not_answered(question: str, verdict: str, reason: str, passages: list[Passage]) -> Answer:
    if verdict == RELATED:
        text = f"{reason} The closest passages are listed below; they are related, not an answer."
    else:
        text = f"{reason} The closest passages are listed below; they are not an answer."
    return Answer(question, False, text, (), reason=reason, closest=tuple(passages[:3]), verdict=verdict)


def _current_first(passages: list[Passage]) -> list[Passage]:
    """Quotes that answer, with each authority's current report before its superseded
    ones: staff asking about an authority mean where it stands now unless they name a year.
    Authorities keep the order of their best quote; otherwise the ranking's order holds."""
    first: dict[str, int] = {}
    for i, p in enumerate(passages):
        first.setdefault(p.places[0] if p.places else p.doc_id, i)
    return sorted(passages, key=lambda p: (first[p.places[0] if p.places else p.doc_id], p.superseded_by is not None))


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
