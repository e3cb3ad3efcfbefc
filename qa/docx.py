"""Word .docx files to stored text: one block per paragraph, labelled by style.

Word styles say what a paragraph is ("Title", "Heading 2"), so they are
trusted first; unstyled short lines without sentence punctuation are headings,
as in plain-text articles. Table cells follow the body, one block each.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime

import docx
from docx.document import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.table import Table
from docx.text.paragraph import Paragraph

from .article import CAPTION_MAX_WORDS
from .clean import clean_text
from .errors import UnsupportedDocument
from .records import Block, Parsed

_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")
_BLANK_LINES = re.compile(r"\n\s*\n")
# python-docx's own template carries this timestamp: not the document's date.
_TEMPLATE_DATE = datetime(2013, 12, 23, 23, 15)


def parse_docx(data: bytes, name: str) -> Parsed:
    """Paragraphs, then table cells, of a .docx, with its title, date and author."""
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; re-save the document from Word.")
    try:
        document = docx.Document(io.BytesIO(data))
        body = [(_clean(p.text), _style(p)) for p in document.paragraphs]
        cells = [(_clean(p.text), "") for table in document.tables for p in _cell_paragraphs(table)]
        props = _core_properties(document)
    except Exception:  # zipfile, lxml, python-docx errors: the user needs to know what the file is instead
        raise UnsupportedDocument(f"{name}: {_why_not_docx(data)}") from None
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    has_title_style = any(style == "Title" and t for t, style in body)
    title_done = False
    for i, (t, style) in enumerate([*body, *cells]):
        if not t:
            continue
        if i >= len(body):
            kind = "body"  # a table cell: its words are data worth quoting, however short
        elif not title_done and (style == "Title" or not has_title_style):
            kind, title_done = "title", True
        else:
            kind = _kind(t, style)
        pos += 2 if parts else 0  # the "\n\n" between paragraphs
        blocks.append(Block(pos, pos + len(t), kind))
        parts.append(t)
        pos += len(t)
    if not blocks:
        raise UnsupportedDocument(f"{name}: the document has no text; add text or remove it.")
    text = "\n\n".join(parts)
    styled = next((text[b.start : b.end] for b in blocks if b.kind == "title"), text[blocks[0].start : blocks[0].end])
    title = " ".join((styled if has_title_style else props.get("title") or styled).split())
    meta = {"author": props["author"]} if props.get("author") else {}
    return Parsed(text=text, blocks=tuple(blocks), title=title, kind="article", date=props.get("date"), meta=meta)


def _why_not_docx(data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: Word 97-2003, or a password-protected .docx
        return "an old Word .doc file or a password-protected document; open it in Word and save it as .docx."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            is_word = "word/document.xml" in z.namelist()
    except Exception:
        return "not a valid Word .docx file (damaged, or another format renamed); re-save it from Word as .docx."
    if not is_word:
        return "a zip archive but not a Word document; re-save it from Word as .docx."
    return "a damaged Word .docx file; open it in Word, let Word repair it and save it again."


def _clean(text: str) -> str:
    """One paragraph: control characters gone, no blank line inside (blank lines separate blocks)."""
    return _BLANK_LINES.sub("\n", clean_text(text)).strip()


def _style(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "") if style is not None else ""


def _kind(text: str, style: str) -> str:
    if style == "Title" or style == "Subtitle" or style.startswith("Heading"):
        return "heading"
    if not _SENTENCE_END.search(text) and len(text.split()) < CAPTION_MAX_WORDS:
        return "heading"
    return "body"


def _cell_paragraphs(table: Table) -> Iterator[Paragraph]:
    """Each cell once (merged cells repeat across the grid), nested tables included."""
    seen: set[object] = set()  # the <w:tc> elements themselves: holding them keeps lxml's proxies stable
    for row in table.rows:
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            yield from cell.paragraphs
            for inner in cell.tables:
                yield from _cell_paragraphs(inner)


def _core_properties(document: WordDocument) -> dict[str, str]:
    """Title, ISO date and author, only when the file has core properties: python-docx
    invents "Word Document" and today's date for a file without them."""
    package = document.part.package
    if not any(rel.reltype == RELATIONSHIP_TYPE.CORE_PROPERTIES for rel in package.rels.values()):
        return {}
    props = document.core_properties
    out = {"title": " ".join((props.title or "").split()), "author": " ".join((props.author or "").split())}
    for when in (props.created, props.modified):
        if when is not None and when.replace(tzinfo=None) != _TEMPLATE_DATE:
            out["date"] = when.date().isoformat()
            break
    return {k: v for k, v in out.items() if v}
