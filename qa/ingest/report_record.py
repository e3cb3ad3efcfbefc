"""A loaded report read as a record: what kind of inspection it was, its dates,
its graded judgements (each with the exact words in the text that state it)
and the items it says need to improve.

Pure regular expressions over the report's first pages and one section, so it
is fast, deterministic and never raises on odd text: it returns what it can.

Layouts read (all seen in the shared Ofsted collection, 2013-2026):
- ILACS (2018+): a "Judgement Grade" table on the first page, one row per area
  ("The impact of leaders on social work practice with children and families
  / Good", "Overall effectiveness Good"), rows sometimes run into one line.
  Since the 2025 reform, reports have no overall effectiveness row.
- SIF (2014-2018, including re-inspections): a headline ("Children's services
  in Birmingham are inadequate", "The overall judgement is that children's
  services require improvement") and numbered judgements ("1. Children who need
  help and protection Inadequate", "2.1 Adoption performance Good", "3.
  Leadership, management and governance Requires improvement"), grades often
  set on the next line or split over two ("Requires / Improvement").
- 2013 looked after children inspections: section headings with "Grade 4
  (inadequate)" and a "Record of main findings" table at the end.

Areas are keyed as the manifest keys them where the meaning matches: SIF's
"Children looked after and achieving permanence" and ILACS's "children in care
and care leavers" (one judgement, 2018-2023) are in_care, SIF's "Leadership,
management and governance" is impact_of_leaders; SIF's adoption and LSCB
judgements and the 2013 sections (capacity_to_improve, outcomes,
quality_of_provision, leadership for "Leadership and management") keep keys of
their own. "Not judged" is no judgement.

Where the manifest gives a grade (doc.meta), the words in the text that state
that judgement are still found, so that it can be quoted; if the text states a
different grade, the text is kept (the report is the primary source; the
manifest was transcribed from it and has errors).

Improvements: the items of the first "What needs to improve?" (ILACS),
"Recommendations" / "What does the local authority need to improve?" (SIF) or
"Areas for improvement" (2013) section, one span per bullet or numbered point.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from qa.records import Block, Document

from .article import find_date

GRADES = ("outstanding", "good", "requires improvement", "adequate", "inadequate")
_GRADE = (
    r"(?<![A-Za-z])(?P<grade>outstanding|good|adequate|inadequate"
    r"|requires?\s+improvement(?:\s+to\s+be\s+good)?|not\s+judged)(?![A-Za-z])"
)
_GRADE_RX = re.compile(_GRADE, re.I)
_APOS = "[’'‘]"

# (key, label pattern). Order matters only where two could match the same
# words; each area's first match in the searched text is taken.
_AREAS: tuple[tuple[str, str], ...] = (
    ("overall_effectiveness",
     r"Overall\s+effectiveness(?:\s+of\s+services\s+for\s+looked\s+after\s+children\s+and\s+young\s+people)?"),
    ("impact_of_leaders",
     r"The\s+impact\s+of\s+leaders\s+on\s+(?:social\s+work\s+)?practice\s+with\s+children\s+and\s+families\.?"),
    ("impact_of_leaders", r"Leadership,?\s+management\s+and\s+governance"),
    ("help_and_protection",
     r"(?:The\s+experiences\s+and\s+progress\s+of\s+)?children\s+who\s+need\s+help\s+and\s+protection"),
    # "... children in care and care leavers" (2018-2023 ILACS: one judgement for both) is in_care.
    ("in_care", r"(?:The\s+experiences\s+and\s+progress\s+of\s+)?children\s+(?:in\s+care(?:\s+and\s+care\s+leavers)?"
                r"|looked\s+after\s+and\s+achieving\s+permanence)"),
    ("adoption", r"Adoption\s+performance"),
    ("care_leavers", r"(?:The\s+)?experiences\s+and\s+progress\s+of\s+(?:children\s+)?care\s+leavers"),
    ("lscb", r"The\s+(?:effectiveness\s+of\s+the\s+)?(?:Local\s+Safeguarding\s+Children\s+Board|LSCB)(?:\s*\(LSCB\))?"),
    # 2013 looked after children inspections.
    ("capacity_to_improve", r"Capacity\s+to\s+improve"),
    ("outcomes", r"Outcomes\s+for\s+looked\s+after\s+children\s+and\s+young\s+people"),
    ("quality_of_provision", r"Quality\s+of\s+provision"),
    ("leadership", r"Leadership\s+and\s+management"),
)
# Between an area and its grade: a colon, "is" (the LSCB), or a 2013 "Grade 4 (".
_AREA_RX = tuple(
    (key, re.compile(rf"(?P<label>{label})\s*(?::\s*|\s+is\s+)?(?:Grade\s+\d\s*\(\s*)?{_GRADE}", re.I))
    for key, label in _AREAS
)
# 2013 inspections grade their sections deep in the report: "Capacity to improve / Grade 3 (Adequate)".
_GRADED_SECTION_RX = tuple(
    (key, re.compile(rf"(?P<label>{label})\s+Grade\s+\d\s*\(\s*{_GRADE}\s*\)", re.I)) for key, label in _AREAS
)
# The LSCB's review (SIF, 2014-2018) is graded at the head of its own section, further in:
# "The Local Safeguarding Children Board is good".
_LSCB_LINE_RX = re.compile(
    rf"(?mi)^(?P<label>The\s+(?:effectiveness\s+of\s+the\s+)?(?:Local\s+Safeguarding\s+Children\s+Board|LSCB)"
    rf"(?:\s*\(LSCB\))?)\s+(?:is\s+)?{_GRADE}"
)
# SIF headlines, a line of their own.
_HEADLINE_RX = re.compile(
    rf"(?mi)^[ \t]*(?:The\s+overall\s+judgement\s+is(?:\s+that)?(?:\s+children{_APOS}s\s+services?)?"
    rf"|Children{_APOS}s\s+services?(?:\s+in\s+(?:(?!\b(?:are|is|were|was|require|requires|remain|not)\b)[^\n.]){{1,90}}?)?)"
    rf"(?:\s+(?:are|is))?\s+{_GRADE}[ \t]*\.?[ \t]*$"
)
DEFAULT_LABELS = {
    "overall_effectiveness": "Overall effectiveness",
    "impact_of_leaders": "The impact of leaders on social work practice with children and families",
    "help_and_protection": "The experiences and progress of children who need help and protection",
    "in_care": "The experiences and progress of children in care",
    "care_leavers": "The experiences and progress of care leavers",
}
MANIFEST_KEYS = tuple(DEFAULT_LABELS)
HEAD_PAGES = 2  # the judgements of every layout but 2013's are on the first page or two
HEAD_MAX_CHARS = 20_000

_IMPROVE_HEADING = re.compile(
    r"(?:What\s+needs\s+to\s+improve(?:\s+in\s+this\s+local\s+authority)?|What\s+does\s+the\s+local\s+authority"
    r"\s+need\s+to\s+improve|What\s+the\s+local\s+authority\s+needs\s+to\s+improve|Areas\s+for\s+improvement"
    r"|Recommendations)\s*[?:]?", re.I,
)
# Headings inside an improvement section that do not end it.
_SUBHEADING = re.compile(
    r"(?:Priority\s+and\s+immediate\s+action|Areas\s+for\s+(?:priority\s+action|improvement)|Immediately"
    r"|Within\s+[\w\s]{1,20}?months?|Recommendations|The\s+local\s+authority\s+should[^.]{0,80})\s*[?:]?", re.I,
)
_LSCB_PART = re.compile(
    r"What\s+does\s+the\s+LSCB\s+need\s+to\s+improve\s*\??|(?:Section\s+2\s*:?\s*|Inspection\s+findings\s*[–-]\s*)"
    r"the\s+(?:effectiveness\s+of\s+the\s+)?(?:Local\s+Safeguarding\s+Children\s+Board|LSCB)(?:\s*\(LSCB\))?", re.I,
)
# Headings that end an improvement section even when numbered paragraphs go on counting.
_STOP_HEADING = re.compile(
    r"strengths?|information\s+about|summary|inspection\s+(?:judgements?|findings)|what\s+the\s+inspection"
    r"|executive|contents|section\s*\d|experiences\s+and\s+progress|LSCB|Safeguarding\s+Children\s+Board"
    r"|the\s+local\s+authority$", re.I,
)
_SENTENCE_END = re.compile(r"[.!?;:][\"'”’)\]]*$")
_LEAD_IN = re.compile(r"(?:following\s+actions?|as\s+follows)\s*[.:]$", re.I)
_NONE_NEEDED = re.compile(
    r"(?i)\b(?:there\s+are\s+no|did\s+not\s+(?:find|identify)(?:\s+any)?|no\s+areas?\s+(?:for|of))\b[^.]{0,40}"
    r"\b(?:priority|immediate|areas?\s+for)"
)
_SUB_BULLET = re.compile(r"[−\-–o\u0336]\s")
# A topic heading run into the first numbered item: "Management oversight 1. Line managers should ...".
_HEADED_ITEM = re.compile(r"[^.\n]{3,100}?\s(\d{1,3})\.\s+(?=[A-Z])")
_BULLET_BEFORE = re.compile(r"(?:^|\n)[ \t]*(?:[•◼▪■●◦‣∙·–−\-]|\(?[a-z][.)])[ \t]*$")
MAX_ITEMS = 60


@dataclass(frozen=True, slots=True)
class Judgement:
    """One graded judgement. `area` is a key (overall_effectiveness,
    impact_of_leaders, help_and_protection, in_care, care_leavers; older
    frameworks also adoption, lscb, capacity_to_improve, outcomes,
    quality_of_provision, leadership); `label` the area as the report names it;
    `grade` lower case ("requires improvement to be good" is "requires
    improvement"). `start`/`end`: the words in doc.text that state it (they
    contain the grade), None when only the manifest says it."""

    area: str
    label: str
    grade: str
    start: int | None
    end: int | None
    source: str  # "report" (read from the text) or "manifest"

    def to_json(self) -> dict:
        return {"area": self.area, "label": self.label, "grade": self.grade, "start": self.start,
                "end": self.end, "source": self.source}


@dataclass(frozen=True, slots=True)
class ReportRecord:
    kind: str  # "full inspection", "short inspection", "single inspection", ..., or "inspection"
    published: str | None  # ISO dates
    inspection_start: str | None
    inspection_end: str | None
    judgements: tuple[Judgement, ...]  # overall first, then in the report's order
    improvements: tuple[tuple[int, int], ...]  # spans in doc.text, one per item

    def overall(self) -> Judgement | None:
        return next((j for j in self.judgements if j.area == "overall_effectiveness"), None)

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "published": self.published, "inspection_start": self.inspection_start,
            "inspection_end": self.inspection_end, "judgements": [j.to_json() for j in self.judgements],
            "improvements": [[s, e] for s, e in self.improvements],
        }

    @staticmethod
    def from_json(d: dict) -> ReportRecord:
        return ReportRecord(
            kind=d.get("kind") or "inspection", published=d.get("published"),
            inspection_start=d.get("inspection_start"), inspection_end=d.get("inspection_end"),
            judgements=tuple(
                Judgement(j["area"], j["label"], j["grade"], j.get("start"), j.get("end"), j.get("source", "report"))
                for j in d.get("judgements", ())
            ),
            improvements=tuple((int(s), int(e)) for s, e in d.get("improvements", ())),
        )


def read_record(doc: Document) -> ReportRecord | None:
    """The report's record; None for documents that are not reports."""
    if doc.kind != "report":
        return None
    text = doc.text or ""
    meta = doc.meta or {}
    start, end = _inspection_dates(meta, text)
    judgements = _judgements(text, doc.page_starts, meta)
    return ReportRecord(
        kind=_kind(doc, start, end, judgements), published=_published(meta, text) or _iso(doc.date),
        inspection_start=start, inspection_end=end, judgements=judgements,
        improvements=_improvements(text, doc.blocks),
    )


