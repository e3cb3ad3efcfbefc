"""Exports: per-quote rows as before, plus a row per record for answers drawn
from reports' records (Markdown shows them as a table)."""
from __future__ import annotations

import csv
import io
import json

from qa.answer.export import FIELDS, ROW_FIELDS, all_rows, quote_rows, to_csv, to_json, to_markdown
from qa.records import Answer, PageHighlight, Passage, RecordRow


def passage(rank: int, **kw) -> Passage:
    base = dict(rank=rank, score=1.0, doc_id="r1", source="dorset.pdf", title="Inspection of Dorset",
                quote=f"The quote | number {rank}.", start=10 * rank, end=10 * rank + 9, page=rank, paragraph=rank,
                citation=f"Ofsted, Inspection of Dorset, p. {rank}", date="2025-05-09", publisher="Ofsted",
                places=("Dorset",), link="https://files.ofsted.gov.uk/v1/file/1",
                highlight=(PageHighlight(rank, ((10.0, 20.0, 30.0, 40.0),)),))
    return Passage(**{**base, **kw})


def record(row: str, **kw) -> RecordRow:
    base = dict(row=row, authority="Dorset", report_id="r1", report_date="2025-05-09",
                report_kind="short inspection", area="overall_effectiveness", label="Overall effectiveness",
                finding="outstanding", quote="Overall effectiveness Outstanding", citation=1, source="report",
                region="South West")
    return RecordRow(**{**base, **kw})


QUOTES = Answer("What about care leavers?", True, "text [1]", (passage(1), passage(2)))
CARD = Answer(
    "Summarise the latest Dorset inspection", True, "text", (passage(1), passage(2)), view="report_card",
    records=(record("judgement"),
             record("judgement", area="care_leavers", label="Care leavers", finding="good", quote=None,
                    citation=None, source="manifest"),
             record("improvement", area="", label="", finding="Plans | are not precise.",
                    quote="Plans | are not precise.", citation=2)),
)
NONE = Answer("Budget in Leeds?", False, "", (), reason="There are no documents about Leeds.", verdict="none")


def test_quote_rows_are_unchanged_by_records():
    rows = quote_rows([QUOTES, CARD, NONE])
    assert len(rows) == 2 + 2 + 1 and all(set(r) == set(ROW_FIELDS) for r in rows)


def test_csv_has_a_row_per_quote_then_a_row_per_record():
    parsed = list(csv.DictReader(io.StringIO(to_csv([QUOTES, CARD, NONE]))))
    assert tuple(parsed[0]) == FIELDS and tuple(FIELDS[: len(ROW_FIELDS)]) == ROW_FIELDS  # old columns first
    assert [r["row_type"] for r in parsed] == ["quote"] * 4 + ["judgement", "judgement", "improvement", "quote"]
    judgement, manifest, improvement = parsed[4:7]
    assert judgement["rank"] == "1" and judgement["finding"] == "outstanding" and judgement["page"] == "1"
    assert judgement["citation"] == CARD.citations[0].citation and judgement["record_source"] == "report"
    assert manifest["rank"] == "" and manifest["quote"] == "" and manifest["record_source"] == "manifest"
    assert manifest["doc_id"] == "r1" and manifest["label"] == "Care leavers"
    assert improvement["rank"] == "2" and improvement["quote"] == "Plans | are not precise."
    assert parsed[-1]["question"] == NONE.question and parsed[-1]["quote"] == ""


def test_json_rows_carry_records_and_highlights():
    rows = json.loads(to_json([QUOTES, CARD]))
    assert rows[0]["citation"] == QUOTES.citations[0].citation and rows[0]["row_type"] == "quote"
    assert rows[0]["highlight"] == [{"page": 1, "rects": [[10.0, 20.0, 30.0, 40.0]]}]
    records = [r for r in rows if r["row_type"] != "quote"]
    assert [r["area"] for r in records] == ["overall_effectiveness", "care_leavers", ""]
    assert records[1]["highlight"] is None and records[2]["highlight"][0]["page"] == 2
    assert all("highlight" not in r for r in all_rows([CARD]))  # CSV rows stay flat


def test_markdown_shows_the_records_as_a_table():
    md = to_markdown([CARD, NONE])
    lines = md.splitlines()
    header = lines.index("| Authority | Report date | Area | Grade or finding | Quote | Source |")
    assert lines[header + 2] == ("| Dorset | 9 May 2025 | Overall effectiveness | Outstanding | "
                                 "Overall effectiveness Outstanding | [1] |")
    assert "| Care leavers | Good |  | manifest |" in lines[header + 3]
    assert lines[header + 4].count(" | ") == 5 and "Plans \\| are not precise." in lines[header + 4]
    assert "> The quote | number 1. [1]" in md and "[2] Ofsted, Inspection of Dorset, p. 2" in md
    assert "There are no documents about Leeds." in md
    assert "| Authority |" not in to_markdown([QUOTES])
