"""Questions as staff type them (issue 13): the three verdicts, the scope
checks, follow-ups that state their own scope, "the latest", footnotes,
and every quote checked against an independent reading of the PDF.

Runs on the default collection (seeds/: two articles and ten real reports)
with the real model."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from qa.answer.conversation import Conversation
from qa.answer.verdict import ANSWERED, NONE, RELATED, ask
from qa.index.embed import ADAPTED_MODEL
from qa.ingest.chunk import sentences_of
from qa.ingest.gazetteer import load_gazetteer
from qa.ingest.load import load_document
from qa.ingest.manifest import find_row, read_manifest
from qa.records import Document
from qa.search.cite import page_of
from qa.search.filters import document_years
from qa.search.query import parse_question
from qa.search.ranker import load_ranker
from qa.search.scope import check as scope_check
from qa.search.scope import unknown_places

REPORTS = Path(__file__).resolve().parents[2] / "seeds" / "reports"
PDFS = sorted(REPORTS.rglob("*.pdf"))


# ---------------------------------------------------------------- verdicts and scope


def test_a_question_the_reports_answer_is_answered(default_retriever):
    answer = ask(default_retriever, "What did inspectors say about care leavers in Dorset?")
    assert answer.verdict == ANSWERED and answer.answered
    assert answer.citations and all("dorset" in c.source.lower() for c in answer.citations)
    assert answer.to_json()["verdict"] == ANSWERED and answer.to_json()["answered"] is True


@pytest.mark.parametrize("question, says", [
    ("What support do care leavers get in East Tyneside?",
     ["There is no local authority called East Tyneside", "North Tyneside", "South Tyneside"]),
    ("What grade did Ofsted give Dorset Council's adult social care services?",
     ["adult social care", "Care Quality Commission"]),
    ("What grade will Bedford get in 2031?", ["2031"]),
    ("How good are children's services in Leeds?", ["no documents about Leeds"]),
    ("What did inspectors find in Bedford in 2016?", ["2016", "Bedford", "2025"]),
])
def test_questions_outside_the_collection_say_why_and_quote_nothing(default_retriever, question, says):
    answer = ask(default_retriever, question)
    assert answer.verdict == NONE and not answer.answered and not answer.citations
    for words in says:
        assert words in answer.reason, (question, answer.reason)


def test_a_town_is_answered_from_its_authoritys_reports_and_the_answer_says_so(default_retriever):
    answer = ask(default_retriever, "What did inspectors say about care leavers in Weymouth?")
    assert answer.notes == ("Weymouth: read as Dorset, the council that runs its children's services.",)
    assert answer.citations and all("dorset" in c.source.lower() for c in answer.citations)
    assert answer.to_json()["notes"] == list(answer.notes)
    # A town of an authority the collection does not hold: no reports on it, and why.
    elsewhere = ask(default_retriever, "How good are children's services in Huddersfield?")
    assert elsewhere.verdict == NONE and "Kirklees" in elsewhere.reason and not elsewhere.citations
    assert elsewhere.notes and "Kirklees" in elsewhere.notes[0]


def _report(date: str, **meta: str) -> Document:
    return Document(doc_id=f"r-{date}", source=f"{date}.pdf", title="Inspection", text="x", content_hash=date,
                    kind="report", date=date, places=("Wokingham",), meta=meta)


def test_an_inspection_is_named_by_the_year_it_took_place_as_well_as_the_year_it_was_published():
    # Older reports' inspection dates are only the words the report prints.
    printed = _report("2016-01-05", inspection_dates="12 October 2015 – 5 November 2015")
    assert document_years(printed) == {2015, 2016}
    from_manifest = _report("2022-02-11", inspection_start="2021-12-06", inspection_end="2021-12-17")
    assert document_years(from_manifest) == {2021, 2022}
    g = load_gazetteer()
    reports = [printed, from_manifest]
    for year in (2015, 2016, 2021, 2022):
        query = parse_question(f"What did the {year} inspection of Wokingham say about the front door?", g)
        assert scope_check(query, reports, g, {"Wokingham"}) is None, year
    missing = scope_check(parse_question("What did the 2018 inspection of Wokingham say?", g), reports, g,
                          {"Wokingham"})
    assert missing and "no inspection of Wokingham in 2018" in missing.reason


@pytest.mark.parametrize("question, years", [
    ("Why did services in Wokingham go downhill after the 2012 inspection?", ()),
    ("How many children's homes has Wokingham opened since 2017?", ()),
    ("were Wokingham's caseloads high in the years before 2019", ()),
    ("what did the 2019 inspection of Wokingham say about progress since 2017?", (2019,)),
    ("Wokingham care leavers back in 2015", (2015,)),
])
def test_a_year_counted_from_or_to_is_not_the_inspection_asked_about(question, years):
    g = load_gazetteer()
    query = parse_question(question, g)
    assert query.years == years
    # With only a 2023 report, a year counted from is no reason to refuse; a year asked about is.
    verdict = scope_check(query, [_report("2023-05-09", inspection_dates="6 to 17 March 2023")], g, {"Wokingham"})
    assert (verdict is None) == (not years)


@pytest.mark.parametrize("question", [
    "Durham 2019 inspection: what difference has the Children in Care Council made?",
    "what did the 2016 inspection of Stockton say about Cleveland police not turning up",
    "Wokingham out of hours service - is it shared with the other Berkshire councils?",
    "Does the Youth Council in Leeds meet the director?",
])
def test_groups_and_wider_areas_are_not_taken_for_authorities_that_do_not_exist(question):
    assert unknown_places(question, load_gazetteer()) == []


@pytest.mark.parametrize("question", [
    "How large is the annual budget of Sheffield children's services?",  # the seed articles give no budget
    "What is the weekly fostering allowance in Dorset?",
    "What is the name of the director of children's services in Bedford?",
])
def test_a_figure_or_name_the_reports_do_not_give_is_never_answered(default_retriever, question):
    answer = ask(default_retriever, question)
    assert answer.verdict in (RELATED, NONE) and not answer.answered and not answer.citations, (
        question, [c.quote for c in answer.citations])
    if answer.verdict == RELATED:
        assert answer.closest  # shown as related passages, under their own heading


@pytest.mark.parametrize("question, quote, answers", [
    ("What is the annual budget for children's social care in Dorset?",
     "The council has invested £1.5 million in a new family hub.", False),  # a sum, not the budget
    ("What is the annual budget for children's social care in Dorset?",
     "The annual budget for children's social care is £52 million.", True),
    ("How much is the weekly fostering allowance in Dorset?",
     "Foster carers are paid an allowance of £250 per week.", True),
    ("How much is the weekly fostering allowance in Dorset?",
     "Foster carers are well supported by their supervising social workers.", False),
    ("How much did Dorset give each care leaver as a setting-up grant?",
     "Every care leaver receives a grant of £2,000 when they move into their first home.", True),
    # Asked without "how much" or "what is": the rate asked for is still a sum.
    ("What weekly allowance does Dorset pay its foster carers?",
     "The council currently has 191 fostering households, including kinship carers.", False),
    ("What weekly allowance does Dorset pay its foster carers?",
     "Foster carers receive a weekly allowance of £250 for each child.", True),
    ("What was Dorset's annual re-referral rate?",  # a rate is not a sum
     "The annual re-referral rate is 18%, in line with similar areas.", True),
])
def test_a_sum_answers_only_a_question_about_what_it_is_the_price_of(question, quote, answers):
    from types import SimpleNamespace

    from qa.answer.verdict import missing_kind
    from qa.search.query import parse_question

    query = parse_question(question, load_gazetteer())
    assert (missing_kind(query, [SimpleNamespace(quote=quote)]) is None) == answers


def test_a_count_question_is_answered_only_with_quotes_that_give_an_amount(default_retriever):
    answer = ask(default_retriever, "How many children in care did Bedford have?")
    amount = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred|half|third"
                        r"|quarter|majority|minority|most|all|none|few|several|many)\b", re.I)
    if answer.verdict == ANSWERED:  # a figure, or the reports' own "most", "a few", "half"
        assert answer.citations and all(amount.search(c.quote) for c in answer.citations), answer.citations
    else:
        assert answer.verdict == RELATED


def test_summary_of_the_latest_inspection_is_from_the_latest_report_and_not_its_header(default_retriever):
    answer = ask(default_retriever, "Summarise the latest Dorset inspection")
    assert answer.citations
    for c in answer.citations:
        assert "09 may 2025" in c.source.lower() or "2025" in (c.date or ""), c.source
        assert not re.search(r"Inspection dates|Lead inspector|Judgement\s+Grade", c.quote), c.quote


# ---------------------------------------------------------------- conversation


def test_a_question_that_states_its_own_scope_inherits_nothing():
    chat, gazetteer = Conversation(), load_gazetteer()
    chat.resolve("What did inspectors say about supervision in Sheffield?", gazetteer)
    for question in ["Which councils were judged inadequate?", "How do councils across England recruit foster carers?"]:
        assert "Sheffield" not in chat.resolve(question, gazetteer)


def test_an_elliptical_follow_up_inherits_topic_and_place():
    chat, gazetteer = Conversation(), load_gazetteer()
    chat.resolve("What did inspectors say about care leavers in Dorset in 2021?", gazetteer)
    understood = chat.resolve("And in 2025?", gazetteer)
    assert "care leavers" in understood and "Dorset" in understood and "2025" in understood
    assert "2021" not in understood


# ---------------------------------------------------------------- the learned ranker


def test_committed_ranker_weights_match_the_features_the_code_computes(tmp_path):
    """Weights trained for another list of features would be silently
    meaningless; load_ranker refuses them, so the committed ones must load."""
    import json

    from qa.search.ranker import WEIGHTS_FILE

    table = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert {"all-MiniLM-L6-v2", ADAPTED_MODEL} <= set(table)
    for model in table:
        ranker = load_ranker(model)
        assert ranker is not None, model
        assert 0.0 < ranker.share <= 1.0 and ranker.share == table[model].get("share", ranker.share), model
    # A share written with one model's weights is that model's alone.
    other = {"all-MiniLM-L6-v2": {**table["all-MiniLM-L6-v2"], "share": 0.3}, ADAPTED_MODEL: table[ADAPTED_MODEL]}
    (tmp_path / "weights.json").write_text(json.dumps(other), encoding="utf-8")
    assert load_ranker("all-MiniLM-L6-v2", path=tmp_path / "weights.json").share == 0.3
    assert load_ranker(ADAPTED_MODEL, path=tmp_path / "weights.json").share == table[ADAPTED_MODEL].get("share", 0.7)


def test_each_model_has_its_own_answer_thresholds_and_an_unknown_one_the_packaged_models(tmp_path):
    """Cosines of the adapted model sit lower than the packaged one's: its
    calibrated thresholds must be the ones an index built with it uses,
    found by name or by the folder a model was loaded from."""
    import json

    from qa.answer.verdict import MIN_EVIDENCE, MIN_RELATED, THRESHOLDS_FILE, thresholds_for

    table = json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    adapted = (table[ADAPTED_MODEL]["min_evidence"], table[ADAPTED_MODEL]["min_related"])
    assert adapted != (MIN_EVIDENCE, MIN_RELATED)
    assert thresholds_for(ADAPTED_MODEL) == adapted
    assert thresholds_for(f"/somewhere/models/{ADAPTED_MODEL}") == adapted
    assert thresholds_for("some-other-model") == (MIN_EVIDENCE, MIN_RELATED)
    broken = tmp_path / "thresholds.json"
    broken.write_text("{not json", encoding="utf-8")
    assert thresholds_for(ADAPTED_MODEL, path=broken) == (MIN_EVIDENCE, MIN_RELATED)


def test_the_ranker_reorders_report_sentences_and_leaves_articles_in_the_fusions_order(
        default_retriever, seed_retriever):
    from dataclasses import replace

    from qa.search.retrieve import DEFAULT_SETTINGS

    fusion_only = replace(DEFAULT_SETTINGS, learned=False)
    assert default_retriever.ranker is not None and seed_retriever.ranker is not None
    question = "Are Bedford social workers leaving too fast?"
    learned = default_retriever.search(question, k=10)
    fusion = default_retriever.search(question, k=10, settings=fusion_only)
    assert [p.quote for p in learned] != [p.quote for p in fusion]
    assert [p.score for p in learned] == sorted((p.score for p in learned), reverse=True)
    # The seed articles alone: nothing for the ranker to reorder.
    for question in ["What did inspectors say about Rotherham supervision?", "Why did Sheffield improve?"]:
        assert [p.quote for p in seed_retriever.search(question, k=10)] == [
            p.quote for p in seed_retriever.search(question, k=10, settings=fusion_only)]


# ---------------------------------------------------------------- PDF cleaning


def _documents():
    rows = read_manifest(REPORTS / "manifest.csv")
    out = []
    for path in PDFS:
        rel = path.relative_to(REPORTS).as_posix()
        doc, _ = load_document(path, REPORTS, manifest_row=find_row(rows, rel))
        out.append((path, doc))
    return out


@pytest.fixture(scope="module")
def documents():
    return _documents()


def test_footnotes_are_their_own_blocks_and_never_inside_a_sentence(documents):
    footnotes = 0
    for _, doc in documents:
        for block in doc.blocks:
            body = doc.text[block.start : block.end]
            if block.kind == "footnote":
                footnotes += 1
                continue
            # The stock footnote of recent reports, if it leaked into the body text.
            assert "have been cross-referenced with" not in body, (doc.source, body[:200])
    assert footnotes > 0  # the recent reports do have footnotes


def test_footnote_markers_are_recorded_and_left_out_of_the_text(documents):
    recorded = 0
    for _, doc in documents:
        recorded += len(doc.markers)
        for offset, marker in doc.markers:
            # Where the superscript stood, the text goes on without its digits ("protection." not "protection.1").
            assert marker.isdigit() and not doc.text[offset : offset + 1].isdigit(), (
                doc.source, doc.text[offset - 30 : offset + 5])
    assert recorded > 0


def _normalise(text: str) -> str:
    """Words only: case, spacing, punctuation, hyphenation and footnote
    markers (digits glued to a word's end) aside."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=[a-z.,;:)’'”])\d{1,2}(?=[\s.,;:]|$)", " ", text)
    return re.sub(r"[^a-z0-9]", "", text)


