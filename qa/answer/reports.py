"""Answers from the reports' records: one report's card, and questions
across reports.

- "Summarise the latest Dorset inspection", "What does Bedford need to
  improve?", "What grade did Ofsted give Dorset in May 2025?": the report's
  card, its judgements and its improvement points.
- "Which authorities were judged inadequate in 2024?": a table of reports.
- "How has Bradford's grade changed since 2014?": its reports in time order.
- "Which authorities in the North West improved at their last inspection?":
  each authority's last graded report against the one before.
- "Compare Croydon and Hounslow on care leavers": each side's judgement and
  its best quotes, side by side.

Every row is traced to the words of the report that state it, quoted and
cited, or, where the text does not state it in a form the record reader
finds, to the manifest row, marked as such. Other questions return None and
are answered with passages as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa.index.store import LoadedIndex
from qa.ingest.gazetteer import one_edit
from qa.ingest.report_record import Judgement, ReportRecord
from qa.records import Answer, Document, Passage, RecordRow
from qa.search.cite import readable_date
from qa.search.filters import Filters, document_years
from qa.search.query import Query
from qa.search.quote import span_passage

# Higher is better; "adequate" (2013 reports) stood where "requires improvement" stands now.
GRADE_LEVEL = {"outstanding": 4, "good": 3, "requires improvement": 2, "adequate": 2, "inadequate": 1}
AREA_LABELS = {
    "overall_effectiveness": "Overall effectiveness",
    "impact_of_leaders": "The impact of leaders",
    "help_and_protection": "Children who need help and protection",
    "in_care": "Children in care",
    "care_leavers": "Care leavers",
}
# What a question calls each judgement.
_AREAS = (
    ("care_leavers", re.compile(r"\bcare[\s-]+leavers?\b|\bleaving\s+care\b|\bcare\s+leaving\b", re.I)),
    ("in_care", re.compile(r"\blooked[\s-]+after\b|\bin\s+(?:the\s+council'?s\s+)?care\b", re.I)),
    ("help_and_protection", re.compile(r"\bhelp\s*(?:and|&)\s*protection\b|\bchild\s+protection\b|\bprotecting\b"
                                       r"|\bsafeguarding\b|\bneed\s+(?:of\s+)?help\b", re.I)),
    ("impact_of_leaders", re.compile(r"\bleaders(?:hip)?\b|\bmanagement\b|\bmanagers\b", re.I)),
    ("overall_effectiveness", re.compile(r"\boverall\b|\b(?-i:OE)\b", re.I)),
)
_GRADE = r"(outstanding|good|requires?\s+improvement|(?-i:RI)|adequate|inadequate|failing|failed)"
_ADVERB = r"(?:(?:currently|now|still|ever|all|both|already)\s+)?"
# "were judged inadequate", "are currently outstanding", "an inadequate rating"; not "good at" or "good practice".
_GRADE_ASKED = re.compile(
    rf"\b(?:judged|rated|graded|found|assessed|given|received|got|gained|awarded|scored|marked|earned|achieved"
    rf"|ended\s+up|came\s+out|come\s+out|holds?|holding|had|has|have|were|are|was|is|been|as)\s+"
    rf"{_ADVERB}(?:as\s+|to\s+be\s+|with\s+|on\s+)?(?:an?\s+)?(?:overall\s+)?{_GRADE}"
    r"(?!\s+(?:practice|work|examples?|with|to)\b)(?!\s+at\s+(?!the\s+moment|present|the\s+(?:last|latest|most)"
    r"|their\s+(?:last|latest)|its\s+(?:last|latest))\w)"
    rf"|\b{_GRADE}\s+(?:overall|ratings?|grades?|judgements?|reports?|inspections?)\b"
    rf"|\b(?:currently|now|still)\s+{_GRADE}\b", re.I)
# A question about many authorities: "which councils", "list every LA", "councils that got", "any ... councils".
_AUTHORITIES = r"(?:authorities|councils|las|areas|places|boroughs|counties)"
_MANY = re.compile(
    rf"\b(?:which|what|whose|list|name|how\s+many|all|any)\b[^?]*?\b{_AUTHORITIES}\b"
    rf"|\b{_AUTHORITIES}\b[^?]*?\b(?:which|whose|list)\b"
    r"|\b(?:list|which|how\s+many)\b[^?]*?\b(?:reports|inspections)\b"
    r"|\b(?:every|each|any)\s+(?:[\w-]+\s+){0,3}?(?:la|council|authority|local\s+authority)\b"
    rf"|\b{_AUTHORITIES}\s+(?:(?:that|which|who|whose|with|where|rated|judged|graded|given|got|getting|marked)\b"
    r"|(?:currently|now|still)\b)"
    r"|^\W*who\s+(?:got|gets|was|were|is|are|has|have|had|received|scored|came\s+out|holds?)\b", re.I)
_PRESENT = re.compile(r"\b(?:are|is|currently|now|still|today)\b", re.I)
_CHANGE_OF_ONE = re.compile(
    r"\b(?:chang(?:e|ed|es|ing)|over\s+time|history|trend|track\s+record|progress(?:ed)?|improved|declined|since"
    r"|moved|gone|went|better|worse)\b", re.I)
# Words that ask for a record over time on their own ("Hull inspection history", "over time").
# ("medical history" and "family history" are something else).
_TIMELINE = re.compile(
    r"\b(?:inspections?|ofsted|grades?|grading|ratings?|judgements?|effectiveness|leadership)\s+(?:history|record)\b|\bhistory\s+of\s+(?:its|their|the)?\s*"
    r"(?:inspections|grades|ratings|judgements)\b|\btrack\s+record\b|\bover\s+time\b|\bover\s+the\s+years\b"
    r"|\b(?:at\s+)?(?:each|every)\s+(?:inspection|report|visit)\b|\bin\s+date\s+order\b", re.I)
# "Has Ealing's help and protection improved since 2019?", "has Plymouth got any better since 2018": a
# grade's change when a year to count from is named (without one, "are care leavers getting better
# support" asks about the support).
_BETTER_SINCE = re.compile(
    r"\b(?:improved|(?:got|get|gotten|getting)\s+(?:any\s+)?(?:better|worse)|declined|worsened|gone\s+(?:up|down))"
    r"\s+since\s+(?:19|20)\d\d\b", re.I)
# What is left of a question once it asks only whether an authority got better: "has [Plymouth] got
# any better since 2018", "have [Dudley's] children's services got worse since 2018".
_ONLY_CHANGE_WORDS = re.compile(
    r"\b(?:has|have|had|it|they|things|children['’]?s?|services?|got|get|gotten|any|better|worse|improved|declined"
    r"|worsened|gone|up|down|since|(?:19|20)\d\d|latest|last|most|recent|the|its|their|according|to|according)\b"
    r"|['’]s\b", re.I)


def _other_subject(topic: str) -> bool:
    from qa.search.query import FRAMING_WORDS

    return bool(re.search(r"\w", _ONLY_CHANGE_WORDS.sub(" ", FRAMING_WORDS.sub(" ", topic))))


_LAST_TIME = re.compile(r"\b(?:last|latest|most\s+recent)\s+(?:inspections?|ofsted|ilacs|reports?|visits?|time)\b",
                        re.I)
_IMPROVED = re.compile(
    r"\b(?:improved|improve|(?:got|get|gotten|getting)\s+(?:any\s+)?better|go(?:ne)?\s+up|went\s+up|moved\s+up"
    r"|upgraded|(?:saw|seen|made|shown?)\s+(?:an?\s+)?improvement)\b", re.I)
_DECLINED = re.compile(
    r"\b(?:declined|(?:got|get|gotten|getting)\s+worse|worsened|go(?:ne)?\s+down|went\s+down|moved\s+down|dropped"
    r"|drop|fell|fall|deteriorated|slipped|downgraded|marked\s+down|(?:went|gone|go|going)\s+backwards?|lost\s+a\s+grade)\b",
    re.I)
_COMPARE = re.compile(
    r"\b(?:compare[ds]?|comparison|comparing|versus|vs\.?|v\.?|against|differ(?:ence|ences|s)?|side\s+by\s+side"
    r"|better|worse|higher|lower)\b", re.I)
# A question about one report as a whole: its summary, judgements or improvement points. "Judged",
# "judgement", "grade" and "rating" also name other things ("children judged to be at risk",
# "management judgements about risk", "career grade", "RAG rating"): only Ofsted's sense counts.
_OFSTED_GRADE = (
    r"\b(?<!career\s)(?<!pay\s)(?<!rag\s)(?<!risk\s)(?<!star\s)(?<!job\s)(?:grades?|ratings?)\b"
    r"|(?<!professional\s)(?<!management\s)(?<!social\swork\s)(?<!practice\s)\bjudgements?\b"
    r"(?!\s+(?:about|on|of|made|by|when|that|calls?)\b)")
_CARD = re.compile(
    r"\bsummar(?:y|ise|ize|ising|izing)\b|\b(?:an?|quick|brief|short)\s+overview\b|\boverview\s+of\b"
    r"|\b(?:key|main)\s+(?:findings|points|messages)\b"
    r"|\bneeds?\s+to\s+improve\b|\b(?:areas?|points?)\s+(?:for|of)\s+improvement\b|\btold\s+to\s+improve\b"
    r"|\bimprovements?\s+(?:needed|required)\b|\brecommendations\b"
    r"|\b(?:ofsted|inspection)(?:\s+(?:19|20)\d\d)?\s+(?:results?|outcomes?|verdict)\b"
    r"|\btell\s+me\s+about\b[^?]*\b(?:inspection|report|ofsted)\b|\breport\s+card\b|\bscore\s*card\b"
    r"|\brundown\b|\bwhat\s+(?:did|does|has)\s+(?:\w+\s+){0,3}?(?:get|got|give|gave|award|score|scored)\b"
    r"|\bwhat\s+happened\b[^?]*\b(?:inspection|ofsted|visit)\b|" + _OFSTED_GRADE, re.I)
# "Rated inadequate", "how were care leavers rated?": asked of one authority, its card, unless
# the question asks what the report said about something (progress since, a panel): passages.
_JUDGED = re.compile(
    rf"\b(?:judged|rated|graded)\s+(?:as\s+|to\s+be\s+)?{_GRADE}\b|\bhow\s+(?:was|were|is|are|has|have|did)\b"
    r"[^?]{0,60}?\b(?:rated|judged|graded|do|doing|done|perform|fare|score|get\s+on|got\s+on)\b(?!\s+to\b)",
    re.I)
_SAID_ABOUT = re.compile(
    r"\b(?:say|said|says|find|found|report)\s+(?:about|on|was|were|is|are)\b|\bprogress\b|\bsince\b", re.I)
# A grade's change over time asks about the grade itself, not about how far things have come.
_GRADE_NOUN = re.compile(_OFSTED_GRADE + r"|\b(?:grades|ratings|judgements)\b|\b(?:inspections|ofsteds)\b", re.I)
_ABOUT_INSPECTION = re.compile(r"\b(?:inspections?|ofsted|report|visit)\b", re.I)
_HOW_FAR = re.compile(r"\bhow\s+(?:much|far)\b", re.I)
# Questions that want the reports' reasons or figures, not their grades: passages answer them.
_WANTS_REASONS = re.compile(r"^\W*why\b|\bwhy\s+(?:was|were|is|are|did|has|have|does|do)\b|\breasons?\s+(?:for|why)\b"
                            r"|\bwhat\s+(?:\w+\s+)?(?:led|lay\s+behind|went\s+wrong|were\s+the\s+(?:problems|issues|failings))\b",
                            re.I)
# Across authorities, a question that asks what the reports said wants their words, not a table.
_ASKS_WORDS = re.compile(r"\bwhat\s+(?:did|do|does)\s+(?:inspectors|ofsted|the\s+reports?)\s+(?:say|find|said)\b", re.I)
_WANTS_FIGURE = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|\bpercentage\b|\bproportion\b", re.I)
_MONTH_YEAR = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\s+((?:19|20)\d\d)\b",
    re.I)
# The year a question counts from: "since 2019", "since the separate judgement began in 2023",
# "from 2019 onwards", "2019 onwards", "in the 2020s".
_SINCE = re.compile(r"\b(?:since|after|from)\b[^?.;]{0,40}?\b((?:19|20)\d\d)\b|\b((?:19|20)\d\d)\s+onwards\b"
                    r"|\b(?:in\s+)?the\s+((?:19|20)\d)0s\b", re.I)
_PUBLISHED = re.compile(r"\bpublished\b", re.I)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
MAX_FINDINGS_PER_SIDE = 2


def _since_year(text: str) -> str | None:
    m = _SINCE.search(text)
    if not m:
        return None
    return m.group(1) or m.group(2) or m.group(3) + "0"


@dataclass(frozen=True, slots=True)
class _Report:
    index: int
    doc: Document
    record: ReportRecord
    authority: str
    region: str | None
    superseded_by: str | None = None  # the publication date of the authority's latest report, if later

    @property
    def when(self) -> str:
        return self.record.published or self.doc.date or ""


def answer_from_records(
    index: LoadedIndex, query: Query, *, filters: Filters | None = None, regions: tuple[str, ...] = (),
    search=None,
) -> Answer | None:
    """The answer from reports' records when the question asks for one, else None.

    `regions`: regions the question names. `search(question, authority)`:
    the best passages about a question in one authority's reports (for a
    comparison's findings)."""
    text = _corrected(query.text)
    reports = _reports(index, filters, regions)
    if not reports or _WANTS_REASONS.search(text):
        return None
    area = _area_asked(text)
    if len(query.places) >= 2 and _COMPARE.search(text):
        return _comparison(query, reports, area, search)
    if len(query.places) == 1:
        mine = [r for r in reports if r.authority == query.places[0]]
        if not mine:
            return None
        if _WANTS_FIGURE.search(text) or _HOW_FAR.search(text):
            return None
        if (_CHANGE_OF_ONE.search(text) and _GRADE_NOUN.search(text)) or (
                _BETTER_SINCE.search(text) and (area or not _other_subject(query.topic))) or (
                _TIMELINE.search(text) and (_GRADE_NOUN.search(text) or _JUDGED.search(text) or area
                                            or _ABOUT_INSPECTION.search(text))):
            return _timeline(query, mine, area)
        if _CARD.search(text) or (_JUDGED.search(text) and not _SAID_ABOUT.search(text)):
            return _card(query, mine, area)
        if not query.has_subject and (query.years or query.latest or _ABOUT_INSPECTION.search(text)):
            # "north tyneside latest ofsted", "what did Ofsted find in Tameside in 2024"
            return _card(query, mine, area)
        return None
    if query.places or _ASKS_WORDS.search(text):
        return None
    if (_IMPROVED.search(text) or _DECLINED.search(text)) and (_MANY.search(text) or _LAST_TIME.search(text)):
        return _changes(query, reports, area, improved=not _DECLINED.search(text))
    grade = _GRADE_ASKED.search(text)
    if grade and _MANY.search(text):
        return _grade_table(replace(query, text=text), reports, area, _grade_of(grade), regions)
    return None


