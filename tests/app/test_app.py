"""The Streamlit chat, driven by streamlit.testing (no browser; see test_browser.py)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = (
    "Hostile page\n\nThe fostering panel in Torbay met <script>alert('x')</script> weekly and "
    "[approved carers](http://evil.example) quickly.\n\n![tracker](http://evil.example/p.png) Torbay panels "
    "were praised by inspectors for their fostering decisions.\n"
)


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """The default collection plus one document carrying markup, indexed once."""
    root = tmp_path_factory.mktemp("app")
    docs = root / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    (docs / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_DOCS", str(docs))
        mp.setenv("QA_INDEX", str(root / "index"))
        yield docs


def new_app(collection) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [c.value for c in at.code])


def test_ask_shows_the_quote_and_its_citation(collection):
    at = ask(new_app(collection), "What did inspectors say about Rotherham supervision?")
    assert "beginning to deliver more regular supervision" in shown(at)
    assert any("Community Care" in c.value and "para. 10" in c.value for c in at.code)


def test_follow_up_answers_about_the_new_place(collection):
    at = ask(new_app(collection), "What did inspectors say about Rotherham supervision?")
    at = ask(at, "And what about Sheffield?")
    captions = [c.value for c in at.caption]
    assert any("Understood as" in c and "Sheffield" in c for c in captions)
    last_codes = [c.value for c in at.code][-1]
    assert "Sheffield" in last_codes
    at = ask(at, "What needs to improve there?")
    assert any("Understood as" in c and "Sheffield" in c for c in [c.value for c in at.caption])


def test_a_town_is_read_as_its_council_and_the_page_says_so(collection):
    at = ask(new_app(collection), "What did inspectors say about care leavers in Weymouth?")
    # (captions are escaped Markdown: "Weymouth\\: read as Dorset")
    assert any(c.value.startswith("Weymouth") and "read as Dorset" in c.value for c in at.caption)
    assert any("Dorset" in c.value for c in at.code)  # the citations are Dorset's


def test_an_authority_outside_the_collection_is_said_plainly(collection):
    at = ask(new_app(collection), "What did inspectors say about supervision in Leeds?")
    assert any("no documents about Leeds" in i.value for i in at.info)
    assert not any("not an answer" in m.value for m in at.markdown)  # nothing about other places in its stead


def test_related_passages_are_shown_as_not_an_answer(collection):
    at = ask(new_app(collection), "How large is the annual budget of Sheffield children's services?")
    assert any("do not give that figure" in i.value or "answers this question" in i.value
               or "do not answer" in i.value for i in at.info)
    assert any("not a direct answer" in m.value or "not an answer" in m.value for m in at.markdown)


def test_filters_narrow_the_answer(collection):
    at = new_app(collection)
    at.sidebar.multiselect[0].set_value(["Dorset"]).run()
    at = ask(at, "How is supervision of social workers?")
    codes = [c.value for c in at.code]
    assert codes and all("Dorset" in c for c in codes)


def test_document_markup_is_shown_as_text(collection):
    at = ask(new_app(collection), "Torbay fostering panel weekly")
    body = " ".join(m.value for m in at.markdown)
    assert "alert" in body  # the document is shown ...
    assert "<script>" not in body and "](http" not in body and "![" not in body  # ... as inert text


def test_quotes_from_one_report_come_under_one_header_each_with_its_page(collection):
    at = ask(new_app(collection), "What did inspectors say about care leavers in Dorset?")
    quotes = [m.value for m in at.markdown if m.value.startswith("**\\[")]
    assert len(quotes) == 4 and [b.label for b in at.button].count("Show on page") == 4
    assert len([b for b in at.get("link_button") if b.proto.label == "Open source"]) == len(
        {c.value.split(", p.")[0] for c in at.code})  # one source link per report, not per quote
    assert all(c.value.startswith("Ofsted") and "Dorset" in c.value for c in at.code)


def test_empty_question_is_a_message_not_a_crash(collection):
    at = ask(new_app(collection), "   ")
    assert at.warning or not at.exception


def test_collection_overview_in_the_sidebar(collection):
    at = new_app(collection)
    assert at.sidebar.dataframe and len(at.sidebar.dataframe[0].value) >= 13


# ---------------------------------------------------------------- access control (qa.app.access)

from qa.app.access import email_allowed, password_setting  # noqa: E402


def gated_app(collection, secrets: dict, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in secrets.items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_open_by_default_for_local_use(collection):
    at = new_app(collection)
    assert at.chat_input and not at.text_input


def test_password_gate_lets_in_only_the_right_password(collection):
    at = gated_app(collection, {"access": {"password_scrypt": password_setting("correct horse")}})
    assert not at.chat_input and not at.sidebar.dataframe  # nothing of the collection before the password
    at.text_input[0].input("wrong")  # inside a form: sent with the submit, not before
    at.button[0].click().run()
    assert any("not right" in e.value for e in at.error) and not at.chat_input
    at.text_input[0].input("correct horse")
    at.button[0].click().run()
    assert not at.exception and at.chat_input
    ask(at, "What did inspectors say about Rotherham supervision?")
    assert "beginning to deliver more regular supervision" in shown(at)


def test_an_old_unsalted_password_setting_keeps_the_gate_shut_and_says_how_to_mend_it(collection):
    import hashlib

    at = gated_app(collection, {"access": {"password_sha256": hashlib.sha256(b"correct horse").hexdigest()}})
    assert not at.chat_input and not at.text_input and not at.sidebar.dataframe
    assert any("python -m qa.app.access" in e.value for e in at.error)


def test_sign_in_gate_needs_a_signed_in_allowed_user(collection):
    secrets = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                        "client_id": "x", "client_secret": "x",
                        "server_metadata_url": "https://login.example/.well-known/openid-configuration"},
               "access": {"allowed_domains": ["council.gov.uk"]}}
    at = gated_app(collection, secrets, {"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"] and not at.chat_input
    at = gated_app(collection, secrets, {"is_logged_in": True, "email": "someone@elsewhere.com"})
    assert any("may not use this app" in e.value for e in at.error) and not at.chat_input
    at = gated_app(collection, secrets, {"is_logged_in": True, "email": "analyst@council.gov.uk"})
    assert at.chat_input


def test_allowed_emails_and_domains():
    secrets = {"access": {"allowed_domains": ["@Council.gov.uk"], "allowed_emails": ["a@b.org"]}}
    assert email_allowed("x@council.gov.uk", secrets) and email_allowed("A@B.org", secrets)
    assert not email_allowed("x@council.gov.uk.evil.com", secrets) and not email_allowed(None, secrets)
    assert email_allowed("anyone@anywhere", {})


# ---------------------------------------------------------------- how an answer is laid out (qa.app.views)
# Answers built by hand and shown by qa.app.views.show_answer, with a stand-in
# for the Service (the views read only docs_dir and document()).

from qa.records import Answer, Block, Document, PageHighlight, Passage, RecordRow  # noqa: E402

DORSET_PDF = "reports/2532283_dorset/children's services inspection - 09 may 2025.pdf"
MARKUP = "<img src=x onerror=alert(1)> [link](http://evil.example) **bold**"


class StubService:
    def __init__(self, documents=()):
        self.docs_dir = (ROOT / "seeds").resolve()
        self._documents = {d.doc_id: d for d in documents}

    def document(self, doc_id):
        return self._documents.get(doc_id)


def pdf_passage(rank: int, highlight=None, **kw) -> Passage:
    base = dict(rank=rank, score=1.0, doc_id="dorset-2025", source=DORSET_PDF,
                title="Inspection of Dorset local authority children’s services", quote=f"Dorset quote number {rank}.",
                start=0, end=10, page=7, paragraph=30 + rank, citation=f"Ofsted, Dorset, p. 7, para. {30 + rank}",
                date="2025-05-09", publisher="Ofsted", places=("Dorset",),
                link="https://files.ofsted.gov.uk/v1/file/50276411",
                highlight=highlight or (PageHighlight(7, ((100.0, 337.0, 520.0, 349.0),)),))
    return Passage(**{**base, **kw})


ARTICLE = Document(doc_id="article", source="000_365c892c7d4508bf.txt", title="Sheffield social work improving",
                   text="Headline\n\nBefore the quote. The quoted sentence. After the quote.\n", content_hash="x",
                   blocks=(Block(0, 8, "title"), Block(10, 62, "body")))


def article_passage(rank: int) -> Passage:
    return Passage(rank=rank, score=1.0, doc_id="article", source=ARTICLE.source, title=ARTICLE.title,
                   quote="The quoted sentence.", start=28, end=48, page=None, paragraph=2,
                   citation="Sheffield social work improving, para. 2", date="2018-12-07")


def row(kind: str = "judgement", **kw) -> RecordRow:
    base = dict(row=kind, authority="Dorset", report_id="dorset-2025", report_date="2025-05-09",
                report_kind="short inspection", area="overall_effectiveness", label="Overall effectiveness",
                finding="outstanding", quote="Overall effectiveness Outstanding", citation=1, source="report")
    return RecordRow(**{**base, **kw})


def inert(markdown: str) -> bool:
    """No unescaped "<", "[" or "]" (so no HTML, link or image) in Markdown made from document text."""
    return re.search(r"(?<!\\)[<\[\]]", markdown) is None


def _render(svc, answer):
    from qa.app.views import show_answer

    show_answer(svc, answer, key="t")


def view_app(answer: Answer, svc=None) -> AppTest:
    at = AppTest.from_function(_render, args=(svc or StubService([ARTICLE]), answer), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_quotes_are_grouped_by_document_with_one_line_each():
    answer = Answer("q", True, "", (pdf_passage(1), article_passage(2), pdf_passage(3)))
    at = view_app(answer)
    headers = [m.value for m in at.markdown if m.value.startswith("**") and "\\[" not in m.value]
    assert len(headers) == 2  # one per document, in the order first cited
    quotes = [m.value for m in at.markdown if m.value.startswith("**\\[")]
    assert [q[:8] for q in quotes] == ["**\\[1\\]*", "**\\[3\\]*", "**\\[2\\]*"]  # numbers kept
    lines = [c.value for c in at.caption if "para" in c.value]
    assert lines[0] == "Dorset inspection · 9 May 2025 · p\\. 7 · para\\. 31"
    assert [c.value for c in at.code] == [p.citation for p in (answer.citations[0], answer.citations[2],
                                                               answer.citations[1])]  # full, copyable
    labels = [b.label for b in at.button]
    assert labels == ["Show on page", "Show on page", "Show in paragraph"]
    assert not at.image  # no page is drawn before it is asked for


def test_page_view_draws_the_page_only_when_opened_and_once(monkeypatch):
    from qa.answer import page_view
    from qa.app import views

    views.page_png.clear()
    drawn = []
    real = page_view.render_highlight
    monkeypatch.setattr(page_view, "render_highlight", lambda *a, **k: drawn.append(a[1]) or real(*a, **k))
    at = view_app(Answer("q", True, "", (pdf_passage(1),)))
    assert drawn == []
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert len(at.image) == 1 and at.image[0].captions == ["Page 7\\: the quote is highlighted in yellow"]
    assert at.image[0].proto.imgs[0].alt.startswith("Page 7 of Inspection of Dorset")
    at.button[0].click().run()  # opened again: read from the cache
    assert len(drawn) == 1 and drawn[0].page == 7


def test_a_quote_crossing_a_page_shows_both_pages():
    pages = (PageHighlight(7, ((100.0, 700.0, 520.0, 712.0),)), PageHighlight(8, ((100.0, 80.0, 300.0, 92.0),)))
    at = view_app(Answer("q", True, "", (pdf_passage(1, pages),)))
    at.button[0].click().run()
    assert [i.captions[0] for i in at.image] == [
        "Page 7\\: the quote is highlighted in yellow \\(it continues on page 8\\)",
        "Page 8\\: the quote is highlighted in yellow \\(it starts on page 7\\)"]


def test_a_text_quote_opens_in_its_paragraph():
    at = view_app(Answer("q", True, "", (article_passage(1),)))
    at.button[0].click().run()
    assert not at.image
    assert any("Before the quote" in m.value and ":orange-background[**The quoted sentence\\.**]" in m.value
               for m in at.markdown)


def test_a_pdf_missing_from_the_folder_falls_back_to_the_paragraph():
    lost = pdf_passage(1, source="reports/gone.pdf", doc_id="article", start=28, end=48)
    at = view_app(Answer("q", True, "", (lost,)))
    at.button[0].click().run()
    assert not at.image and any("not in the collection folder" in c.value for c in at.caption)


CARD = Answer(
    "Summarise the latest Dorset inspection", True, "", (pdf_passage(1), pdf_passage(2)), view="report_card",
    records=(row(), row(area="care_leavers", label="Care leavers", finding="good", quote=None, citation=None,
                        source="manifest"),
             row("improvement", area="", label="", finding="Plans are not precise.", quote="Plans are not precise.",
                 citation=2),
             row("improvement", area="", label="", finding=MARKUP, quote=MARKUP, citation=1)),
)


def test_report_card_names_the_report_grades_and_improvements():
    at = view_app(CARD)
    assert at.subheader[0].value == "Dorset\\: short inspection, 9 May 2025"
    table = at.table[0].value
    assert list(table.columns) == ["Area", "Grade", "Source"]
    assert table.values.tolist() == [["Overall effectiveness", "Outstanding", "\\[1\\]"],
                                     ["Care leavers", "Good", "manifest"]]
    improvements = next(m.value for m in at.markdown if m.value.startswith("1. "))
    assert improvements.splitlines()[0] == "1. Plans are not precise\\. \\[2\\]"
    assert inert(improvements)  # document text stays text
    assert len([m for m in at.markdown if m.value.startswith("**\\[")]) == 2  # then the quotes, compact


def test_table_lists_rows_with_their_source():
    answer = Answer("grades in Dorset", True, "", (pdf_passage(1),), view="table",
                    records=(row(), row(report_id="d21", report_date="2021-11-19", finding="good", citation=None,
                                        source="manifest", quote=None, change=None),
                             row("finding", finding=MARKUP, quote=MARKUP, label="Care leavers")))
    at = view_app(answer)
    table = at.table[0].value
    assert list(table.columns) == ["Authority", "Report date", "Area", "Grade or finding", "Quote", "Source"]
    assert table["Source"].tolist() == ["\\[1\\]", "manifest", "\\[1\\]"]
    assert table["Report date"].tolist()[1] == "19 November 2021"
    assert all(inert(v) for v in table["Quote"])  # cells are escaped
    assert not at.get("vega_lite_chart")


def test_timeline_has_a_described_chart_and_its_table():
    answer = Answer("How has Dorset's grade changed?", True, "", (pdf_passage(1), pdf_passage(2)), view="timeline",
                    records=(row(report_id="d21", report_date="2021-11-19", finding="good", citation=2), row()))
    at = view_app(answer)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["title"] == "Grade by report date: Dorset"
    assert "'Outstanding'" in spec["encoding"]["y"]["axis"]["labelExpr"]
    assert "good (19 November 2021), then outstanding (9 May 2025)" in spec["description"]
    assert at.table[0].value["Grade or finding"].tolist() == ["Good", "Outstanding"]


def test_comparison_has_a_column_per_authority():
    poole = dict(authority="Bournemouth, Christchurch and Poole", report_id="bcp")
    answer = Answer("Compare Dorset and Poole", True, "", (pdf_passage(1), pdf_passage(2)), view="comparison",
                    records=(row(), row("finding", finding="Care leavers are well supported.",
                                        quote="Care leavers are well supported.", label="Care leavers"),
                             row(**poole, finding="good", citation=2),
                             row("finding", **poole, finding=MARKUP, quote=MARKUP, citation=2)))
    at = view_app(answer)
    columns = at.columns
    assert len(columns) == 2
    first, second = ([m.value for m in c.markdown] for c in columns)
    assert first[0] == "**Dorset**" and first[1] == "- Overall effectiveness: **Outstanding** \\[1\\]"
    assert first[2] == "1. Care leavers are well supported\\. \\[1\\]"
    assert second[0] == "**Bournemouth, Christchurch and Poole**" and "**Good** \\[2\\]" in second[1]
    assert inert(second[2])


def test_a_view_without_records_shows_the_quotes():
    at = view_app(Answer("q", True, "", (pdf_passage(1),), view="table"))
    assert not at.table and [m.value for m in at.markdown if m.value.startswith("**\\[")]


def test_each_quote_exports_for_a_reference_manager():
    import rispy

    at = view_app(Answer("q", True, "", (pdf_passage(1), article_passage(2))))
    downloads = at.get("download_button")
    labels = [d.proto.label for d in downloads]
    assert labels.count("RIS") == 2 and labels.count("BibTeX") == 2 and labels.count("CSL-JSON") == 2
    from qa.answer.references import to_ris

    (entry,) = rispy.loads(to_ris(pdf_passage(1)))  # what the first RIS button writes
    assert entry["type_of_reference"] == "RPRT" and entry["notes"][0].startswith("“Dorset quote number 1.”")
