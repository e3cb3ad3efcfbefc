"""Exporting a conversation: Markdown to read, CSV and JSON with one row per quote."""
from __future__ import annotations

import csv
import io
import json

from qa.records import Answer

ROW_FIELDS = ("question", "answered", "rank", "quote", "title", "doc_id", "source", "publisher", "date",
              "page", "paragraph", "start", "end", "link", "citation")


def quote_rows(answers: list[Answer]) -> list[dict]:
    """One row per quote; an unanswered question gets one row with no quote."""
    rows = []
    for a in answers:
        if not a.citations:
            rows.append({"question": a.question, "answered": a.answered, **{k: None for k in ROW_FIELDS[2:]}})
        for p in a.citations:
            rows.append({
                "question": a.question, "answered": a.answered, "rank": p.rank, "quote": p.quote,
                "title": p.title, "doc_id": p.doc_id, "source": p.source, "publisher": p.publisher,
                "date": p.date, "page": p.page, "paragraph": p.paragraph, "start": p.start, "end": p.end,
                "link": p.link, "citation": p.citation,
            })
    return rows


def to_csv(answers: list[Answer]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROW_FIELDS)
    writer.writeheader()
    writer.writerows(quote_rows(answers))
    return out.getvalue()


def to_json(answers: list[Answer]) -> str:
    return json.dumps(quote_rows(answers), ensure_ascii=False, indent=1)


def to_markdown(answers: list[Answer]) -> str:
    """The conversation as a Markdown document with numbered citations."""
    parts = ["# Questions and cited answers", ""]
    for a in answers:
        parts += [f"## {a.question}", ""]
        parts += [f"*{note}*\n" for note in a.notes]
        if a.answered:
            for p in a.citations:
                parts.append(f"> {' '.join(p.quote.split())} [{p.rank}]")
                parts.append("")
            parts += [f"[{p.rank}] {p.citation}" + (f" <{p.link}>" if p.link else "") for p in a.citations]
        else:
            parts.append(f"*{a.reason or a.text}*")
        parts.append("")
    return "\n".join(parts)