# Grade words as typed in a hurry ("inadquate", "outstandng"): one letter out, in or swapped.
_SPELT_GRADES = ("inadequate", "outstanding", "improvement")


def _corrected(text: str) -> str:
    def fix(m: re.Match) -> str:
        word = m.group(0)
        lower = word.lower()
        for grade in _SPELT_GRADES:
            if one_edit(lower, grade):
                return grade
        return word

    return re.sub(r"[A-Za-z]{8,12}", fix, text)


# Regions by the names people use for them besides their own.
_REGION_ALIASES = {"Yorkshire and the Humber": ("Yorkshire", "the Humber"), "West Midlands": ("West Mids",),
                   "East Midlands": ("East Mids",)}


def regions_in(text: str, regions: set[str]) -> tuple[str, ...]:
    """The regions of England a question names ("in the North West", "Yorkshire councils")."""
    return tuple(r for r in sorted(regions) if any(
        re.search(rf"\b{re.escape(name)}\b", text, re.I) for name in (r, *_REGION_ALIASES.get(r, ()))))


def _reports(index: LoadedIndex, filters: Filters | None, regions: tuple[str, ...]) -> list[_Report]:
    out = []
    for i, record in index.report_records.items():
        doc = index.documents[i]
        if not doc.places or (filters is not None and not filters.allows(doc)):
            continue
        region = doc.meta.get("region") or None
        if regions and (region or "").lower() not in {r.lower() for r in regions}:
            continue
        out.append(_Report(i, doc, record, doc.places[0], region, index.superseded_by.get(doc.doc_id)))
    return sorted(out, key=lambda r: (r.authority, r.when))