def test_every_sentence_is_in_an_independent_reading_of_its_page(documents):
    """A second extraction (pypdf, another PDF reader) of the page a sentence
    is cited on holds the sentence's words, so a cleaning bug that drops,
    adds or changes words fails here, unlike a comparison of a quote with the
    slice it was cut from. Sentences that cross a page are checked against
    both pages."""
    checked, missing = 0, []
    for path, doc in documents:
        pages = [_normalise(p.extract_text() or "") for p in PdfReader(str(path)).pages]
        for s in sentences_of(doc, 0):
            first, last = page_of(doc, s.start), page_of(doc, s.end - 1)
            words = _normalise(doc.text[s.start : s.end])
            if len(words) < 20 or first is None:
                continue
            checked += 1
            reading = "".join(pages[first - 1 : (last or first)])
            if words not in reading and not _in_two_parts(words, pages[first - 1 : (last or first) + 1]):
                missing.append((path.name, first, doc.text[s.start : s.end][:120]))
    assert checked > 2500
    # Measured: 1 of 2,977 (a footnote marker of a 2017 report printed at body size,
    # so kept as " 3"); a cleaning bug that changes words misses hundreds.
    assert len(missing) <= checked // 500, missing[:10]


def _in_two_parts(words: str, pages: list[str]) -> bool:
    """A sentence across a page break: a head at the end of one page and the
    rest at the start of the next (running headers and page numbers between)."""
    for cut in range(5, len(words) - 4):
        if any(words[:cut] in a and words[cut:] in b for a, b in zip(pages, pages[1:], strict=False)):
            return True
    return False
