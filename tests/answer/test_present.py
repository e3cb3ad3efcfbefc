"""What the page says about a quote and a record: compact citation lines,
grouping by document, grades as numbers, tables of records."""
from __future__ import annotations

import pytest

from qa.answer.present import (
    by_document,
    chart_description,
    citation_line,
    display_date,
    grade_points,
    grade_score,
    record_table,
    report_heading,
    short_title,
)
from qa.records import Passage, RecordRow


def passage(rank: int, doc: str = "d1", **kw) -> Passage:
    base = dict(rank=rank, score=1.0, doc_id=doc, source=f"{doc}.pdf", title="Inspection of Dorset local "
                "authority children’s services", quote=f"Quote {rank}.", start=0, end=9, page=7, paragraph=37,
                citation=f"Ofsted, citation {rank}", date="2025-05-09", publisher="Ofsted", places=("Dorset",))
    return Passage(**{**base, **kw})


def record(row: str = "judgement", **kw) -> RecordRow:
    base = dict(row=row, authority="Dorset", report_id="d1", report_date="2025-05-09",
                report_kind="short inspection", area="overall_effectiveness", label="Overall effectiveness",
                finding="outstanding", quote="Overall effectiveness Outstanding", citation=1, source="report")
    return RecordRow(**{**base, **kw})


@pytest.mark.parametrize("iso, shown", [("2025-05-09", "9 May 2025"), ("2014-11-19", "19 November 2014"),
                                        (None, ""), ("May 2025", "May 2025"), ("2025-13-01", "2025-13-01")])
def test_display_date(iso, shown):
    assert display_date(iso) == shown


def test_citation_line_is_short_title_date_page_paragraph():
    assert citation_line(passage(1)) == "Dorset inspection · 9 May 2025 · p. 7 · para. 37"
    article = passage(2, title="Quality of council’s social work practice ‘poor’, inspectors say after a long "
                      "inspection of Rotherham", publisher="Community Care", page=None, paragraph=10, date=None)
    line = citation_line(article)
    assert line.endswith("… · para. 10") and len(short_title(article)) <= 49
    assert short_title(article).startswith("Quality of council’s social work practice")


def test_quotes_are_grouped_by_document_keeping_their_numbers():
    ps = [passage(1, "a"), passage(2, "b"), passage(3, "a")]
    assert [[p.rank for p in g] for g in by_document(ps)] == [[1, 3], [2]]


@pytest.mark.parametrize("grade, score", [("Outstanding", 4), ("good", 3), ("requires improvement", 2),
                                          ("requires_improvement_to_be_good", 2), ("adequate", 2),
                                          ("inadequate", 1), ("not judged", None), ("", None)])
def test_grade_scores(grade, score):
    assert grade_score(grade) == score


def test_record_table_says_where_each_row_is_stated():
    rows = record_table([record(), record(finding="good", citation=None, source="manifest", quote=None,
                                          report_date="2021-11-19", change=None)])
    assert rows[0] == {"Authority": "Dorset", "Report date": "9 May 2025", "Area": "Overall effectiveness",
                       "Grade or finding": "Outstanding", "Quote": "Overall effectiveness Outstanding",
                       "Source": "[1]"}
    assert rows[1]["Source"] == "manifest" and rows[1]["Quote"] == ""
    with_change = record_table([record(change="improved")])
    assert with_change[0]["Change"] == "improved"


def test_grade_points_and_their_description():
    records = [record(report_date="2021-11-19", finding="good"), record(),
               record(row="improvement", area="", label="", finding="Plans are not precise.", citation=2),
               record(finding="not judged", label="Care leavers")]
    points = grade_points(records)
    assert [(p["date"], p["score"]) for p in points] == [("2021-11-19", 3), ("2025-05-09", 4)]
    assert points[0]["series"] == "Overall effectiveness"  # one authority: the area alone
    text = chart_description(points)
    assert "good (19 November 2021), then outstanding (9 May 2025)" in text
    two = grade_points([record(), record(authority="Poole", report_id="d2")])
    assert {p["series"] for p in two} == {"Dorset: Overall effectiveness", "Poole: Overall effectiveness"}


def test_report_heading_names_authority_kind_and_date():
    assert report_heading(record()) == "Dorset: short inspection, 9 May 2025"
    assert report_heading(record(report_kind="", report_date=None)) == "Dorset"