def normalise_grade(value: str | None) -> str | None:
    """"Requires Improvement to be good" -> "requires improvement"; None if no grade."""
    m = _GRADE_RX.search(value or "")
    if not m:
        return None
    grade = " ".join(m["grade"].lower().split())
    if grade.startswith("require"):
        return "requires improvement"
    return grade if grade in GRADES else None  # "not judged" is no grade


def _head_end(text: str, page_starts: tuple[int, ...]) -> int:
    end = page_starts[HEAD_PAGES] if len(page_starts) > HEAD_PAGES else len(text)
    return min(end, HEAD_MAX_CHARS, len(text))


def _judgements(text: str, page_starts: tuple[int, ...], meta: dict) -> tuple[Judgement, ...]:
    head = text[: _head_end(text, page_starts)]
    found: dict[str, Judgement] = {}
    seen: set[str] = set()  # areas the text states, graded or "Not judged"

    def add(key: str, label: str, m: re.Match, start: int | None = None) -> None:
        seen.add(key)
        grade = normalise_grade(m["grade"])
        if grade is None or key in found:
            return
        start = m.start() if start is None else start
        end = m.end("grade")
        if text.count("(", start, end) > text.count(")", start, end) and text[end : end + 1] == ")":
            end += 1  # "Grade 4 (inadequate)"
        found[key] = Judgement(key, label, grade, start, end, "report")

    for key, rx in _AREA_RX:
        m = rx.search(head) if key not in seen else None
        if m:
            add(key, _label(m["label"]), m)
    m = _HEADLINE_RX.search(head)
    overall = found.get("overall_effectiveness")
    if m and normalise_grade(m["grade"]) and (overall is None or (overall.start or 0) > m.start()):
        found.pop("overall_effectiveness", None)
        add("overall_effectiveness", "Overall effectiveness", m, m.start() + len(m[0]) - len(m[0].lstrip()))
    if len(text) > len(head):  # graded further in: 2013 sections, the LSCB's review
        for key, rx in _GRADED_SECTION_RX:
            if key not in seen and (m := rx.search(text, len(head))):
                add(key, _label(m["label"]), m)
        if "lscb" not in seen and (m := _LSCB_LINE_RX.search(text, len(head))):
            add("lscb", _label(m["label"]), m)
    # The manifest's grades stand alone only where the text gives none: where the
    # text states the judgement its words are kept, and trusted over the manifest
    # if the grades differ (the manifest was transcribed from the reports and has
    # errors: Oxfordshire and Rochdale 2018, St Helens 2023).
    combined = found.get("in_care")
    for key in MANIFEST_KEYS:
        grade = normalise_grade(str(meta.get(key) or ""))
        if key == "care_leavers" and combined is not None and "care leavers" in combined.label.lower():
            # The report judges children in care and care leavers as one (in_care): a separate
            # care leavers grade in the manifest is not the report's (Nottingham 2022 lists one
            # "inadequate" where the report's combined judgement is "requires improvement").
            continue
        if grade and key not in found:
            found[key] = Judgement(key, DEFAULT_LABELS[key], grade, None, None, "manifest")
    ordered = sorted(found.values(), key=lambda j: (j.area != "overall_effectiveness", j.start is None, j.start or 0))
    return tuple(ordered)


