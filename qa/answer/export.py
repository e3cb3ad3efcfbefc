"""Exporting a conversation: Markdown to read; CSV and JSON with one row per
quote and, for an answer drawn from reports' records, one more row per record.

Quote rows are as they always were (`row_type` "quote"). A record row
("judgement", "improvement" or "finding") fills the same columns from the
quote that states it ([n] in `rank`, its words in `quote`, its document,
page, offsets and citation) and adds the record's own columns; a row only
the manifest states has no quote and `record_source` "manifest". JSON rows
also carry the quote's `highlight` (its boxes on its PDF pages, or null).
"""
from __future__ import annotations

import csv
import io
import json

from qa.answer.present import display_date, readable, record_source, superseded_note
from qa.records import Answer, Passage, RecordRow

ROW_FIELDS = ("question", "answered", "rank", "quote", "title", "doc_id", "source", "publisher", "date",
              "page", "paragraph", "start", "end", "link", "citation", "superseded_by")
RECORD_FIELDS = ("row_type", "authority", "region", "report_date", "report_kind", "area", "label", "finding",
                 "record_source", "change")
FIELDS = ROW_FIELDS + RECORD_FIELDS


def _passage_fields(p: Passage) -> dict:
    return {"rank": p.rank, "quote": p.quote, "title": p.title, "doc_id": p.doc_id, "source": p.source,
            "publisher": p.publisher, "date": p.date, "page": p.page, "paragraph": p.paragraph,
            "start": p.start, "end": p.end, "link": p.link, "citation": p.citation, "superseded_by": p.superseded_by}


def quote_rows(answers: list[Answer]) -> list[dict]:
    """One row per quote; an unanswered question gets one row with no quote."""
    rows = []
    for a in answers:
        if not a.citations:
            rows.append({"question": a.question, "answered": a.answered, **{k: None for k in ROW_FIELDS[2:]}})
        for p in a.citations:
            rows.append({"question": a.question, "answered": a.answered, **_passage_fields(p)})
    return rows


def _cited(a: Answer, r: RecordRow) -> Passage | None:
    """The quote a record row cites ([n] is 1-based in the answer's citations)."""
    n = r.citation
    return a.citations[n - 1] if n is not None and 1 <= n <= len(a.citations) else None


def record_rows(answers: list[Answer]) -> list[dict]:
    """One row per record of each answer drawn from reports' records."""
    rows = []
    for a in answers:
        for r in a.records:
            p = _cited(a, r)
            cited = _passage_fields(p) if p else {k: None for k in ROW_FIELDS[2:]}
            rows.append({
                "question": a.question, "answered": a.answered, **cited,
                "rank": r.citation, "quote": r.quote, "doc_id": r.report_id,
                "row_type": r.row, "authority": r.authority, "region": r.region, "report_date": r.report_date,
                "report_kind": r.report_kind, "area": r.area, "label": r.label, "finding": r.finding,
                "record_source": r.source, "change": r.change,
            })
    return rows


def all_rows(answers: list[Answer], *, highlight: bool = False) -> list[dict]:
    """Per answer, its quote rows then its record rows, every row with every column
    (and, with `highlight`, the boxes of the row's quote on its pages)."""
    out = []
    for a in answers:
        quotes = [{**dict.fromkeys(FIELDS), **row, "row_type": "quote"} for row in quote_rows([a])]
        records = [{**dict.fromkeys(FIELDS), **row} for row in record_rows([a])]
        if highlight:
            for row, p in zip(quotes, a.citations, strict=False):
                row["highlight"] = _boxes(p)
            for row, r in zip(records, a.records, strict=True):
                row["highlight"] = _boxes(_cited(a, r))
            if not a.citations:
                quotes[0]["highlight"] = None
        out += quotes + records
    return out


def _boxes(p: Passage | None) -> list[dict] | None:
    return None if p is None or p.highlight is None else [h.to_json() for h in p.highlight]


def to_csv(answers: list[Answer]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(all_rows(answers))
    return out.getvalue()


def to_json(answers: list[Answer]) -> str:
    return json.dumps(all_rows(answers, highlight=True), ensure_ascii=False, indent=1)


def _cell(text: object) -> str:
    """A Markdown table cell: one line, its pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def records_markdown(records) -> list[str]:
    """The records as a Markdown table (what the page shows as its table)."""
    lines = ["| Authority | Report date | Area | Grade or finding | Quote | Source |", "|---|---|---|---|---|---|"]
    for r in records:
        finding = readable(r.finding) if r.row == "judgement" else r.finding
        cells = (r.authority, display_date(r.report_date), r.label or readable(r.row), finding, r.quote or "",
                 record_source(r))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines + [""]


def to_markdown(answers: list[Answer]) -> str:
    """The conversation as a Markdown document with numbered citations."""
    parts = ["# Questions and cited answers", ""]
    for a in answers:
        parts += [f"## {a.question}", ""]
        parts += [f"*{note}*\n" for note in a.notes]
        if a.answered:
            if a.records:
                parts += records_markdown(a.records)
            for p in a.citations:
                parts.append(f"> {' '.join(p.quote.split())} [{p.rank}]")
                parts.append("")
            parts += [f"[{p.rank}] {p.citation}" + (f" <{p.link}>" if p.link else "")
                      + (f" ({superseded_note(p)})" if p.superseded_by else "") for p in a.citations]
        else:
            parts.append(f"*{a.reason or a.text}*")
        parts.append("")
    return "\n".join(parts)
