"""Answers from reports' records, on the default collection's ten reports.

Expected grades are those of seeds/reports/manifest.csv and of the reports'
first pages as a reader sees them; quotes are checked against the PDF read
by another library (pdfplumber), not against the text they were cut from.
"""
from __future__ import annotations

import re

import pdfplumber
import pytest

from qa.answer.verdict import ask
from qa.evaluate.highlight_check import read_back, reads_as_quote
from tests.conftest import SEEDS

BCP = "Bournemouth, Christchurch and Poole"


def rows_of(answer, row="judgement"):
    return [r for r in answer.records if r.row == row]


def test_which_authorities_were_judged_inadequate_names_each_one_once(default_retriever):
    a = ask(default_retriever, "Which local authorities were judged inadequate overall?")
    assert a.answered and a.view == "table"
    assert {r.authority for r in a.records} == {BCP}
    (row,) = a.records
    assert row.finding == "inadequate" and row.report_date == "2022-02-11" and row.source == "report"
    assert "inadequate" in row.quote.lower() and a.citations[row.citation - 1].quote == row.quote


def test_a_quoted_judgement_is_highlighted_over_its_own_words_on_the_page(default_retriever):
    a = ask(default_retriever, "Which local authorities were judged inadequate overall?")
    p = a.citations[a.records[0].citation - 1]
    assert p.highlight and p.highlight[0].page == 1
    with pdfplumber.open(SEEDS / p.source) as pdf:
        read = read_back(pdf, p.highlight)
    assert reads_as_quote(read, p.quote, had_markers=False), (read, p.quote)
    assert "inadequate" in read.lower()


def test_present_tense_asks_for_each_authoritys_latest_report(default_retriever):
    past = ask(default_retriever, "Which councils were rated good?")
    now = ask(default_retriever, "Which councils are rated good?")
    assert {r.authority for r in past.records} >= {BCP, "Isle of Wight", "Cumberland", "Dorset"}
    assert "Dorset" not in {r.authority for r in now.records}  # outstanding since 2025
    assert {r.authority for r in now.records} >= {BCP, "Isle of Wight", "Cumberland"}


def test_a_year_with_no_such_judgement_is_said_so_not_answered(default_retriever):
    a = ask(default_retriever, "Which authorities were judged inadequate in 2025?")
    assert not a.answered and a.verdict == "none" and not a.records
    assert "No report" in a.reason and "inadequate" in a.reason


def test_how_a_grade_changed_is_a_timeline_in_date_order(default_retriever):
    a = ask(default_retriever, f"How has {BCP}'s grade changed since 2014?")
    assert a.view == "timeline"
    assert [(r.report_date[:4], r.finding, r.change) for r in a.records] == [
        ("2022", "inadequate", None), ("2025", "good", "improved")]


def test_which_authorities_improved_at_their_last_inspection(default_retriever):
    a = ask(default_retriever, "Which authorities improved at their last inspection?")
    improved = {r.authority for r in a.records if r.change == "improved"}
    # BCP inadequate -> good, Isle of Wight requires improvement (2014) -> good, Dorset good -> outstanding
    assert improved == {BCP, "Isle of Wight", "Dorset"}
    assert a.view == "timeline"  # each authority's two grades, charted


def test_improvement_by_region(default_retriever):
    a = ask(default_retriever, "Which authorities in the South West improved at their last inspection?")
    assert {r.authority for r in a.records if r.change} == {BCP, "Dorset"}


def test_a_report_card_has_the_judgements_and_each_improvement_point(default_retriever):
    a = ask(default_retriever, "What does Bedford need to improve?")
    assert a.view == "report_card" and a.answered
    assert {r.report_date for r in a.records} == {"2025-08-27"}
    grades = {r.area: r.finding for r in rows_of(a)}
    assert grades["overall_effectiveness"] == "requires improvement"
    assert grades["care_leavers"] == "requires improvement"
    points = rows_of(a, "improvement")
    assert len(points) >= 3
    for r in points:
        assert r.quote and a.citations[r.citation - 1].quote == r.quote
        assert not re.match(r"[•■\d]", r.quote)  # the item, not its bullet or number


def test_a_report_named_by_its_month_is_the_one_carded(default_retriever):
    a = ask(default_retriever, "What overall grade did Ofsted give Isle of Wight children's services in the "
                               "report published in November 2014?")
    overall = next(r for r in rows_of(a) if r.area == "overall_effectiveness")
    assert overall.report_date == "2014-11-19" and overall.finding == "requires improvement"
    latest = ask(default_retriever, "Summarise the latest Isle of Wight inspection")
    assert {r.report_date for r in latest.records} == {"2019-01-07"}


def test_a_comparison_puts_each_authority_side_by_side(default_retriever):
    a = ask(default_retriever, "Compare Dorset and Cumberland on care leavers")
    assert a.view == "comparison"
    by_side = {r.authority: r.finding for r in rows_of(a)}
    assert by_side == {"Dorset": "good", "Cumberland": "good"}  # care leavers, each latest report
    for r in a.records:
        assert a.citations[r.citation - 1].places[0] == r.authority


def test_other_questions_keep_the_quotes(default_retriever):
    a = ask(default_retriever, "What did inspectors say about supervision in Dorset?")
    assert a.view == "quotes" and not a.records


def test_json_carries_the_records(default_retriever):
    out = ask(default_retriever, "Which local authorities were judged inadequate overall?").to_json()
    assert out["view"] == "table"
    assert out["records"][0]["authority"] == BCP and out["records"][0]["citation"] == 1
    assert out["citations"][0]["highlight"][0]["page"] == 1


@pytest.mark.parametrize("question", [
    "Which councils are good at listening to children?",
    "What did inspectors find about good practice in supervision?",
])
def test_good_as_praise_is_not_a_grade_question(default_retriever, question):
    assert ask(default_retriever, question).view == "quotes"


def test_a_region_inside_an_authoritys_name_is_no_region(default_retriever):
    # "North East" is a region, and part of "Bath and North East Somerset"
    a = ask(default_retriever, "What overall grade did Ofsted give bath and north east somerset children's "
                               "services in the report published in July 2017?")
    assert a.view == "report_card"
    overall = next(r for r in rows_of(a) if r.area == "overall_effectiveness")
    assert (overall.authority, overall.report_date, overall.finding) == (
        "Bath and North East Somerset", "2017-07-07", "good")


@pytest.mark.parametrize("question", [
    "What did inspectors say about management judgements about risk in Dorset?",
    "How are children judged to be at risk supported in Dorset?",
])
def test_judged_in_social_works_sense_keeps_the_quotes(default_retriever, question):
    assert ask(default_retriever, question).view == "quotes"


@pytest.mark.parametrize("question", [
    "how did Dorset do in its last Ofsted inspection",
    "Was Bedford judged good?",
    "what were the judgements in Cumberland's report",
])
def test_one_authoritys_standing_is_its_card(default_retriever, question):
    assert ask(default_retriever, question).view == "report_card"
