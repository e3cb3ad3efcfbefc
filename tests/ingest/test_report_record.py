"""A report read as a record (qa.ingest.report_record): kind, dates, graded
judgements with the words that state them, improvement items.

The small documents here copy the layouts of the real reports as the PDF
loader stores them (paragraphs split by blank lines, a block's bullet or
number left before its start). The slow test reads real PDFs from
../shared/corpus/ofsted."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa.ingest.report_record import Judgement, ReportRecord, normalise_grade, read_record
from qa.records import Block, Document

_BULLET = re.compile(r"^([◼•−–]) ")
_NUMBER = re.compile(r"^(\d{1,3})\. (?=[A-Z‘'“(])")
PAGE = "\f"  # a part that starts a new page


def make_doc(parts: list[str], *, title: str = "", meta: dict | None = None, kind: str = "report") -> Document:
    """A Document as the PDF loader makes one: paragraphs joined by blank lines,
    bullets and paragraph numbers kept in the text but outside their block."""
    text, blocks, page_starts = "", [], [0]
    for part in parts:
        if part == PAGE:
            page_starts.append(len(text))
            continue
        if text:
            text += "\n\n"
        start = len(text)
        text += part
        number = None
        if m := _BULLET.match(part):
            start += m.end()
        elif m := _NUMBER.match(part):
            start, number = start + m.end(), int(m[1])
        words = text[start:]
        is_heading = len(words) < 120 and not re.search(r"[.!?;:]$", words)
        blocks.append(Block(start, len(text), "heading" if is_heading else "body", number))
    return Document(
        doc_id="d1", source="x/report.pdf", title=title or parts[0], text=text, content_hash="h", kind=kind,
        blocks=tuple(blocks), page_starts=tuple(page_starts), meta=dict(meta or {}),
    )


def quoted(doc: Document, j: Judgement) -> str:
    assert j.start is not None and j.end is not None
    return doc.text[j.start : j.end]


def items(doc: Document, record: ReportRecord) -> list[str]:
    return [doc.text[s:e] for s, e in record.improvements]


def by_area(record: ReportRecord) -> dict[str, Judgement]:
    return {j.area: j for j in record.judgements}


ILACS = [
    "Inspection of Dorset local authority children’s services",
    "Inspection dates: 17 to 21 March 2025",
    "Lead inspector: Sarah Canto, His Majesty’s Inspector",
    "Judgement Grade",
    "The impact of leaders on social work practice with children and families",
    "Outstanding",
    "The experiences and progress of children who need help and protection",
    "Requires improvement to be good",
    "The experiences and progress of children in care",
    "Good",
    "The experiences and progress of care leavers",
    "Good",
    "Overall effectiveness Good",
    "Children in Dorset receive good services. Leaders know their services well.",
    "What needs to improve?",
    "◼ The clarity and detail of the care leaver offer. (Outcome four, National Framework)",
    "◼ The quality of oversight and monitoring of:",
    "− the pre-proceedings process − private fostering.",
    "◼ Caseloads in the assessment teams",
    "The experiences and progress of children who need help and protection: requires improvement to be good",
    "1. Children and families receive the help they need at the earliest point.",
    "2. Children referred to the front door receive a timely and effective response.",
]
ILACS_META = {
    "framework": "standard", "published": "2025-05-09", "inspection_start": "2025-03-17",
    "inspection_end": "2025-03-21", "overall_effectiveness": "good", "impact_of_leaders": "outstanding",
    "help_and_protection": "requires improvement", "in_care": "good", "care_leavers": "good",
}


def test_ilacs_table_grades_are_read_with_the_words_that_state_them():
    doc = make_doc(ILACS, meta=ILACS_META)
    record = read_record(doc)
    assert record.kind == "full inspection"
    assert (record.published, record.inspection_start, record.inspection_end) == (
        "2025-05-09", "2025-03-17", "2025-03-21")
    assert [j.area for j in record.judgements] == [
        "overall_effectiveness", "impact_of_leaders", "help_and_protection", "in_care", "care_leavers"]
    assert all(j.source == "report" for j in record.judgements)
    overall = record.overall()
    assert (overall.grade, overall.label) == ("good", "Overall effectiveness")
    assert quoted(doc, overall) == "Overall effectiveness Good"
    areas = by_area(record)
    assert areas["help_and_protection"].grade == "requires improvement"
    assert quoted(doc, areas["help_and_protection"]).startswith("The experiences and progress of children who need")
    assert quoted(doc, areas["help_and_protection"]).endswith("Requires improvement to be good")
    assert quoted(doc, areas["impact_of_leaders"]).endswith("children and families\n\nOutstanding")
    assert areas["care_leavers"].label == "The experiences and progress of care leavers"
    assert quoted(doc, areas["care_leavers"]) == "The experiences and progress of care leavers\n\nGood"


def test_ilacs_improvements_are_one_span_per_bullet_with_its_sub_points():
    doc = make_doc(ILACS, meta=ILACS_META)
    got = items(doc, read_record(doc))
    assert got == [
        "The clarity and detail of the care leaver offer. (Outcome four, National Framework)",
        "The quality of oversight and monitoring of:\n\n− the pre-proceedings process − private fostering.",
        "Caseloads in the assessment teams",  # no full stop: still an item, and the section ends after it
    ]


def test_rows_run_into_one_line_and_a_combined_care_judgement():
    # West Northamptonshire 2022: the table's rows in one paragraph; 2018-2023 reports
    # judge "children in care and care leavers" as one (in_care).
    doc = make_doc([
        "Inspection of West Northamptonshire local authority children’s services",
        "Inspection dates: 3 to 14 October 2022",
        "Judgement Grade",
        "The impact of leaders on social work practice with children and families Requires improvement to be good"
        " The experiences and progress of children who need help and protection Inadequate The experiences and"
        " progress of children in care and care leavers Good Overall effectiveness Requires improvement to be good"
        " This is the first inspection of the new authority.",
    ], meta={"care_leavers": "inadequate"})  # a manifest row with a grade the report does not give
    record = read_record(doc)
    areas = by_area(record)
    assert areas["overall_effectiveness"].grade == "requires improvement"
    assert quoted(doc, areas["overall_effectiveness"]) == "Overall effectiveness Requires improvement to be good"
    assert areas["help_and_protection"].grade == "inadequate"
    assert areas["in_care"].label == "The experiences and progress of children in care and care leavers"
    assert quoted(doc, areas["in_care"]).endswith("children in care and care leavers Good")
    assert "care_leavers" not in areas  # covered by the combined judgement, not the manifest's extra grade
    assert record.kind == "full inspection"  # no framework: 11 days on site is a standard inspection


def test_the_text_wins_over_a_manifest_grade_that_differs():
    # Oxfordshire 2018: the manifest says in care "requires improvement", the report "Good".
    doc = make_doc(ILACS, meta={**ILACS_META, "in_care": "requires improvement", "overall_effectiveness": "good"})
    areas = by_area(read_record(doc))
    assert (areas["in_care"].grade, areas["in_care"].source) == ("good", "report")
    assert quoted(doc, areas["in_care"]) == "The experiences and progress of children in care\n\nGood"


SIF = [
    "Birmingham",
    "Re-inspection of services for children in need of help and protection, children looked after and care leavers",
    "Inspection dates: 12 September 2016 to 6 October 2016 Report published: 25 November 2016",
    "Children’s services in Birmingham are inadequate",
    "1. Children who need help and protection Inadequate",
    "2. Children looked after and achieving permanence",
    "Requires improvement 2.1 Adoption performance Requires",
    "Improvement 2.2 Experiences and progress of care leavers Good",
    "3. Leadership, management and governance Inadequate",
    "The effectiveness of the Local Safeguarding Children Board (LSCB) is",
    "good.",
    "Contents",
    "What does the local authority need to improve? 4 The local authority’s strengths 6",
    PAGE,
    "Executive summary",
    "Children’s services in Birmingham are no longer inadequate in some areas, but much remains to do.",
    "What does the local authority need to improve?",
    "Priority and immediate action",
    "There are no priority and immediate actions.",
    "Areas for improvement",
    "Quality of practice",
    "4. Ensure that all children in need of protection are seen promptly.",
    "5. Improve the quality of assessments and plans. Leadership, management and governance",
    "Workforce",
    "6. Reduce caseloads so that social workers have time for children.",
    "The local authority’s strengths",
    "7. Leaders know their services well.",
]


def test_sif_headline_and_numbered_judgements():
    doc = make_doc(SIF)
    record = read_record(doc)
    assert record.kind == "single inspection"
    assert (record.published, record.inspection_start, record.inspection_end) == (
        "2016-11-25", "2016-09-12", "2016-10-06")
    areas = by_area(record)
    overall = record.overall()
    assert overall is record.judgements[0]
    assert (overall.grade, overall.source) == ("inadequate", "report")
    assert quoted(doc, overall) == "Children’s services in Birmingham are inadequate"
    assert quoted(doc, areas["help_and_protection"]) == "Children who need help and protection Inadequate"
    assert areas["in_care"].grade == "requires improvement"
    assert quoted(doc, areas["in_care"]).startswith("Children looked after and achieving permanence")
    assert areas["adoption"].grade == "requires improvement"  # "Requires / Improvement" over two paragraphs
    assert quoted(doc, areas["adoption"]) == "Adoption performance Requires\n\nImprovement"
    assert areas["care_leavers"].grade == "good"
    assert areas["impact_of_leaders"].label == "Leadership, management and governance"
    assert areas["impact_of_leaders"].grade == "inadequate"
    assert areas["lscb"].grade == "good"
    assert "Local Safeguarding Children Board" in quoted(doc, areas["lscb"])


def test_sif_recommendations_pass_sub_headings_and_stop_at_strengths():
    doc = make_doc(SIF)
    assert items(doc, read_record(doc)) == [
        "Ensure that all children in need of protection are seen promptly.",
        "Improve the quality of assessments and plans.",  # the next heading, run into the item, cut off
        "Reduce caseloads so that social workers have time for children.",
    ]


@pytest.mark.parametrize("headline, grade", [
    ("The overall judgement is that children’s services require improvement", "requires improvement"),
    ("The overall judgement is Inadequate", "inadequate"),
    ("The overall judgement is that children’s service requires", "requires improvement"),  # split: see below
    ("Children's services in Bedford Borough require improvement to be good", "requires improvement"),
    ("Children’s services in the Blackburn with Darwen Council area are good", "good"),
    ("Children’s services require improvement to be good", "requires improvement"),
])
def test_sif_headline_variants(headline, grade):
    parts = ["Somewhere", "Inspection of services for children in need of help and protection, children looked after"
             " and care leavers", headline]
    if headline.endswith("requires"):
        parts.append("improvement.")
    parts += ["1. Children who need help and protection Good"]
    doc = make_doc(parts)
    overall = read_record(doc).overall()
    assert overall.grade == grade
    assert quoted(doc, overall).startswith(headline)


LAC_2013 = [
    "Inspection of looked after children services",
    "Norfolk County Council",
    "Inspection dates: 8 – 12 July 2013",
    "Contents",
    "Overall effectiveness of services for looked after children and young people 4",
    "Capacity to improve 4",
    "3. All inspection judgements are made using the following four point scale. Outstanding (Grade 1) A service"
    " that significantly exceeds minimum requirements",
    PAGE,
    "Service information",
    "4. Norfolk is geographically the fifth largest county in England.",
    PAGE,
    "Overall effectiveness of services for looked after children and young people",
    "Grade 4 (inadequate)",
    "8. The local authority is not carrying out its statutory responsibilities.",
    "Capacity to improve",
    "Grade 3 (Adequate)",
    "11. The local authority does not have a track record of improving services.",
    "Areas for improvement",
    "15. In order to improve the quality of provision and services for looked after children and young people in"
    " Norfolk, the local authority should take the following action.",
    "Immediately:",
    "• ensure all elected members understand their corporate parenting duties",
    "• ensure all children and young people have a care plan",
    "Within three months:",
    "• ensure all children have a good quality personal education plan (PEP)",
    "Outcomes for looked after children and young people",
    "Grade 4 (inadequate)",
    "16. Overall outcomes for looked after children are inadequate.",
    "Record of main findings",
    "Overall effectiveness Inadequate",
]


def test_2013_looked_after_children_inspection():
    doc = make_doc(LAC_2013)
    record = read_record(doc)
    assert record.kind == "looked after children inspection"
    assert (record.inspection_start, record.inspection_end) == ("2013-07-08", "2013-07-12")
    overall = record.overall()
    assert overall.grade == "inadequate"
    assert quoted(doc, overall) == (
        "Overall effectiveness of services for looked after children and young people\n\nGrade 4 (inadequate)")
    areas = by_area(record)
    assert areas["capacity_to_improve"].grade == "adequate"
    assert quoted(doc, areas["capacity_to_improve"]) == "Capacity to improve\n\nGrade 3 (Adequate)"
    assert areas["outcomes"].grade == "inadequate"
    assert items(doc, record) == [
        "ensure all elected members understand their corporate parenting duties",
        "ensure all children and young people have a care plan",
        "ensure all children have a good quality personal education plan (PEP)",
    ]


def test_manifest_only_grades_have_no_span():
    doc = make_doc([
        "Inspection of services for children in need of help and protection, children looked after and care leavers",
        "The text layer of this report's first page is unreadable.",
    ], meta={"overall_effectiveness": "requires improvement", "in_care": "good", "framework": "short",
             "published": "2015-03-27"})
    record = read_record(doc)
    overall = record.overall()
    assert (overall.area, overall.grade, overall.source, overall.start, overall.end) == (
        "overall_effectiveness", "requires improvement", "manifest", None, None)
    assert overall.label == "Overall effectiveness"
    assert by_area(record)["in_care"].source == "manifest"
    assert record.kind == "single inspection"  # the SIF title wins over the manifest's framework
    assert record.published == "2015-03-27"
    assert record.improvements == ()


def test_post_reform_report_has_no_overall_grade():
    parts = [p for p in ILACS if p != "Overall effectiveness Good"]
    parts[1] = "Inspection dates: 11 to 22 May 2026"
    doc = make_doc(parts, meta={"overall_effectiveness": "not reported post reform"})
    record = read_record(doc)
    assert record.overall() is None
    assert len(record.judgements) == 4
    assert record.kind == "full inspection"


def test_numbered_group_headings_over_bullets():
    # Slough 2016: "1. Quality and effectiveness of practice" heads bullets, which are the items.
    doc = make_doc([
        "Inspection of services for children in need of help and protection",
        "Recommendations",
        "1. Quality and effectiveness of practice",
        "• Develop a multi-agency response to concerns about children.",
        "• Ensure that all children at risk benefit from strategy meetings.",
        "2. Oversight and scrutiny by senior and political leaders",
        "• Prioritise a stable and skilled permanent workforce.",
        "Summary for children and young people",
        "• Social workers visit you often.",
    ])
    assert items(doc, read_record(doc)) == [
        "Develop a multi-agency response to concerns about children.",
        "Ensure that all children at risk benefit from strategy meetings.",
        "Prioritise a stable and skilled permanent workforce.",
    ]


def test_a_contents_entry_is_not_the_section():
    doc = make_doc([
        "Inspection of services for children in need of help and protection",
        "Recommendations",  # a contents entry whose page number was lost
        "Summary for children and young people 5",
        "Executive summary",
        "Recommendations",
        "1. Ensure that all plans are specific.",
        "2. Improve return home interviews.",
        "Summary for children and young people",
    ])
    assert items(doc, read_record(doc)) == ["Ensure that all plans are specific.", "Improve return home interviews."]


@pytest.mark.parametrize("title, dates, meta, kind", [
    ("Inspection of Brighton and Hove local authority children’s services", "11 to 15 March 2024", {},
     "short inspection"),
    ("Inspection of Nottingham City local authority children’s services", "11 – 22 July 2022", {}, "full inspection"),
    ("Inspection of Nottingham City local authority children’s services", "", {}, "inspection"),
    ("Inspection of Bury local authority children’s services", "", {"framework": "short"}, "short inspection"),
    ("Inspection of Wiltshire children’s social care services", "",
     {"framework": "inspection duration longer than standard framework"}, "full inspection"),
    ("Focused visit to Barnsley local authority children’s services", "", {}, "focused visit"),
    ("Monitoring visit to Slough children’s services", "", {}, "monitoring visit"),
    ("Inspection of safeguarding and looked after children services Kent", "", {}, "safeguarding inspection"),
    ("Somerset County Council Reinspection of services for children in need of help and protection", "", {},
     "single inspection"),
    ("Cambridgeshire Inspection of children’s social care services", "", {"framework": "short"}, "short inspection"),
    ("A report", "", {}, "inspection"),
])
def test_kind(title, dates, meta, kind):
    parts = [title] + ([f"Inspection dates: {dates}"] if dates else []) + ["Some words about the inspection."]
    assert read_record(make_doc(parts, title=title, meta=meta)).kind == kind


@pytest.mark.parametrize("line, start, end", [
    ("Inspection dates: 8 – 12 July 2013", "2013-07-08", "2013-07-12"),
    ("Inspection dates: 27 June to 1 July 2022", "2022-06-27", "2022-07-01"),
    ("Inspection dates: 9–24 November 2017", "2017-11-09", "2017-11-24"),
    ("Inspection dates: 1/06/2015 – 25/06/2015", "2015-06-01", "2015-06-25"),
    ("Inspection date: 20 June 2017 ─ 13 July 2017", "2017-06-20", "2017-07-13"),
    ("Inspection dates: 19 November-11 December 2013 and 28 – 30 January 2014", "2013-11-19", "2014-01-30"),
    ("Inspection dates: 29 December to 2 January 2019", "2018-12-29", "2019-01-02"),
    ("Inspection dates: 3 December 2018 to 14 December 2018 Lead inspector: Pauline Higham", "2018-12-03",
     "2018-12-14"),
    ("Inspection dates: to be confirmed", None, None),
])
def test_inspection_dates_from_the_first_page(line, start, end):
    record = read_record(make_doc(["Inspection of a local authority", line, "Words."]))
    assert (record.inspection_start, record.inspection_end) == (start, end)


def test_published_from_the_first_page_when_not_iso():
    record = read_record(make_doc(["A report", "Words."], meta={"published": "23 May 2014"}))
    assert record.published == "2014-05-23"


@pytest.mark.parametrize("value, grade", [
    ("Requires Improvement to be good", "requires improvement"),
    ("Require improvement", "requires improvement"),
    ("to requires improvement", "requires improvement"),  # a manifest value seen in the collection
    ("Grade 3 (Adequate)", "adequate"),
    ("Inadequate", "inadequate"),
    ("Not judged", None),
    ("not reported post reform", None),
    ("", None),
    (None, None),
])
def test_normalise_grade(value, grade):
    assert normalise_grade(value) == grade


def test_json_round_trip():
    for parts, meta in ((ILACS, ILACS_META), (SIF, {}), (LAC_2013, {}), (["x", "y."], {"in_care": "good"})):
        record = read_record(make_doc(parts, meta=meta))
        assert ReportRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    data = read_record(make_doc(SIF)).to_json()
    assert data["judgements"][0]["area"] == "overall_effectiveness"
    assert data["improvements"] and all(len(span) == 2 for span in data["improvements"])


def test_articles_have_no_record():
    assert read_record(make_doc(["Council praised", "Children are safe."], kind="article")) is None


@pytest.mark.parametrize("doc", [
    Document(doc_id="a", source="a", title="", text="", content_hash="h", kind="report"),
    Document(doc_id="a", source="a", title="", text="Overall effectiveness", content_hash="h", kind="report",
             blocks=(Block(0, 900, "heading"), Block(5000, 6000, "body", 3)), page_starts=(0, 10, 99999)),
    Document(doc_id="a", source="a", title="x", text="What needs to improve?\n\n◼", content_hash="h", kind="report",
             blocks=(Block(0, 22, "heading"), Block(26, 26, "body")), meta={"overall_effectiveness": None,
                                                                             "published": "not a date",
                                                                             "inspection_dates": "31 February 2019"}),
    Document(doc_id="a", source="a", title="x", text="Recommendations\n\n1. Ensure", content_hash="h", kind="report",
             blocks=(Block(0, 15, "heading"), Block(20, 900, "body", 1), Block(950, 990, "body")),
             meta={"framework": None, "inspection_start": "2025-13-45", "inspection_end": 7, "inspection_dates": 5}),
    make_doc(["Recommendations"] + [f"{i}. Ensure item {i} is done." for i in range(1, 200)]),
    make_doc(["Children’s services in " + "a " * 5000 + "are good"]),
], ids=["empty", "blocks-beyond-text", "odd-meta", "section-beyond-text", "many-items", "long-line"])
def test_odd_documents_never_raise(doc):
    record = read_record(doc)
    assert record is not None
    for j in record.judgements:
        if j.start is not None:
            assert normalise_grade(doc.text[j.start : j.end]) == j.grade
    for s, e in record.improvements:
        assert 0 <= s < e <= len(doc.text)


SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "ofsted"


@pytest.mark.slow
@pytest.mark.parametrize("path, kind, overall, quote, area_grades", [
    ("80429_birmingham/children's services inspection - 25 november 2016.pdf", "single inspection", "inadequate",
     "Children’s services in Birmingham are inadequate",
     {"help_and_protection": "inadequate", "in_care": "requires improvement", "impact_of_leaders": "inadequate"}),
    ("80418_norfolk/children's services inspection,  pdf - 16 august 2013.pdf", "looked after children inspection",
     "inadequate", "Grade 4 (inadequate)", {"capacity_to_improve": "inadequate"}),
    ("2532283_dorset/children's services inspection - 09 may 2025.pdf", "short inspection", "outstanding",
     "Overall effectiveness Outstanding", {"care_leavers": "good", "in_care": "outstanding"}),
    ("2637539_north northamptonshire/children's services inspection - 07 july 2026.pdf", "full inspection", None,
     None, {"impact_of_leaders": "outstanding", "help_and_protection": "good"}),
], ids=["birmingham-2016", "norfolk-2013", "dorset-2025", "north-northants-2026"])
def test_real_reports(path, kind, overall, quote, area_grades):
    from qa.ingest.load import load_document
    from qa.ingest.manifest import find_row, read_manifest

    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is missing: the real reports live in ../shared beside the repository")
    row = find_row(read_manifest(SHARED / "manifest.csv"), path)
    doc, _ = load_document(SHARED / path, SHARED, manifest_row=row)
    record = read_record(doc)
    assert record.kind == kind
    if overall is None:
        assert record.overall() is None
    else:
        assert record.overall().grade == overall
        assert record.overall().source == "report"
        assert quote in quoted(doc, record.overall())
    areas = by_area(record)
    for area, grade in area_grades.items():
        assert areas[area].grade == grade
        assert grade.split()[0] in quoted(doc, areas[area]).lower()
    assert record.improvements
    for s, e in record.improvements:
        assert doc.text[s:e].strip() == doc.text[s:e] and len(doc.text[s:e]) > 10