def _label(s: str) -> str:
    return " ".join(s.split()).rstrip(".:")


def _improvements(text: str, blocks: tuple[Block, ...]) -> tuple[tuple[int, int], ...]:
    """Each item of the report's improvement section ("What needs to improve?",
    "Recommendations", "Areas for improvement", ...): the bulleted or numbered
    paragraphs under it. Sub-headings ("Priority and immediate action", "Within
    three months:", topic headings between numbered recommendations that go on
    counting) and lead-ins ("... should take the following action.") are passed
    over; any other heading ends it. The first such section with items before the
    LSCB's part of the report is taken (a contents page's entry has none)."""
    for i, b in enumerate(blocks):
        words = text[b.start : b.end].strip()
        if _LSCB_PART.fullmatch(words):
            break
        if _IMPROVE_HEADING.fullmatch(words):
            items = _section_items(text, blocks, i + 1)
            if items:
                return items
    return ()


def _section_items(text: str, blocks: tuple[Block, ...], first: int) -> tuple[tuple[int, int], ...]:
    items: list[tuple[int, int]] = []
    plain: list[tuple[int, int]] = []  # paragraphs without bullet or number, if the section has no items
    lead: str | None = None  # the marker of the section's items: "#" (numbered) or a bullet
    last_number: int | None = None
    pending_headings = 0
    for k in range(first, min(len(blocks), first + 4 * MAX_ITEMS)):
        b = blocks[k]
        s, e = _strip(text, b.start, b.end)
        if e <= s:
            continue
        words = text[s:e]
        if _SUBHEADING.fullmatch(words):
            continue
        number = b.number if b.number is not None else _number_before(text, s)
        marker = "#" if number is not None else _bullet_before(text, s)
        headed = _HEADED_ITEM.match(words) if marker is None and b.kind == "body" else None
        if headed and (last_number is None or int(headed[1]) == last_number + 1):
            number, marker, s = int(headed[1]), "#", s + headed.end()
            words = text[s:e]
        if marker == "#" and len(words) < 120 and not _SENTENCE_END.search(words) and _bulleted_next(text, blocks, k):
            # "1. Quality and effectiveness of practice" over bullets: a group heading, the bullets are the items
            last_number, lead, pending_headings = number, None, 0
            continue
        if items and not pending_headings and (
            _SUB_BULLET.match(words) or marker is not None and lead is not None and marker != lead
        ):
            items[-1] = (items[-1][0], e)  # a sub-point ("− the pre-proceedings process") belongs to its item
            continue
        if marker is not None:
            if pending_headings and items and (number is None or last_number is None or number != last_number + 1):
                break  # a heading then a new list: another section
            pending_headings = 0
            last_number = number
            if _NONE_NEEDED.search(words) or _LEAD_IN.search(words):
                continue
            lead = lead or marker
            items.append(_trim_glued_heading(text, s, e))
            if len(items) >= MAX_ITEMS:
                break
            continue
        if b.kind == "heading" or len(words) < 90 and not _SENTENCE_END.search(words):
            # Before the first item, or between numbered items that go on counting: a topic heading.
            if _STOP_HEADING.search(words) or pending_headings >= 2 or plain and not items:
                break
            pending_headings += 1
            continue
        if items:
            break
        if not _NONE_NEEDED.search(words):
            plain.append((s, e))
            if len(plain) >= MAX_ITEMS:
                break
    return tuple(items or plain)