def _area_asked(text: str) -> str | None:
    return next((area for area, rx in _AREAS if rx.search(text)), None)


def _grade_of(m: re.Match) -> str:
    word = " ".join(next(g for g in m.groups() if g).lower().split())
    if word in ("failing", "failed"):  # what people call an inadequate council
        return "inadequate"
    return "requires improvement" if word.startswith("require") or word == "ri" else word


def _judgement(record: ReportRecord, area: str) -> Judgement | None:
    return next((j for j in record.judgements if j.area == area), None)


class _Rows:
    """Rows and the quotes they cite, numbered as they are first cited."""

    def __init__(self) -> None:
        self.rows: list[RecordRow] = []
        self.citations: list[Passage] = []
        self._numbers: dict[tuple[str, int, int], int] = {}

    def cite(self, report: _Report, start: int, end: int) -> int:
        doc = report.doc
        key = (doc.doc_id, start, end)
        if key not in self._numbers:
            self.citations.append(span_passage(doc, start, end, rank=len(self.citations) + 1,
                                               superseded_by=report.superseded_by))
            self._numbers[key] = len(self.citations)
        return self._numbers[key]

    def judgement(self, report: _Report, j: Judgement, *, change: str | None = None) -> RecordRow:
        quoted = j.start is not None and j.end is not None
        row = RecordRow(
            row="judgement", authority=report.authority, report_id=report.doc.doc_id, report_date=report.when or None,
            report_kind=report.record.kind, area=j.area, label=AREA_LABELS.get(j.area, j.label), finding=j.grade,
            quote=report.doc.text[j.start : j.end] if quoted else None,
            citation=self.cite(report, j.start, j.end) if quoted else None,
            source="report" if quoted else "manifest", region=report.region, change=change,
        )
        self.rows.append(row)
        return row

    def quoted(self, report: _Report, kind: str, start: int, end: int, label: str) -> RecordRow:
        quote = report.doc.text[start:end]
        row = RecordRow(
            row=kind, authority=report.authority, report_id=report.doc.doc_id, report_date=report.when or None,
            report_kind=report.record.kind, area="", label=label, finding=quote, quote=quote,
            citation=self.cite(report, start, end), source="report", region=report.region,
        )
        self.rows.append(row)
        return row

    def answer(self, query: Query, view: str, heading: str) -> Answer:
        lines = [heading]
        for r in self.rows:
            where = f"{_name(r.authority)}, {readable_date(r.report_date) or 'undated'}"
            if r.row == "judgement":
                said = f"{where}: {r.label}: {r.finding}" + (f" ({r.change})" if r.change else "")
                lines.append(f"{said}\n> {' '.join(r.quote.split())} [{r.citation}]" if r.quote
                             else f"{said} (inspection manifest; the report's own words were not found)")
            else:
                lines.append(f"{where}, {r.label}:\n> {' '.join(r.quote.split())} [{r.citation}]")
        return Answer(query.text, True, "\n".join(lines), tuple(self.citations), verdict="answered", view=view,
                      records=tuple(self.rows))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _name(authority: str) -> str:
    return authority[:1].upper() + authority[1:]


