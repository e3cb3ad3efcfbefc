"""Checking a question and reading what it asks about (places)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.errors import InvalidQuestion
from qa.index.lexical import tokenize
from qa.ingest.gazetteer import Gazetteer

MAX_QUESTION_CHARS = 2000


# Words that frame a question about inspections rather than say what it is
# about ("what did inspectors say about ..."): every document in this
# collection is by or about inspectors, so matching them only adds noise to
# the word-matching side. The dense side still sees the whole question.
FRAMING_WORDS = re.compile(
    r"\b(?:inspectors?|inspections?|ofsted|say|says|said|saying|find|finds|found|findings?"
    r"|report|reports|reported|think|thinks|according|tell|tells|mention|mentions|mentioned"
    # question words and asking phrases
    r"|what|which|who|whom|whose|when|where|why|how|did|do|does|about|me|anything|something"
    r"|please|give|show|summary|summarise|summarize|overview|also|else|and|there|latest|recent|newest|current|last)\b",
    re.IGNORECASE,
)


# A year, but not one of a range of data ("in 2013-14", "2016/17").
_YEAR = re.compile(r"\b(?:19|20)\d\d\b(?!\s?[-–/]\s?\d)(?<!\d[-–/]\d\d)")
# A year the question counts from or to ("since 2017", "after the 2012
# inspection", "in the years before 2019", "around 2015"): what it asks about
# is in a report of another year, so the year neither points at that year's
# inspection nor, when there was none, makes the question unanswerable.
_RELATIVE_YEAR = re.compile(
    r"\b(?:since|after|before|until|till|following|prior\s+to|up\s+to|around|circa|pre|post)[\s-]+"
    r"(?:(?:the|their|its)\s+)?(?:(?:ofsted|last|previous|earlier|first)\s+)?((?:19|20)\d\d)\b", re.I)
# Words around a place's name that belong to it: "in", "the London Borough of", "Council's".
_BEFORE_PLACE = re.compile(
    r"(?:\b(?:in|for|at|of|from|across|within)\s+)?(?:\bthe\s+)?(?:\b(?:london|royal|metropolitan)\s+borough\s+of"
    r"|\bborough\s+of|\bcity\s+of|\bcounty\s+of|\bLB|\bRB)?\s*$", re.I)
_AFTER_PLACE = re.compile(
    r"(?:['’]s\b)?(?:\s+(?:metropolitan\s+borough|borough|county|city|district|unitary))?(?:\s+council\b)?(?:['’]s\b)?",
    re.I)
# How a question points at an inspection by its time, when the metadata answers it.
_TIME_PHRASE = re.compile(
    r"\b(?:(?:in|at|from|during|of|for|by)\s+)?(?:the\s+|their\s+|its\s+)?(?:latest|most\s+recent|newest|current|last"
    r"|recent|previous)\b(?:\s+(?:ofsted|full|ilacs))?(?:\s+(?:inspections?|reports?|visits?|judgements?))?", re.I)
_LATEST = re.compile(r"\b(?:latest|most recent|newest|current|last inspection|recent inspection)\b", re.I)


@dataclass(frozen=True, slots=True)
class Query:
    text: str  # the question as asked, cleaned of control characters
    topic: str  # the question without the places and years it names: what it is about
    places: tuple[str, ...]  # canonical authority names named in it
    years: tuple[int, ...] = ()  # years named in it ("in 2019")
    latest: bool = False  # asks for the latest inspection
    # Nothing but places, years and framing words was asked ("north tyneside latest ofsted"):
    # the topic is then the whole question, so that there is something to encode.
    bare: bool = False

    @property
    def is_overview(self) -> bool:
        """A question that names a place and nothing else to look for:
        "What did inspectors say about Sheffield?", "And what about Leeds?"."""
        return bool(self.places) and not self.has_subject

    @property
    def has_subject(self) -> bool:
        """Whether anything but places, years and framing words is asked about."""
        return not self.bare and bool(tokenize(FRAMING_WORDS.sub(" ", self.topic)))

    @property
    def keywords(self) -> str:
        """The topic without framing words: what word matching should use."""
        stripped = re.sub(r"\s+", " ", FRAMING_WORDS.sub(" ", self.topic)).strip()
        return stripped or self.topic


def parse_question(
    question: object, gazetteer: Gazetteer, *, known_places: set[str] | None = None,
    known_years: set[int] | None = None,
) -> Query:
    """Validate a question; raises InvalidQuestion with what to do instead.

    Places and years are taken out of the topic only when they are in
    `known_places` / `known_years` (when given): a place or year the
    collection has no metadata for cannot be preferred, so it stays a word to
    match (a benchmark corpus, or uploads without metadata)."""
    if not isinstance(question, str):
        raise InvalidQuestion("The question must be text.")
    # White space is collapsed first, at C speed: the per-character pass below
    # then only ever sees a bounded text, however much was pasted (10 MB took 10 s).
    text = " ".join(question.split())
    if len(text) <= 4 * MAX_QUESTION_CHARS:
        text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)  # control, format, unassigned
        text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InvalidQuestion(
            "The question is empty: type a question, e.g. “What did inspectors say about supervision?”"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestion(
            f"The question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
            "Ask about one thing at a time, in a sentence or two."
        )
    if not re.search(r"\w", text):
        raise InvalidQuestion("The question has no words in it: ask in words, e.g. “How is supervision in Rotherham?”")
    found = gazetteer.find(text, question=True)
    places = tuple(dict.fromkeys(name for name, _, _ in found))
    topic = text
    for name, s, e in sorted(found, key=lambda f: -f[1]):
        if known_places is not None and name not in known_places:
            continue
        # "in Rotherham", "the London Borough of Bromley", "Luton Borough Council's": the
        # preposition, the council's style and the possessive go with the place
        before = _BEFORE_PLACE.search(topic[:s])
        after = _AFTER_PLACE.match(topic[e:])
        topic = topic[: before.start() if before else s] + " " + topic[e + (after.end() if after else 0) :]
    relative = {int(y) for y in _RELATIVE_YEAR.findall(topic)}
    years = tuple(sorted({int(y) for y in _YEAR.findall(topic)} - relative))
    metadata_years = "|".join(str(y) for y in years if known_years is None or y in known_years)
    if metadata_years:
        topic = re.sub(rf"\b(?:in|for|from|during)\s+(?=(?:{metadata_years})\b)", "", topic, flags=re.I)
        topic = re.sub(r"\s+", " ", re.sub(rf"\b(?:{metadata_years})\b", " ", topic)).strip() or text
    latest = bool(_LATEST.search(text))
    if latest or metadata_years:  # "in the latest inspection": said by the metadata, not by the words
        topic = _TIME_PHRASE.sub(" ", topic)
    topic = re.sub(r"\s+", " ", re.sub(r"\s+([?.!,:;])", r"\1", topic)).strip(" -–,:;")
    return Query(text, topic or text, places, years, latest, bare=not topic)