def _bulleted_next(text: str, blocks: tuple[Block, ...], k: int) -> bool:
    if k + 1 >= len(blocks):
        return False
    return _bullet_before(text, _strip(text, blocks[k + 1].start, blocks[k + 1].end)[0]) is not None


def _bullet_before(text: str, s: int) -> str | None:
    m = _BULLET_BEFORE.search(text[max(0, s - 8) : s])
    if not m:
        return None
    mark = m.group().strip()
    return "a" if mark[-1] in ".)" else mark


def _number_before(text: str, s: int) -> int | None:
    m = re.search(r"(?:^|\n)[ \t]*(\d{1,3})[.)][ \t]*$", text[max(0, s - 8) : s])
    return int(m[1]) if m else None


def _trim_glued_heading(text: str, s: int, e: int) -> tuple[int, int]:
    """An item with the next heading run into it ("... is maintained. Leadership,
    management and governance") ends at its last sentence."""
    words = text[s:e]
    if _SENTENCE_END.search(words):
        return s, e
    ends = list(re.finditer(r"[.!?][”’\"')]*\s+(?=[A-Z])", words))
    m = ends[-1] if ends else None
    if m and len(words) - m.end() <= 80:
        return s, s + m.end(0) - (len(m[0]) - len(m[0].rstrip()))
    return s, e


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    s, e = max(0, min(s, len(text))), max(0, min(e, len(text)))
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


