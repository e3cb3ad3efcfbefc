"""A report that a later inspection of its authority replaced says so; current reports come first."""
from __future__ import annotations

from qa.answer.export import to_csv
from qa.answer.present import citation_line
from qa.answer.verdict import ask

# The sample reports: Dorset 2021 and 2025, BCP 2022 and 2025, Isle of Wight 2014 and 2019.
LATEST = {"Dorset": "2025-05-09", "Bournemouth, Christchurch and Poole": "2025-01-29", "Isle of Wight": "2019-01-07"}


def test_quotes_from_superseded_reports_say_which_report_replaced_them(default_retriever):
    passages = default_retriever.search("How well are care leavers supported in Dorset?", k=20)
    dated = {(p.date, p.superseded_by) for p in passages if p.places and p.places[0] == "Dorset"}
    assert ("2021-11-19", "2025-05-09") in dated and ("2025-05-09", None) in dated
    old = next(p for p in passages if p.date == "2021-11-19")
    assert citation_line(old).endswith("superseded by the inspection published 9 May 2025")
    assert old.to_json()["superseded_by"] == "2025-05-09"


def test_every_superseded_mark_names_the_authoritys_latest_report(default_retriever):
    index = default_retriever.index
    for doc in index.documents:
        if doc.kind != "report":
            continue
        mark = index.superseded_by.get(doc.doc_id)
        latest = LATEST.get(doc.places[0])
        assert mark == (latest if latest and doc.date < latest else None), doc.source


def test_an_answer_puts_the_current_report_first_when_no_year_is_named(default_retriever):
    for question in ("What did inspectors say about care leavers in Dorset?",
                     "How is leadership in Bournemouth, Christchurch and Poole?"):
        a = ask(default_retriever, question)
        assert a.answered
        marks = [p.superseded_by is not None for p in a.citations]
        assert marks == sorted(marks), [(p.date, p.superseded_by) for p in a.citations]  # current ones first
    named = ask(default_retriever, "What did the 2021 inspection say about care leavers in Dorset?")
    assert named.citations[0].date == "2021-11-19"  # a year named: that report, superseded or not


def test_exports_carry_the_mark(default_retriever):
    a = ask(default_retriever, "What did the 2021 inspection say about care leavers in Dorset?")
    assert "2025-05-09" in to_csv([a]).splitlines()[1]
