"""Citations for reference managers, read back with the libraries that read those formats."""
from __future__ import annotations

import json

import bibtexparser
import rispy

from qa.answer.references import references, to_bibtex, to_csl_json, to_ris
from qa.records import Answer, Passage

REPORT = dict(doc_id="reports/2532283_dorset/x", source="reports/2532283_dorset/x.pdf",
              title="Inspection of Dorset local authority children’s services", publisher="Ofsted",
              date="2025-05-09", places=("Dorset",), link="https://files.ofsted.gov.uk/v1/file/50276411")


def passage(rank, quote, start, page, paragraph, **doc):
    return Passage(rank=rank, score=1.0, quote=quote, start=start, end=start + len(quote), page=page,
                   paragraph=paragraph, citation="c", **doc)


ANSWER = Answer("q", True, "t", (
    passage(1, "PAs develop meaningful and trusting relationships with care leavers.", 100, 7, 37, **REPORT),
    passage(2, "Care leavers are supported to share their views.", 300, 7, 40, **REPORT),
    passage(3, "Inspectors said {braces} & “quotes”, 50% of them.", 10, None, 4,
            doc_id="004_8817", source="004_8817.txt", title="Quality of council’s social work practice ‘poor’",
            publisher="Community Care", date="2014-03-20", places=("Rotherham",), link=None),
))


def test_one_entry_per_document_with_every_quote_in_its_note():
    refs = references(ANSWER)
    assert [len(r.quotes) for r in refs] == [2, 1]
    assert "(p. 7, para. 37)" in refs[0].note() and "(p. 7, para. 40)" in refs[0].note()


def test_ris_reads_back_with_rispy():
    entries = rispy.loads(to_ris([ANSWER]))
    assert len(entries) == 2
    report, article = entries
    assert report["type_of_reference"] == "RPRT" and report["authors"] == ["Ofsted"]
    assert report["title"] == REPORT["title"] and report["year"] == "2025" and report["date"] == "2025/05/09"
    assert report["urls"] == [REPORT["link"]] and "Dorset" in report["keywords"]
    assert "PAs develop meaningful and trusting relationships with care leavers." in report["notes"][0]
    assert article["type_of_reference"] == "NEWS" and article["publisher"] == "Community Care"


def test_bibtex_reads_back_with_bibtexparser():
    library = bibtexparser.parse_string(to_bibtex([ANSWER]))
    assert not library.failed_blocks
    report, article = library.entries
    assert report.entry_type == "techreport" and report.key == "ofsted-dorset-2025"
    assert report["author"] == "{Ofsted}" and report["institution"] == "Ofsted"
    assert report["url"] == REPORT["link"] and report["year"] == "2025" and report["address"] == "Dorset"
    assert "Care leavers are supported to share their views." in report["note"]
    assert article.entry_type == "article" and "\\{braces\\}" in article["note"]


def test_csl_json_is_the_citation_style_language_schema():
    report, article = json.loads(to_csl_json([ANSWER]))
    assert report["type"] == "report" and report["author"] == [{"literal": "Ofsted"}]
    assert report["issued"] == {"date-parts": [[2025, 5, 9]]} and report["URL"] == REPORT["link"]
    assert report["publisher-place"] == "Dorset"
    assert article["type"] == "article-newspaper" and article["container-title"] == "Community Care"
    assert "“quotes”" in article["note"]


def test_a_single_quote_exports_alone():
    entries = rispy.loads(to_ris(ANSWER.citations[1]))
    assert len(entries) == 1 and "share their views" in entries[0]["notes"][0]
    assert "trusting relationships" not in entries[0]["notes"][0]


def test_bibtex_keys_stay_unique():
    other = Answer("q2", True, "t", (passage(1, "Another quote here.", 5, 2, 3, **{**REPORT, "doc_id": "y"}),))
    keys = [e.key for e in bibtexparser.parse_string(to_bibtex([ANSWER, other])).entries]
    assert len(keys) == len(set(keys)) == 3
