"""Showing quotes safely: escaped Markdown, the quote in its paragraph.

Document text is data, never markup: every character Markdown or HTML
could act on is escaped, so a document carrying links, images or script
renders as the literal text it holds.
"""
from __future__ import annotations

import re

from qa.records import Document, Passage

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$<&])")


_AUTOLINK = re.compile(r"(?i)(?<=\\:)(?=//)|(?<=www)(?=\\\.)|(?=@)")
_NO_BREAK = "\u200b"  # zero-width space: invisible, but no web address or e-mail is recognised


def escape_markdown(text: str) -> str:
    """Text that Streamlit's Markdown shows literally (no links, images, HTML, LaTeX).

    Escaping covers Markdown syntax; GitHub-style Markdown also turns bare
    addresses ("http://…", "www.…", "name@host") into links, so a zero-width
    space is put inside them. This is display only: quotes, citations and
    exports keep the stored text.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(_NO_BREAK, text)
    return re.sub(r"\s+", " ", text).strip()


def paragraph_around(doc: Document, start: int, end: int) -> tuple[str, str, str]:
    """(before, quote, after): the quote inside the paragraph that holds it."""
    block = next((b for b in doc.blocks if b.start <= start < b.end), None)
    lo, hi = (block.start, max(block.end, end)) if block else (max(0, start - 300), min(len(doc.text), end + 300))
    return doc.text[lo:start], doc.text[start:end], doc.text[end:hi]


def highlighted_markdown(doc: Document, passage: Passage) -> str:
    """The paragraph as escaped Markdown with the quote highlighted."""
    before, quote, after = paragraph_around(doc, passage.start, passage.end)
    return f"{escape_markdown(before)} :orange-background[**{escape_markdown(quote)}**] {escape_markdown(after)}"


def collection_rows(documents: list[Document]) -> list[dict]:
    """One row per document, for the overview table and charts."""
    from qa.search.filters import document_year

    return [
        {
            "authority": d.places[0] if d.places else "",
            "region": d.meta.get("region", ""),
            "year": document_year(d),
            "grade": d.meta.get("overall_effectiveness", ""),
            "type": d.kind,
            "title": d.title,
            "source": d.source,
        }
        for d in documents
    ]
