"""Streamlit page: ask a question, read the answer in the reports' own words.

All logic lives in qa/; this file only lays out the page. Document text is
always shown as text (st.text / escaped Markdown), never as HTML.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from qa.answer import ask
from qa.errors import QAError
from qa.service import open_retriever

INDEX_DIR = Path(os.environ.get("QA_INDEX", "index"))
DOCS_DIR = Path(os.environ.get("QA_DOCS", "seeds"))

st.set_page_config(page_title="Inspection reports: cited answers", page_icon="📑")


@st.cache_resource(show_spinner="Loading the model and the index (first start only)…")
def retriever():
    return open_retriever(INDEX_DIR, DOCS_DIR)[0]


def quote_block(text: str) -> None:
    st.text(" ".join(text.split()))


st.title("Inspection reports: cited answers")
st.caption("Answers are the reports' own words, quoted and cited. Nothing is paraphrased.")

try:
    r = retriever()
except QAError as e:
    st.error(str(e))
    st.stop()

question = st.text_input("Your question", placeholder="What did inspectors say about supervision in Rotherham?")
if question:
    try:
        answer = ask(r, question)
    except QAError as e:
        st.warning(str(e))
        st.stop()
    if answer.answered:
        for p in answer.citations:
            with st.container(border=True):
                quote_block(p.quote)
                st.caption(f"[{p.rank}] {p.citation}")
    else:
        st.info(answer.reason)
        if answer.closest:
            st.subheader("Closest passages (not an answer)")
            for p in answer.closest:
                with st.container(border=True):
                    quote_block(p.quote)
                    st.caption(p.citation)