def _chosen_report(query: Query, reports: list[_Report]) -> _Report | None:
    """The report a question about one authority means: the one published in
    the month it names, else of the year it names, else the latest."""
    month = _MONTH_YEAR.search(query.text)
    if month:
        prefix = f"{month.group(2)}-{_MONTHS.index(month.group(1).lower()) + 1:02d}"
        dated = [r for r in reports if r.when.startswith(prefix)]
        if dated:
            return dated[-1]
    if query.years:
        of_year = [r for r in reports if set(query.years) & document_years(r.doc)]
        return of_year[-1] if of_year else None
    return reports[-1] if reports else None


def _card(query: Query, reports: list[_Report], area: str | None) -> Answer | None:
    report = _chosen_report(query, reports)
    if report is None or not (report.record.judgements or report.record.improvements):
        return None
    rows = _Rows()
    judgements = sorted(report.record.judgements, key=lambda j: j.area != area) if area else report.record.judgements
    for j in judgements:
        rows.judgement(report, j)
    for start, end in report.record.improvements:
        rows.quoted(report, "improvement", start, end, "What needs to improve")
    heading = f"{_name(report.authority)}: {report.record.kind}, published {readable_date(report.when) or 'undated'}."
    return rows.answer(query, "report_card", heading)


def _timeline(query: Query, reports: list[_Report], area: str | None) -> Answer | None:
    area = area or "overall_effectiveness"
    first = _since_year(query.text)
    rows = _Rows()
    previous = None
    for report in reports:
        j = _judgement(report.record, area)
        if j is None or (first and report.when[:4] < first):
            continue
        level = GRADE_LEVEL.get(j.grade)
        change = None if previous is None or level is None else _change(previous, level)
        rows.judgement(report, j, change=change)
        previous = level if level is not None else previous
    if not rows.rows:
        return None
    label = AREA_LABELS.get(area, area)
    heading = f"{_name(reports[0].authority)}: {label.lower()}, report by report{f' since {first}' if first else ''}."
    return rows.answer(query, "timeline", heading)