_SIF_TITLE = re.compile(r"\bre-?inspection\b|inspection\s+of\s+services\s+for\s+children\s+in\s+need", re.I)
_ILACS_TITLE = re.compile(rf"children{_APOS}s\s+(?:social\s+care\s+)?services", re.I)
SHORT_MAX_DAYS = 6  # ILACS short inspections are one week on site (4 days apart), standard ones two (11)


def _kind(doc: Document, start: str | None, end: str | None, judgements: tuple[Judgement, ...]) -> str:
    title = " ".join((doc.title or "").split())
    opening = title + " " + " ".join((doc.text or "")[:200].split())
    if re.search(r"\bfocused\s+visit\b", opening, re.I):
        return "focused visit"
    if re.search(r"\bmonitoring\s+visit\b", opening, re.I):
        return "monitoring visit"
    if re.search(r"inspection\s+of\s+looked\s+after\s+children", opening, re.I):
        return "looked after children inspection"
    if re.search(r"inspection\s+of\s+safeguarding", opening, re.I):
        return "safeguarding inspection"
    # A SIF title wins over the manifest: one SIF re-inspection is listed there as "standard".
    if _SIF_TITLE.search(opening):
        return "single inspection"
    framework = str((doc.meta or {}).get("framework") or "").lower()
    if framework.startswith("short"):
        return "short inspection"
    if framework.startswith("standard") or "standard framework" in framework:
        return "full inspection"
    ilacs = _ILACS_TITLE.search(title) or any(j.area == "impact_of_leaders" and j.label.startswith("The impact")
                                              for j in judgements)
    if ilacs and start and end:
        # Not in the manifest: told apart by time on site (the manifest's 287 ILACS
        # reports: short ones 2-4 days from first to last day, standard ones 11-15).
        days = (date.fromisoformat(end) - date.fromisoformat(start)).days
        if days <= SHORT_MAX_DAYS:
            return "short inspection"
        if days >= SHORT_MAX_DAYS + 2:
            return "full inspection"
    return "inspection"


