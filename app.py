"""Streamlit chat: ask about inspection reports, read the answer in their own words.

All logic lives in qa/ (qa.app.service, qa.answer.present, qa.answer.export);
this file lays out the page, and qa.app.views lays out an answer. Document
text and file names are always escaped (qa.answer.present) and never pass
through unsafe_allow_html.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from qa.answer.export import to_csv, to_json, to_markdown
from qa.answer.present import collection_rows, escape_markdown
from qa.answer.references import to_bibtex, to_csl_json, to_ris
from qa.app.access import Throttle, access_mode, email_allowed, setting_problem
from qa.app.service import Chat, Service
from qa.app.uploads import MAX_UPLOAD_BYTES, UPLOAD_TYPES
from qa.app.views import SKIP_TO_QUESTION_BOX, download_button, show_turn
from qa.errors import QAError
from qa.ingest.load import MAX_TEXT_FILE_BYTES
from qa.search.filters import GRADES, Filters

INDEX_DIR = Path(os.environ.get("QA_INDEX", "index"))
DOCS_DIR = Path(os.environ.get("QA_DOCS", "seeds"))

st.set_page_config(page_title="Inspection reports: cited answers", page_icon="📑", layout="wide")


@st.cache_resource(show_spinner="Loading the model and the index (first start only)…")
def service() -> Service:
    return Service(INDEX_DIR, DOCS_DIR)


def require_access() -> None:
    """Stop the page here unless this session may use the app (see qa.access)."""
    mode = access_mode(st.secrets) if _has_secrets() else "open"
    if mode == "open" or st.session_state.get("signed_in"):
        return
    st.title("Inspection reports: cited answers")
    if mode == "password":
        problem = setting_problem(st.secrets)
        if problem:
            st.error(problem)  # shut, and says how to mend it: never a quiet fall back to the old secret
            st.stop()
        with st.form("password"):
            given = st.text_input("Password", type="password")
            if st.form_submit_button("Enter"):
                if password_throttle().check(_client_address(), given, st.secrets):
                    st.session_state.signed_in = True
                    st.rerun()
                st.error("That password is not right.")
    elif not st.user.get("is_logged_in"):
        st.button("Sign in", on_click=st.login)
    elif not email_allowed(st.user.get("email"), st.secrets):
        st.error(escape_markdown(f"{st.user.get('email')} may not use this app; ask its administrator."))
        st.button("Sign out", on_click=st.logout)
    else:
        return  # signed in through the identity provider: st.user says so on every run
    st.stop()


@st.cache_resource
def password_throttle() -> Throttle:
    """One for the server process: failed attempts are counted per client address across sessions."""
    return Throttle()


def _client_address() -> str:
    """The address the browser connects from. X-Forwarded-For is not read: a guesser could send a new
    one with every attempt. Behind a proxy every client has the proxy's address and is slowed as one."""
    return st.context.ip_address or "unknown"


def _has_secrets() -> bool:
    """Whether any secrets file exists (reading st.secrets without one raises)."""
    try:
        return bool(st.secrets.to_dict())
    except FileNotFoundError:
        return False


require_access()
try:
    svc = service()
except QAError as e:
    st.error(str(e))
    st.stop()

if "chat" not in st.session_state:
    st.session_state.chat = Chat()
chat: Chat = st.session_state.chat
rows = collection_rows(svc.documents)

with st.sidebar:
    st.header("Filters")
    authorities = st.multiselect("Local authority", sorted({r["authority"] for r in rows if r["authority"]}))
    regions = st.multiselect("Region", sorted({r["region"] for r in rows if r["region"]}))
    years = sorted({r["year"] for r in rows if r["year"]})
    year_range = st.slider("Year", years[0], years[-1], (years[0], years[-1])) if len(years) > 1 else None
    grades = st.multiselect("Overall grade", list(GRADES))
    kinds = st.multiselect("Document type", ["report", "article"])
    max_quotes = st.slider("Passages per answer", 1, 10, 4)
    filters = Filters(
        authorities=tuple(authorities), regions=tuple(regions),
        year_from=year_range[0] if year_range and year_range != (years[0], years[-1]) else None,
        year_to=year_range[1] if year_range and year_range != (years[0], years[-1]) else None,
        grades=tuple(grades), kinds=tuple(kinds),
    )

# The question is answered before the rest of the sidebar is drawn, so the
# export buttons already include this answer.
problem = None
question = st.chat_input("Ask, e.g. What did inspectors say about supervision in Rotherham?")
if question:
    try:
        svc.ask(chat, question, filters=filters, max_quotes=max_quotes)
    except QAError as e:
        problem = str(e)

with st.sidebar:
    st.header("Export")
    answers = [t.answer for t in chat.turns]
    for label, make, name, mime in (
        ("Markdown", to_markdown, "answers.md", "text/markdown"),
        ("CSV (a row per quote and record)", to_csv, "answers.csv", "text/csv"),
        ("JSON (a row per quote and record)", to_json, "answers.json", "application/json"),
        ("RIS (Zotero, EndNote, Mendeley)", to_ris, "answers.ris", "application/x-research-info-systems"),
        ("BibTeX", to_bibtex, "answers.bib", "application/x-bibtex"),
        ("CSL-JSON", to_csl_json, "answers.csl.json", "application/vnd.citationstyles.csl+json"),
    ):
        download_button(label, lambda make=make: make(answers), name, mime, disabled=not answers)
    if st.button("New conversation", disabled=not chat.turns):
        st.session_state.chat = Chat()
        st.rerun()

    st.header("Add documents")
    uploads = st.file_uploader(f"PDF, TXT, HTML or DOCX, up to {MAX_UPLOAD_BYTES // 2**20} MB each "
                               f"({MAX_TEXT_FILE_BYTES // 2**20} MB for text and web pages)",
                               type=list(UPLOAD_TYPES), accept_multiple_files=True)
    if uploads and st.button("Add to the collection"):
        bar = st.progress(0.0, text="Indexing…")
        report, rejected = svc.add_files(
            [(f.name, f.getvalue()) for f in uploads],
            progress=lambda done, total, stage: bar.progress(done / max(1, total), text=f"{stage} {done}/{total}"),
        )
        bar.empty()
        # Shown after the rerun that brings the new documents into the overview.
        st.session_state.rejected = [f"{name}: {reason}" for name, reason in rejected]
        if report:
            st.session_state.flash = f"Indexed {len(report.embedded)} new document(s)."
        st.rerun()
    for message in st.session_state.pop("rejected", []):
        st.error(escape_markdown(message))
    if "flash" in st.session_state:
        st.success(escape_markdown(st.session_state.pop("flash")))

    st.header("Collection")
    st.caption(f"{len(rows)} documents")
    by_year: dict[int, int] = {}
    for r in rows:
        if r["year"]:
            by_year[r["year"]] = by_year.get(r["year"], 0) + 1
    if by_year:
        st.bar_chart({"documents": by_year}, x_label="year")
    st.dataframe(
        [{k: r[k] for k in ("authority", "year", "grade", "type")} for r in rows],
        hide_index=True, width="stretch",
    )

# From the top, Tab and Enter on the skip link land in the question box (qa.app.views.SKIP_TO_QUESTION_BOX);
# no "link to heading" anchor in the way.
st.html(SKIP_TO_QUESTION_BOX, unsafe_allow_javascript=True)
st.title("Inspection reports: cited answers", anchor=False)
st.caption("Answers are the reports' own words, quoted and cited. Nothing is paraphrased.")

for n, turn in enumerate(chat.turns):
    show_turn(svc, turn, n)
if problem:
    with st.chat_message("assistant"):
        st.warning(problem)