def _change(before: int, after: int) -> str:
    return "improved" if after > before else "declined" if after < before else "same"


def _changes(query: Query, reports: list[_Report], area: str | None, *, improved: bool) -> Answer:
    """Authorities whose last graded report is better (or worse) than the one before."""
    area = area or "overall_effectiveness"
    graded: dict[str, list[tuple[_Report, Judgement]]] = {}
    for report in reports:
        j = _judgement(report.record, area)
        if j is not None and j.grade in GRADE_LEVEL:
            graded.setdefault(report.authority, []).append((report, j))
    wanted = "improved" if improved else "declined"
    rows = _Rows()
    for history in graded.values():
        if len(history) < 2:
            continue
        (before_report, before), (last_report, last) = history[-2], history[-1]
        if _change(GRADE_LEVEL[before.grade], GRADE_LEVEL[last.grade]) == wanted:
            rows.judgement(before_report, before)
            rows.judgement(last_report, last, change=wanted)
    label = AREA_LABELS.get(area, area).lower()
    compared = sum(len(h) >= 2 for h in graded.values())
    if not rows.rows:
        reason = (f"No authority's last report was {'better' if improved else 'worse'} than the one before on "
                  f"{label} ({compared} authorities with two graded reports compared).")
        return Answer(query.text, False, reason, (), reason=reason, verdict="none", view="timeline")
    heading = (f"Authorities whose last report was {'better' if improved else 'worse'} on {label} than the one "
               f"before ({len(rows.rows) // 2} of {compared} authorities with two graded reports):")
    return rows.answer(query, "timeline", heading)  # each authority's two grades, charted over time


