"""The Streamlit chat, driven by streamlit.testing (no browser; see test_browser.py)."""
from __future__ import annotations

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
