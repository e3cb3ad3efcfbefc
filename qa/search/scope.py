"""What a question asks about that the collection cannot hold: a place that
is no local authority, an authority with no report here, a service Ofsted
does not inspect, a time with no inspection of that authority.

Each check returns a plain statement for the reader ("There is no local
authority called East Tyneside. Did you mean North Tyneside or South
Tyneside?") instead of quotes about something else; the answer is then "none"
(see qa/answer/verdict.py). The checks read the question's words and the
collection's metadata; none of them is a list of test questions.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from bm25s.stopwords import STOPWORDS_EN

from qa.ingest.gazetteer import Gazetteer
from qa.records import Document

from .cite import readable_date
from .filters import document_years
from .query import Query

# Words of authority names that name nothing on their own ("North", "City").
_GENERIC = {
    "north", "south", "east", "west", "central", "mid", "greater", "upper", "lower", "city", "of", "and", "the",
    "upon", "on", "with", "borough", "county", "council", "district", "royal", "metropolitan", "inner", "outer",
    "london", "england",  # a region and a country: "the London Borough of ...", "across England"
    "yorkshire", "humber", "midlands", "mids", "anglia",  # regions as people name them: "councils in Yorkshire"
}
_DIRECTION = r"(?i:north|south|east|west|central|mid|greater|upper|lower|inner|outer)(?:[\s-]+(?i:east|west))?"
_COUNCIL_WORDS = re.compile(r"^\s+(?:(?:county|city|borough|district|metropolitan\s+borough)\s+)?council\b", re.I)
_SHIRE = re.compile(r"^[A-Z][a-z]+shire$")
# Capitalised words before "council" that are no place's name ("Which council", "The Council").
# "Children in Care Council", "Youth Council" and "School Council" are groups of children, not authorities.
_NOT_NAMES = set(STOPWORDS_EN) | {"which", "what", "whose", "how", "why", "where", "the", "this", "that", "each",
                                  "every", "any", "local", "county", "city", "borough", "parish", "town", "district",
                                  "care", "youth", "school", "schools", "student", "students", "pupil", "pupils",
                                  "young", "people", "leavers", "children", "family", "families", "parent", "parents"}
# A name followed by one of these is an area wider than one council: "Cleveland
# police", "the other Berkshire councils", "Cheshire fire service".
_WIDER_AREA = re.compile(
    r"^['’]?s?\s+(?:police|constabulary|fire|nhs|health|councils|authorities|local\s+authorities)\b", re.I)

# Services Ofsted does not inspect, with who does (for the reader).
_NOT_OFSTED = (
    (re.compile(r"\badult(?:s['’]?)?\s+(?:social\s+care|services|care)\b|\bcare\s+homes?\s+for\s+(?:the\s+)?(?:elderly|older)"
                r"|\b(?:elderly|older)\s+(?:people|residents)\b", re.I),
     "adult social care", "the Care Quality Commission (CQC) inspects it"),
    (re.compile(r"\b(?:hospitals?|a\s*&\s*e|accident\s+and\s+emergency|gp\s+surger(?:y|ies)|gps?\b"
                r"|nhs\s+trusts?)", re.I),
     "hospitals and GP surgeries", "the Care Quality Commission (CQC) inspects them"),
    (re.compile(r"\bpolice\s+(?:forces?|force['’]s|performance|efficiency)|\bconstabular(?:y|ies)\b", re.I),
     "police forces", "His Majesty's Inspectorate of Constabulary (HMICFRS) inspects them"),
    (re.compile(r"\b(?:bin|refuse|rubbish|waste)\s+collections?|\bcouncil\s+tax\b|\bhousing\s+benefit|\bpotholes?\b"
                r"|\broad\s+repairs?|\bhousing\s+repairs?|\blibrar(?:y|ies)\b|\bplanning\s+applications?", re.I),
     "council services such as this", "Ofsted inspects only services for children, education and skills"),
)
# The question is about children's services all the same ("adult services for care leavers").
_ABOUT_CHILDRENS_SERVICES = re.compile(
    r"\b(?:social\s+(?:care|work(?:ers?)?)|safeguarding|looked[\s-]+after|in\s+care|care\s+leavers?|leaving\s+care"
    r"|health\s+assessments?|camhs|mental\s+health|foster|adoption|child\s+protection|missing)\b", re.I)
_ABOUT_CHILDREN = re.compile(
    r"\b(?:child(?:ren)?['’]?s?|young\s+(?:people|person)|care\s+leavers?|looked[\s-]+after|teenagers?|kids?"
    r"|transition|leaving\s+care|foster|adoption|safeguarding|youth|pupils?|school)\b", re.I)


@dataclass(frozen=True, slots=True)
class OutOfScope:
    reason: str  # what the reader is told


def unknown_places(text: str, gazetteer: Gazetteer) -> list[tuple[str, list[str]]]:
    """Names in the question that look like a local authority but are none,
    each with the authorities it may mean ("East Tyneside" -> North Tyneside,
    South Tyneside; "North Surrey" -> Surrey; "Westshire" -> Wiltshire)."""
    found = gazetteer.find(text, question=True)
    known_spans = [(s, e) for _, s, e in found]
    out: list[tuple[str, list[str]]] = []
    # 1. A direction before a known name that is no authority of that name: "North Surrey".
    for name, s, e in found:
        m = re.search(rf"(?<![\w-])({_DIRECTION})[\s-]+$", text[:s])
        if m and not gazetteer.resolve(f"{m.group(1)} {text[s:e]}"):
            whole = _title_case(f"{m.group(1)} {text[s:e]}")
            if not gazetteer.find(whole) or gazetteer.find(whole)[0][1] != 0:
                out.append((whole, _suggest(whole, gazetteer, prefer=[name])))
    # 2. A capitalised name not in the gazetteer that has an authority's word in it
    #    ("East Tyneside"), is called a council ("Westbury Council"), or ends in -shire.
    words = _place_words(gazetteer)
    for m in re.finditer(r"(?<![\w-])[A-Za-z][a-z]+(?![\w-])", text):
        s, e = m.span()
        word = m.group(0)
        if any(a < e and s < b for a, b in known_spans) or word.lower() in _GENERIC:
            continue
        if _WIDER_AREA.match(text[e:]):
            continue
        council = bool(_COUNCIL_WORDS.match(text[e:]))
        d = re.search(rf"(?<![\w-])({_DIRECTION})[\s-]+$", text[:s])
        if word[0].islower():
            if not (d and word in words):
                continue  # lower case: only a place's word after a direction ("west cumberland")
        elif not (word.lower() in words or _SHIRE.match(word) or council and word.lower() not in _NOT_NAMES):
            continue
        name = _title_case(f"{d.group(1)} {word}" if d else word)
        if not gazetteer.resolve(name) and name not in (n for n, _ in out):
            out.append((name, _suggest(name, gazetteer)))
    return out


def _title_case(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.split())


def _place_words(gazetteer: Gazetteer) -> set[str]:
    return {w.lower() for name in gazetteer.authorities for w in re.findall(r"[A-Za-z]+", name)} - _GENERIC


def _suggest(name: str, gazetteer: Gazetteer, *, prefer: list[str] | None = None) -> list[str]:
    """Up to three authorities the reader may have meant: those sharing a
    distinctive word with the name, then the closest in spelling."""
    tokens = {t.lower() for t in re.findall(r"[A-Za-z]+", name)} - _GENERIC
    sharing = [a for a in gazetteer.authorities if tokens & {w.lower() for w in re.findall(r"[A-Za-z]+", a)}]
    close = difflib.get_close_matches(name, list(gazetteer.authorities), n=3, cutoff=0.6)
    out = list(dict.fromkeys([*(prefer or []), *sorted(sharing, key=len), *close]))
    return out[:3]


def not_inspected_service(text: str) -> tuple[str, str] | None:
    """(the service, who inspects it) when the question asks about a service
    Ofsted does not inspect and not about children."""
    for pattern, service, who in _NOT_OFSTED:
        # Adult services asked about for care leavers, or a hospital's part in protecting
        # children, are the reports' business; the service itself is not.
        exempt = _ABOUT_CHILDREN if service == "adult social care" else _ABOUT_CHILDRENS_SERVICES
        if pattern.search(text) and not exempt.search(text):
            return service, who
    return None


def inspections_of(documents: list[Document], place: str) -> list[Document]:
    """The reports about an authority, oldest first."""
    docs = [d for d in documents if d.kind == "report" and d.places and d.places[0] == place]
    return sorted(docs, key=lambda d: d.date or "")


def check(query: Query, documents: list[Document], gazetteer: Gazetteer, collection_places: set[str],
          *, today: date | None = None) -> OutOfScope | None:
    """Why the collection cannot answer this question, or None to go and look."""
    today = today or date.today()
    unknown = unknown_places(query.text, gazetteer)
    if unknown:
        name, options = unknown[0]
        hint = f" Did you mean {_or(options)}?" if options else ""
        return OutOfScope(f"There is no local authority called {name}.{hint}")
    service = not_inspected_service(query.text)
    if service:
        what, who = service
        return OutOfScope(f"Ofsted does not inspect {what}: {who}. These reports are inspections of local "
                          "authorities' services for children.")
    future = [y for y in query.years if y > today.year]
    if future and not any(y <= today.year for y in query.years):
        return OutOfScope(f"{future[0]} is in the future: the reports can only say what inspectors found up to "
                          f"{readable_date(today.isoformat())}.")
    missing = [p for p in query.places if p not in collection_places]
    if query.places and len(missing) == len(query.places):
        return OutOfScope(f"The collection has no documents about {_or(missing)}.")
    if query.years and query.places:
        for place in query.places:
            reports = inspections_of(documents, place)
            if reports and not any(document_years(d) & set(query.years) for d in reports):
                held = _and([readable_date(d.date) or "?" for d in reports])
                years = _or([str(y) for y in query.years])
                return OutOfScope(
                    f"The collection has no inspection of {place} in {years}; it holds the "
                    f"{'inspection' if len(reports) == 1 else 'inspections'} of {place} published {held}.")
    return None


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
