"""How an answer is laid out on the chat page (Streamlit): quotes grouped by
document with one compact citation line each, the quote on its page, and the
record views (report card, table, timeline, comparison).

Everything from a document (quotes, titles, file names, grades) goes through
escape_markdown before it reaches Markdown, a table cell or a label; nothing
here uses unsafe_allow_html. The two scripts (SKIP_TO_QUESTION_BOX, SCROLLABLE_BY_KEYBOARD) are fixed
text that holds nothing from a document.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from qa.answer import page_view
from qa.answer.present import (
    GRADE_AXIS,
    by_document,
    chart_description,
    citation_line,
    display_date,
    escape_markdown,
    grade_points,
    group_records,
    highlighted_markdown,
    readable,
    record_source,
    record_table,
    report_heading,
)
from qa.answer.references import to_bibtex, to_csl_json, to_ris
from qa.records import Answer, PageHighlight, Passage, RecordRow

# One quote as a reference-manager entry (qa/answer/references.py), from its citation popover.
REFERENCE_FORMATS = (
    ("RIS", to_ris, "ris", "application/x-research-info-systems"),
    ("BibTeX", to_bibtex, "bib", "application/x-bibtex"),
    ("CSL-JSON", to_csl_json, "csl.json", "application/vnd.citationstyles.csl+json"),
)
# The drawer scrolls the page image; WCAG 2.1.1 wants a scrolling region reachable by the
# keyboard, and Streamlit's drawer is not: this fixed script (no document text in it) makes
# each scrolling box in the drawer focusable, so arrow keys scroll it.
# Streamlit's first focusable element is its "Skip to main content" link, which
# lands on the top of the main column: with answers on the page every quote's
# buttons come before the question box at the bottom. This makes the link land
# in the question box itself, so from the top it is Tab, Enter whatever the page
# holds (the sidebar's controls came first: 27 presses on the empty page).
SKIP_TO_QUESTION_BOX = """<script>
(() => {
  const doc = window.parent.document === document ? document : window.parent.document;
  const label = () => {
    const link = doc.querySelector('[data-testid="stSkipToContent"]');
    if (link && link.textContent !== "Skip to the question box") link.textContent = "Skip to the question box";
  };
  label();
  new MutationObserver(label).observe(doc.body, {childList: true, subtree: true});
  if (doc.qaSkipToQuestionBox) return;
  doc.qaSkipToQuestionBox = true;
  doc.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('[data-testid="stSkipToContent"]');
    const box = doc.querySelector('[data-testid="stChatInputTextArea"]');
    if (!link || !box) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    box.focus();
  }, true);
})();
</script>"""
# A box only scrolls once the page's image has loaded, which on a busy server
# comes seconds after the drawer opens: look again every quarter second for ten.
SCROLLABLE_BY_KEYBOARD = """<script>
(() => {
  let looks = 0;
  const timer = setInterval(() => {
    for (const el of document.querySelectorAll('[role="dialog"] *')) {
      const y = getComputedStyle(el).overflowY;
      if ((y === "auto" || y === "scroll") && el.scrollHeight > el.clientHeight && !el.hasAttribute("tabindex")) {
        el.tabIndex = 0;
        el.setAttribute("aria-label", "The report's page; scroll with the arrow keys");
      }
    }
    if (++looks >= 40) clearInterval(timer);
  }, 250);
})();
</script>"""
PAGE_SCALE = 1.6  # 115 dpi: the words under the highlight read easily at the drawer's width
PAGE_DIALOG_WIDTH = 760  # pixels; the drawer can be widened by dragging its edge


def source_file(svc, source: str) -> Path | None:
    """The document's file inside the collection folder, if it is there."""
    path = (svc.docs_dir / source).resolve()  # (docs_dir is resolved by the Service)
    return path if path.is_file() and path.is_relative_to(svc.docs_dir) else None


def download_button(
    label: str, make: Callable[[], bytes | str], file_name: str, mime: str | None = None, **kwargs
) -> None:
    """A download whose file is made when clicked (`make`), and a click that does not rerun the page.

    Streamlit drops a run's prepared files when the session reruns: under load
    the browser's fetch of a file prepared as bytes arrived after it was
    dropped (HTTP 404 in the load test), and a click that reruns the page can
    revoke the file it asked for before it is fetched.
    """
    st.download_button(label, make, file_name, mime, on_click="ignore", **kwargs)


# ---------------------------------------------------------------- the quote in its place