def _grade_table(
    query: Query, reports: list[_Report], area: str | None, grade: str, regions: tuple[str, ...]
) -> Answer:
    """Reports with that grade: every report when the question is in the past
    ("were judged"), each authority's latest when in the present ("are rated")."""
    area = area or "overall_effectiveness"
    since = _since_year(query.text)
    if since:
        reports = [r for r in reports if r.when[:4] >= since]
    years = set(query.years) - {int(since)} if since else set(query.years)
    if years and _PUBLISHED.search(query.text):  # "reports published in 2023": by publication, not inspection
        reports = [r for r in reports if int(r.when[:4] or 0) in years]
    elif years:
        reports = [r for r in reports if years & document_years(r.doc)]
    elif _PRESENT.search(query.text) and not re.search(r"\b(?:were|was|been|ever)\b", query.text, re.I):
        # Each authority's current report: one without that judgement (a 2026 report has no
        # overall grade) leaves the authority out rather than falling back on an older grade.
        latest: dict[str, _Report] = {}
        for r in reports:
            latest[r.authority] = r  # sorted by date: the last one stays
        reports = sorted(latest.values(), key=lambda r: (r.authority, r.when))
    rows = _Rows()
    for report in reports:
        j = _judgement(report.record, area)
        if j is not None and GRADE_LEVEL.get(j.grade) == GRADE_LEVEL[grade] and (
                grade != "adequate" or j.grade == "adequate"):
            rows.judgement(report, j)
    label = AREA_LABELS.get(area, area).lower()
    scope = " and ".join(x for x in (
        f"in {', '.join(regions)}" if regions else "", f"in {', '.join(map(str, sorted(years)))}" if years else "",
        f"since {since}" if since else "",
    ) if x)
    if not rows.rows:
        reason = (f"No report in the collection {scope + ' ' if scope else ''}was judged {grade} on {label} "
                  f"({len(reports)} reports read).")
        return Answer(query.text, False, reason, (), reason=reason, verdict="none", view="table")
    authorities = len({r.authority for r in rows.rows})
    heading = (f"Judged {grade} on {label}{' ' + scope if scope else ''}: {_count(authorities, 'authority')}, "
               f"{_count(len(rows.rows), 'report')}.")
    return rows.answer(query, "table", heading)


