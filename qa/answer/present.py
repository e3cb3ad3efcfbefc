"""Showing quotes safely: escaped Markdown, the quote in its paragraph.

Document text is data, never markup: every character Markdown or HTML
could act on is escaped, so a document carrying links, images or script
renders as the literal text it holds.
"""
from __future__ import annotations

import re

from qa.answer.reports import GRADE_LEVEL
from qa.ingest.report_record import normalise_grade
from qa.records import Document, Passage, RecordRow
from qa.search.cite import readable_date

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$<&])")


_AUTOLINK = re.compile(r"(?i)(?<=\\:)(?=//)|(?<=www)(?=\\\.)|(?=@)")
_NO_BREAK = "\u200b"  # zero-width space: invisible, but no web address or e-mail is recognised


def escape_markdown(text: str) -> str:
    """Text that Streamlit's Markdown shows literally (no links, images, HTML, LaTeX).

    Escaping covers Markdown syntax; GitHub-style Markdown also turns bare
    addresses ("http://…", "www.…", "name@host") into links, so a zero-width
    space is put inside them. This is display only: quotes, citations and
    exports keep the stored text.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(_NO_BREAK, text)
    return re.sub(r"\s+", " ", text).strip()


def paragraph_around(doc: Document, start: int, end: int) -> tuple[str, str, str]:
    """(before, quote, after): the quote inside the paragraph that holds it."""
    block = next((b for b in doc.blocks if b.start <= start < b.end), None)
    lo, hi = (block.start, max(block.end, end)) if block else (max(0, start - 300), min(len(doc.text), end + 300))
    return doc.text[lo:start], doc.text[start:end], doc.text[end:hi]


def highlighted_markdown(doc: Document, passage: Passage) -> str:
    """The paragraph as escaped Markdown with the quote highlighted."""
    before, quote, after = paragraph_around(doc, passage.start, passage.end)
    return f"{escape_markdown(before)} :orange-background[**{escape_markdown(quote)}**] {escape_markdown(after)}"


def collection_rows(documents: list[Document]) -> list[dict]:
    """One row per document, for the overview table and charts."""
    from qa.search.filters import document_year

    return [
        {
            "authority": d.places[0] if d.places else "",
            "region": d.meta.get("region", ""),
            "year": document_year(d),
            "grade": d.meta.get("overall_effectiveness", ""),
            "type": d.kind,
            "title": d.title,
            "source": d.source,
        }
        for d in documents
    ]


# ---------------------------------------------------------------- citations, compact
# Plain text: the page escapes what it shows (escape_markdown); exports keep it as it is.

SHORT_TITLE_CHARS = 48


def display_date(iso: str | None) -> str:
    """'2025-05-09' as '9 May 2025'; anything else as it came ('' for none)."""
    return readable_date(iso) or ""


def short_title(p: Passage) -> str:
    """A document's name short enough for one line: an inspection report by its
    authority ("Dorset inspection"), an article by its headline, cut at a word."""
    if p.publisher == "Ofsted" and p.places:
        return f"{p.places[0]} inspection"
    title = " ".join(p.title.split())
    if len(title) <= SHORT_TITLE_CHARS:
        return title
    return title[:SHORT_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:–—-") + "…"


def superseded_note(p: Passage) -> str:
    """'superseded by the inspection published 18 April 2023' for a quote from a report a later
    inspection of its authority replaced; '' otherwise."""
    return f"superseded by the inspection published {display_date(p.superseded_by)}" if p.superseded_by else ""


def citation_line(p: Passage) -> str:
    """One line under a quote: short title, date, page, paragraph, and whether it was superseded."""
    parts = [short_title(p), display_date(p.date), f"p. {p.page}" if p.page else "",
             f"para. {p.paragraph}" if p.paragraph else "", superseded_note(p)]
    return " · ".join(x for x in parts if x)


def by_document(passages) -> list[list[Passage]]:
    """Passages grouped by document, documents in the order they first appear
    (each passage keeps its rank, the [n] the answer cites it by)."""
    groups: dict[str, list[Passage]] = {}
    for p in passages:
        groups.setdefault(p.doc_id, []).append(p)
    return list(groups.values())


# ---------------------------------------------------------------- answers from reports' records

GRADE_AXIS = {4: "Outstanding", 3: "Good", 2: "Requires improvement / adequate", 1: "Inadequate"}


def grade_score(grade: str) -> int | None:
    """Outstanding 4, good 3, requires improvement (or the older adequate) 2,
    inadequate 1; None for anything else ("not judged", no grade)."""
    normalised = normalise_grade(grade.replace("_", " "))
    return GRADE_LEVEL.get(normalised) if normalised else None


def readable(value: str) -> str:
    """A grade or kind as a reader writes it: 'requires_improvement' -> 'Requires improvement'."""
    value = " ".join(value.replace("_", " ").split())
    return value[:1].upper() + value[1:]


def record_source(r: RecordRow) -> str:
    """The [n] of the quote that states a row, or 'manifest' when only the manifest does."""
    return f"[{r.citation}]" if r.citation is not None else "manifest"


def report_heading(r: RecordRow) -> str:
    """'Dorset: short inspection, 9 May 2025', the report a row comes from."""
    return ", ".join(x for x in (f"{r.authority}: {r.report_kind}" if r.report_kind else r.authority,
                                 display_date(r.report_date)) if x)


def group_records(records, key) -> list[list[RecordRow]]:
    """Rows grouped by key(row), groups in the order they first appear."""
    groups: dict[object, list[RecordRow]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return list(groups.values())


def record_table(records) -> list[dict]:
    """The rows as a reader's table: authority, report date, area, grade or
    finding, quote and where it is stated ([n] or manifest); a Change column when known."""
    with_change = any(r.change for r in records)
    rows = []
    for r in records:
        row = {
            "Authority": r.authority,
            "Report date": display_date(r.report_date),
            "Area": r.label or readable(r.row),
            "Grade or finding": readable(r.finding) if r.row == "judgement" else r.finding,
            "Quote": " ".join((r.quote or "").split()),
            "Source": record_source(r),
        }
        if with_change:
            row["Change"] = r.change or ""
        rows.append(row)
    return rows


def grade_points(records) -> list[dict]:
    """The graded judgements as points of a chart: report date, score (1-4),
    grade and a series name (the area, with the authority when there are several)."""
    judged = [r for r in records if r.row == "judgement" and r.report_date and grade_score(r.finding)]
    several = len({r.authority for r in judged}) > 1
    return [
        {"date": r.report_date, "score": grade_score(r.finding), "grade": readable(r.finding),
         "authority": r.authority, "area": r.label,
         "series": f"{r.authority}: {r.label}" if several else r.label}
        for r in judged
    ]


def chart_description(points: list[dict]) -> str:
    """What the grade chart shows, in words (its alt text)."""
    lines = []
    for series in dict.fromkeys(p["series"] for p in points):
        steps = sorted((p for p in points if p["series"] == series), key=lambda p: p["date"])
        lines.append(f"{series}: " + ", then ".join(f"{p['grade'].lower()} ({display_date(p['date'])})"
                                                     for p in steps))
    return "Grades by report date, from inadequate (1) to outstanding (4). " + "; ".join(lines) + "."
