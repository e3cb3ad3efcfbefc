"""Word .docx files to stored text: one block per paragraph, labelled by style.

Word styles say what a paragraph is ("Title", "Heading 2"), so they are
trusted first; unstyled short lines without sentence punctuation are headings,
as in plain-text articles. Table cells follow the body, one block each.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.table import Table
from docx.text.paragraph import Paragraph

from qa.errors import UnsupportedDocument
from qa.records import Block, Parsed

from .article import CAPTION_MAX_WORDS
from .clean import clean_text

_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")
_BLANK_LINES = re.compile(r"\n\s*\n")
# python-docx's own template carries this timestamp: not the document's date.
_TEMPLATE_DATE = datetime(2013, 12, 23, 23, 15)
# Limits on what a .docx unpacks to, checked before python-docx reads every
# part into memory and parses the XML ones (a zip bomb is a few KB that unpack
# to gigabytes). Parsed XML takes about 11 times its size in memory (measured:
# 20 MB of paragraphs, 230 MB), so 100 MB of XML stays near 1.2 GB; Word
# writes a few MB of XML for the longest real report (0.15 MB of text).
# Pictures are only held, and barely compress, so they count in the total.
MAX_UNPACKED_XML_BYTES = 100 * 1024 * 1024
MAX_UNPACKED_BYTES = 300 * 1024 * 1024


def parse_docx(data: bytes, name: str) -> Parsed:
    """Paragraphs, then table cells, of a .docx, with its title, date and author."""
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; re-save the document from Word.")
    _check_unpacked_size(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
        style_of = _paragraph_styles(document)
        body = [(_clean(p.text), style_of(p)) for p in document.paragraphs]
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


def _paragraph_styles(document: WordDocument) -> Callable[[Paragraph], str]:
    """The style name of a paragraph, from a table of the document's styles.

    python-docx's `paragraph.style` scans every style of the document for the
    default on each unstyled paragraph: a 20 MB document took minutes. This
    resolves style ids the same way (unknown or non-paragraph ids mean the
    default paragraph style) from one pass over the styles.
    """
    styles = document.styles
    names = {s.style_id: s.name or "" for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name or "") if default is not None else ""

    def style_of(paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        return names.get(style_id, default_name) if style_id is not None else default_name

    return style_of


def _check_unpacked_size(data: bytes, name: str) -> None:
    """Refuse a .docx that unpacks past the limits. The sizes a zip declares
    bound what zipfile unpacks, so checking them is enough."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sizes = [(info.filename, info.file_size) for info in z.infolist()]
    except Exception:
        return  # not a readable zip: python-docx fails next and the message says what the file is
    # python-docx parses a part by its declared content type, not its name, so
    # everything but the pictures folder counts as markup it may parse.
    xml = sum(size for part, size in sizes if not part.startswith("word/media/"))
    total = sum(size for _, size in sizes)
    if xml > MAX_UNPACKED_XML_BYTES or total > MAX_UNPACKED_BYTES:
        raise UnsupportedDocument(
            f"{name}: the document unpacks to {total / 2**20:,.0f} MB ({xml / 2**20:,.0f} MB of it text and markup), "
            f"over the limits of {MAX_UNPACKED_BYTES // 2**20} MB and {MAX_UNPACKED_XML_BYTES // 2**20} MB "
            "(a damaged file or a zip bomb); open it in Word and save it again, or split it."
        )


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