def _comparison(query: Query, reports: list[_Report], area: str | None, search) -> Answer | None:
    """Each authority's judgement (the latest, or of the year asked) and its best quotes on the subject."""
    area = area or "overall_effectiveness"
    rows = _Rows()
    for place in query.places:
        # The latest report that has the judgement (a 2026 report has no overall grade), unless a time is named.
        theirs = [r for r in reports if r.authority == place]
        judged = [r for r in theirs if _judgement(r.record, area)]
        report = _chosen_report(query, theirs if query.years or _MONTH_YEAR.search(query.text) else judged or theirs)
        if report is None:
            continue
        j = _judgement(report.record, area)
        if j is not None:
            rows.judgement(report, j)
        if search is None or not query.has_subject:
            continue
        for p in search(query, place)[:MAX_FINDINGS_PER_SIDE]:
            if p.doc_id == report.doc.doc_id:
                rows.quoted(report, "finding", p.start, p.end, "Finding")
    if len({r.authority for r in rows.rows}) < 2:
        return None
    names = " and ".join(_name(p) for p in query.places)
    which = "the report of " + ", ".join(map(str, query.years)) if query.years else "the latest report"
    heading = f"{names}, side by side: {AREA_LABELS.get(area, area).lower()} in {which} of each."
    return rows.answer(query, "comparison", heading)