def _iso(value) -> str | None:
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return find_date(value)


def _published(meta: dict, text: str) -> str | None:
    """The manifest's publication date, else the first page's "Report published: 23 May 2014"."""
    line = _PUBLISHED_LINE.search(text[:HEAD_MAX_CHARS])
    return _iso(meta.get("published")) or (find_date(line[1]) if line else None)


_PUBLISHED_LINE = re.compile(r"(?:Report\s+)?published:?\s*([^\n]{6,40})", re.I)


def _inspection_dates(meta: dict, text: str) -> tuple[str | None, str | None]:
    """The manifest's dates, else the first page's "Inspection dates: ..." line."""
    start, end = _iso(meta.get("inspection_start")), _iso(meta.get("inspection_end"))
    if start and end:
        return start, end
    line = _DATES_LINE.search(text[:HEAD_MAX_CHARS])
    s, e = _date_range(line[1]) if line else (None, None)
    if not (s and e):
        s, e = _date_range(str(meta.get("inspection_dates") or ""))
    return start or s, end or e


_DATES_LINE = re.compile(
    r"Inspection\s+dates?\s*:?\s*([^\n]{4,120}?)\s*(?:Report\s+published|Lead\s+inspector|Published|\n|$)", re.I
)
_MONTH_NUMBERS = {
    name: i for i, names in enumerate((
        ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
        ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"), ("november", "nov"),
        ("december", "dec"),
    ), start=1) for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_DATE_TOKEN = re.compile(
    rf"\b(\d{{1,2}})/(\d{{1,2}})/((?:19|20)\d\d)\b"
    rf"|\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+({_MONTH_NAMES})\b\.?)?(?:,?\s+((?:19|20)\d\d))?(?!\d)",
    re.I,
)
MAX_INSPECTION_DAYS = 120


def _date_range(value: str) -> tuple[str | None, str | None]:
    """First and last day of "8 – 12 July 2013", "27 June to 1 July 2022", "9–24 November 2017",
    "1/06/2015 – 25/06/2015", "19 November-11 December 2013 and 28 – 30 January 2014"."""
    tokens: list[list] = []  # [day, month or None, year or None]
    for m in _DATE_TOKEN.finditer(value or ""):
        if m[1]:
            tokens.append([int(m[1]), int(m[2]), int(m[3])])
        else:
            tokens.append([int(m[4]), _MONTH_NUMBERS.get((m[5] or "").lower()), int(m[6]) if m[6] else None])
    month = year = None
    for t in reversed(tokens):  # "9–24 November 2017": the first day takes its month and year from the last
        month = t[1] = t[1] or month
        year = t[2] = t[2] or year
    try:
        days = [date(y, mo, d) for d, mo, y in tokens if mo and y]
    except ValueError:
        return None, None
    if not days:
        return None, None
    first, last = days[0], days[-1]
    if first > last and first.replace(year=first.year - 1) <= last:  # "29 December to 2 January 2019"
        first = first.replace(year=first.year - 1)
    if not timedelta(0) <= last - first <= timedelta(days=MAX_INSPECTION_DAYS):
        return None, last.isoformat()
    return first.isoformat(), last.isoformat()