@st.cache_data(max_entries=64, show_spinner="Drawing the page…")
def page_png(path: str, page: int, rects: tuple[tuple[float, float, float, float], ...]) -> bytes:
    """The page with the quote's boxes drawn, as PNG; one render per (file, page, boxes)
    for the server process (a second look, from any session, is read from the cache)."""
    image = page_view.render_highlight(Path(path), PageHighlight(page, rects), scale=PAGE_SCALE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def page_words(p: Passage, h: PageHighlight) -> tuple[str, str]:
    """(caption, alt text) of a page shown with a quote highlighted on it."""
    pages = [x.page for x in p.highlight or ()]
    more = [n for n in pages if n != h.page]
    caption = f"Page {h.page}: the quote is highlighted in yellow" + (
        f" (it continues on page {more[0]})" if more and more[0] > h.page else
        f" (it starts on page {more[0]})" if more else "")
    quote = " ".join(p.quote.split())
    return caption, f"Page {h.page} of {p.title}, the lines of the quote highlighted: “{quote}”"


@st.dialog("The quote in its place", width=PAGE_DIALOG_WIDTH, position="right")
def context_dialog(svc, p: Passage, number: int | None) -> None:
    """Opened by a click (so pages are drawn only when asked for): a PDF quote on
    its page(s), anything else in its paragraph."""
    label = f"[{number}] " if number else ""
    st.caption(escape_markdown(f"{label}{p.citation}"))
    path = source_file(svc, p.source) if p.highlight else None
    if path:
        for h in p.highlight:
            caption, alt = page_words(p, h)
            st.image(page_png(str(path), h.page, h.rects), caption=escape_markdown(caption), alt=alt,
                     width="stretch", output_format="PNG")  # (not JPEG: crisp letters, exact colours)
        st.html(SCROLLABLE_BY_KEYBOARD, unsafe_allow_javascript=True)
        return
    if p.highlight:
        st.caption(escape_markdown(f"The file {p.source} is not in the collection folder: shown in its paragraph."))
    doc = svc.document(p.doc_id)
    st.markdown(highlighted_markdown(doc, p) if doc else escape_markdown(p.quote))


# ---------------------------------------------------------------- quotes, grouped by document


def document_header(svc, p: Passage, *, key: str) -> None:
    """The document once, above its quotes: title, publisher and date, and its source."""
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(f"**{escape_markdown(p.title)}**", width="content")
        st.caption(escape_markdown(" · ".join(x for x in (p.publisher, display_date(p.date)) if x)),
                   width="content")
        if p.link and p.link.startswith("https://"):
            st.link_button("Open source", p.link, type="tertiary", icon=":material/open_in_new:")
        elif path := source_file(svc, p.source):
            download_button("Source file", path.read_bytes, path.name, key=key, type="tertiary",
                            icon=":material/download:")
        else:
            st.caption(escape_markdown(f"File: {p.source}"), width="content")


def quote_item(svc, p: Passage, *, number: int | None, key: str) -> None:
    """The quote, then one line: where it stands, a copy of its citation, its page."""
    with st.container(key=key, gap="xsmall"):
        st.markdown((f"**\\[{number}\\]** " if number else "") + escape_markdown(p.quote))
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(escape_markdown(citation_line(p)), width="content")
            with st.popover("Copy citation", type="tertiary", icon=":material/content_copy:"):
                st.code(p.citation, language=None, wrap_lines=True)
                st.caption("The button at the box's top right copies it. For a reference manager:")
                with st.container(horizontal=True, gap="small"):
                    for label, make, suffix, mime in REFERENCE_FORMATS:
                        download_button(label, lambda make=make: make(p), f"quote-{p.rank}.{suffix}", mime,
                                        key=f"{key}-{suffix}", type="tertiary")
            on_page = bool(p.highlight)
            if st.button("Show on page" if on_page else "Show in paragraph", key=f"{key}-ctx", type="tertiary",
                         icon=":material/find_in_page:" if on_page else ":material/subject:"):
                context_dialog(svc, p, number)


def quote_groups(svc, passages, *, key: str, numbered: bool = True) -> None:
    """One bordered card per document, its quotes under it in the answer's order."""
    for g, group in enumerate(by_document(passages)):
        with st.container(border=True, gap="small"):
            document_header(svc, group[0], key=f"{key}-doc-{g}")
            for i, p in enumerate(group):
                quote_item(svc, p, number=p.rank if numbered else None,
                           key=f"{key}-q-{p.rank}" if numbered else f"{key}-c-{g}-{i}")


# ---------------------------------------------------------------- answers from reports' records


def _cells(rows: list[dict]) -> list[dict]:
    """st.table renders Markdown in its cells: every cell escaped."""
    return [{k: escape_markdown(str(v)) for k, v in row.items()} for row in rows]


def _quote_list(rows: list[RecordRow]) -> str:
    """A numbered Markdown list of the rows' quotes, each with its [n]."""
    return "\n".join(f"{i}. {escape_markdown(r.quote or r.finding)} {escape_markdown(record_source(r))}"
                     for i, r in enumerate(rows, 1))


def report_card(answer: Answer) -> None:
    for rows in group_records(answer.records, lambda r: r.report_id):
        st.subheader(escape_markdown(report_heading(rows[0])))
        judgements = [r for r in rows if r.row == "judgement"]
        if judgements:
            st.table(_cells([{"Area": r.label, "Grade": readable(r.finding), "Source": record_source(r)}
                             for r in judgements]), hide_index=True)
        for row, heading in (("improvement", "What needs to improve"), ("finding", "Findings")):
            items = [r for r in rows if r.row == row]
            if items:
                st.markdown(f"**{heading}**")
                st.markdown(_quote_list(items))


def records_table(answer: Answer) -> None:
    st.table(_cells(record_table(answer.records)), hide_index=True)


def grade_chart(records) -> None:
    """Grade over time, one line per area (and authority); its data is the table under it."""
    import altair as alt
    import pandas as pd

    points = grade_points(records)
    if not points:
        return
    description = chart_description(points)
    authorities = list(dict.fromkeys(p["authority"] for p in points))
    title = "Grade by report date" + (f": {authorities[0]}" if len(authorities) == 1 else "")
    names = " : ".join(f"datum.value == {score} ? '{name}'" for score, name in GRADE_AXIS.items()) + " : ''"
    chart = (
        alt.Chart(pd.DataFrame(points), title=title, description=description)
        .mark_line(point=alt.OverlayMarkDef(size=80))
        .encode(
            x=alt.X("date:T", title="Report published", axis=alt.Axis(format="%Y", tickCount="year")),
            y=alt.Y("score:Q", title="Grade", scale=alt.Scale(domain=[0.5, 4.5]),
                    axis=alt.Axis(values=sorted(GRADE_AXIS), labelExpr=names, labelLimit=240)),
            color=alt.Color("series:N", title="Judgement"),
            tooltip=[alt.Tooltip("authority:N", title="Authority"), alt.Tooltip("area:N", title="Area"),
                     alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("date:T", title="Published")],
        )
    )
    st.altair_chart(chart, width="stretch")  # its description is the accessible name
    st.caption("The table below holds the chart's data, with the words that state each grade.")


def timeline(answer: Answer) -> None:
    grade_chart(answer.records)
    records_table(answer)


def comparison(answer: Answer, *, per_row: int = 4) -> None:
    """One column per authority: its judgements' grades, then its findings' quotes."""
    authorities = group_records(answer.records, lambda r: r.authority)
    for start in range(0, len(authorities), per_row):
        columns = st.columns(per_row if len(authorities) > per_row else len(authorities), border=True)
        for column, rows in zip(columns, authorities[start:start + per_row], strict=False):
            with column:
                st.markdown(f"**{escape_markdown(rows[0].authority)}**")
                for report in group_records(rows, lambda r: r.report_id):
                    first = report[0]
                    st.caption(escape_markdown(", ".join(x for x in (readable(first.report_kind),
                                                                     display_date(first.report_date)) if x)))
                    grades = [r for r in report if r.row == "judgement"]
                    if grades:
                        st.markdown("\n".join(
                            f"- {escape_markdown(r.label)}: **{escape_markdown(readable(r.finding))}** "
                            f"{escape_markdown(record_source(r))}" for r in grades))
                    quotes = [r for r in report if r.row != "judgement"]
                    if quotes:
                        st.markdown(_quote_list(quotes))


RECORD_VIEWS: dict[str, Callable[[Answer], None]] = {
    "report_card": report_card, "table": records_table, "timeline": timeline, "comparison": comparison,
}


# ---------------------------------------------------------------- a whole answer


def show_answer(svc, a: Answer, *, key: str) -> None:
    """An answer: its notes; then its records' view, if it has one, and its quotes; or why not."""
    for note in a.notes:
        st.caption(escape_markdown(note))
    if not a.answered:
        st.info(a.reason or a.text)
        if a.closest:
            st.markdown("**Related passages — not a direct answer**" if a.verdict == "related"
                        else "**Closest passages — not an answer**")
            quote_groups(svc, a.closest, key=f"{key}-closest", numbered=False)
        return
    view = RECORD_VIEWS.get(a.view) if a.records else None
    if view:
        view(a)
        if a.citations:
            st.markdown("**Quotes cited**")
    quote_groups(svc, a.citations, key=key)


def show_turn(svc, turn, n: int) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn.asked))
    with st.chat_message("assistant"):
        if turn.understood != turn.asked:
            st.caption(escape_markdown(f"Understood as: {turn.understood}"))
        show_answer(svc, turn.answer, key=f"src-{n}")
