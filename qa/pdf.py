"""Ofsted-style PDF reports to stored text: page map, no page furniture,
paragraphs joined, numbered paragraphs recorded.

pypdfium2 (PDFium; Apache-2.0/BSD) reads the text: it is fast and
permissively licensed, where PyMuPDF's AGPL would bind the whole product.
Running headers, footers and page numbers are found by repetition across
pages (digits folded, so "Page 2" and "Page 3" repeat), never by a fixed string.
"""
from __future__ import annotations

import re
from collections import Counter

import pypdfium2 as pdfium

from .article import find_date
from .errors import UnsupportedDocument
from .records import Block, Parsed

_BULLET_CHARS = "•◼▪■●◦‣∙·–"
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # symbol-font bullets
_BULLET = re.compile(rf"^[{_BULLET_CHARS}]\s*")
_NUMBERED = re.compile(r"^(\d{1,3})\.\s*(?=[A-Z‘'\"“(])")
_SENTENCE_END = re.compile(r"""[.!?…:;]["'”’)\]]*$""")
_SOFT_HYPHEN = "\ufffe"  # PDFium's mark for a hyphen at a line break
_WORD = re.compile(r"[A-Za-z]+")
EDGE_LINES = 3  # lines at the top and bottom of a page that may be furniture


def parse_pdf(data: bytes, name: str) -> Parsed:
    pages = _page_texts(data, name)
    lines_per_page = [[ln.rstrip() for ln in p.replace("\r\n", "\n").replace("\r", "\n").split("\n")] for p in pages]
    lines_per_page = [[_PRIVATE_USE.sub("•", ln) for ln in lines if ln.strip()] for lines in lines_per_page]
    furniture = _furniture(lines_per_page)
    kept = [[ln for ln in lines if _key(ln) not in furniture] for lines in lines_per_page]
    if sum(len(lines) for lines in kept) == 0:
        raise UnsupportedDocument(
            f"{name}: the PDF has no text layer (scanned images only); run OCR on it or index a text version."
        )
    words = (w.lower() for lines in kept for ln in lines for w in _WORD.findall(ln.replace(_SOFT_HYPHEN, " ")))
    vocabulary = Counter(words)
    text, blocks, page_starts = _assemble(kept, vocabulary)
    title = _title(lines_per_page, furniture) or text[blocks[0].start : blocks[0].end]
    meta = _metadata(lines_per_page[0] if lines_per_page else [])
    date = find_date(meta.get("published", "")) or _last_date(meta.get("inspection_dates", ""))
    return Parsed(
        text=text, blocks=tuple(blocks), title=title, kind="report", date=date, publisher="Ofsted",
        page_starts=tuple(page_starts), meta=meta,
    )


def _page_texts(data: bytes, name: str) -> list[str]:
    head = data[:1024].lstrip().lower()
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; download the report again.")
    if head.startswith((b"<!doctype html", b"<html")):
        raise UnsupportedDocument(
            f"{name}: not a PDF but a web page saved under a .pdf name; download the report again."
        )
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise UnsupportedDocument(f"{name}: the PDF is encrypted; ask for an unprotected copy.") from None
        raise UnsupportedDocument(f"{name}: damaged or truncated PDF ({e}); download it again.") from None
    try:
        texts = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    except pdfium.PdfiumError as e:
        raise UnsupportedDocument(f"{name}: damaged PDF, a page could not be read ({e}).") from None
    finally:
        pdf.close()


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip().lower()))


def _furniture(pages: list[list[str]]) -> set[str]:
    """Lines repeated at the top or bottom of most pages (digits folded)."""
    if len(pages) < 3:
        return {k for lines in pages for k in map(_key, lines) if re.fullmatch(r"(page )?#( of #)?", k)}
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
        counts.update(set(map(_key, edge)))
    threshold = max(2, len(pages) // 2)
    furniture = {k for k, n in counts.items() if n >= threshold}
    furniture |= {k for k in counts if re.fullmatch(r"(page )?#( of #)?", k)}
    return furniture


def _assemble(pages: list[list[str]], vocabulary: Counter[str]) -> tuple[str, list[Block], list[int]]:
    """Join lines into paragraphs; returns text, blocks and page start offsets."""
    lengths = sorted(len(ln) for lines in pages for ln in lines)
    full = lengths[int(len(lengths) * 0.8)] if lengths else 80
    text = ""
    spans: list[tuple[int, int | None]] = []  # (start, paragraph number) per block
    page_starts: list[int] = []
    prev: str | None = None
    for lines in pages:
        page_starts.append(len(text))
        first_on_page = True
        for raw in lines:
            line = raw.strip()
            if prev is None or _starts_block(line, prev, full):
                text += "\n\n" if text else ""
                m = _NUMBERED.match(line)
                spans.append((len(text), int(m.group(1)) if m else None))
            else:
                text = _join(text, line, vocabulary)
            if first_on_page:  # the page begins where its first line lands
                page_starts[-1], first_on_page = len(text), False
            text += line
            prev = line
    text = text.replace(_SOFT_HYPHEN, "-")
    ends = [s for s, _ in spans[1:]] + [len(text)]
    blocks = [_block(text, s, _rstrip_end(text, s, e), n) for (s, n), e in zip(spans, ends, strict=True)]
    return text, blocks, page_starts


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _starts_block(line: str, prev: str, full: int) -> bool:
    if _NUMBERED.match(line) or _BULLET.match(line):
        return True
    prev_ends = bool(_SENTENCE_END.search(prev))
    if prev_ends and len(prev) < 0.85 * full:
        return True  # the previous line ended a paragraph short of the margin
    if not prev_ends and len(prev) < 0.6 * full and line[:1].isupper():
        return True  # the previous line was a heading or a table cell
    return False


def _join(text: str, line: str, vocabulary: Counter[str]) -> str:
    """The text so far, ready for `line` to continue its paragraph.

    A hyphen at the line end is dropped only when the joined word is a word
    the document uses elsewhere ("assess-" + "ment"); compounds keep it.
    """
    m = re.search(r"([A-Za-z]+)[-\ufffe]$", text[-64:])  # the tail only: text grows with the document
    n = re.match(r"[a-z]+", line)
    if m and n:
        if vocabulary[(m.group(1) + n.group(0)).lower()] > 0:
            return text[:-1]
        return text[:-1] + "-"
    return text + " "


def _block(text: str, start: int, end: int, number: int | None) -> Block:
    """A paragraph: numbered paragraphs start after their number."""
    body = text[start:end]
    if number is not None:
        m = _NUMBERED.match(body)
        start += m.end() if m else 0
    elif _BULLET.match(body):
        start += _BULLET.match(body).end()
    piece = text[start:end]
    words = len(piece.split())
    ends_sentence = bool(re.search(r"""[.!…]["'”’)\]]*$""", piece))
    kind = "body" if ends_sentence or words >= 15 else "heading"
    return Block(start, end, kind, number)


def _title(pages: list[list[str]], furniture: set[str]) -> str | None:
    """The running header naming the report, else the first lines of page 1."""
    for lines in pages[1:3]:
        for line in lines[:EDGE_LINES]:
            if _key(line) in furniture and line.strip().lower().startswith("inspection of"):
                return line.strip()
    first: list[str] = []
    for line in pages[0] if pages else []:
        if re.match(r"(inspection dates?|report published|lead inspector)\b", line.strip(), re.I) or len(first) == 4:
            break
        if not re.fullmatch(r"\d+", line.strip()):
            first.append(line.strip())
    return " ".join(first) or None


_META = {
    "inspection_dates": re.compile(r"Inspection dates?:\s*(.+)", re.I),
    "lead_inspector": re.compile(r"Lead inspector:\s*([^,\n]+)", re.I),
    "published": re.compile(r"Report published:\s*(.+)", re.I),
    "overall_effectiveness": re.compile(
        r"Overall effectiveness:?\s+(Outstanding|Good|Requires improvement(?: to be good)?|Inadequate)\b", re.I
    ),
}


def _metadata(first_page: list[str]) -> dict[str, str]:
    """Dates, lead inspector and overall grade from the first page's lines."""
    head = "\n".join(first_page)
    meta = {}
    for key, rx in _META.items():
        m = rx.search(head)
        if m:
            meta[key] = re.sub(r"\s+", " ", m.group(1)).strip()
    if "overall_effectiveness" not in meta:
        m = re.search(
            r"overall judgement is that children[’']s services (?:are )?(outstanding|good|requires improvement"
            r"(?: to be good)?|inadequate)", head, re.I,
        )
        if m:
            meta["overall_effectiveness"] = m.group(1).strip()
    return meta


def _last_date(dates: str) -> str | None:
    """ISO date of the last day of an inspection ("27 June to 1 July 2022")."""
    parts = re.split(r"\s+(?:to|–|-)\s+", dates)
    return find_date(parts[-1]) if parts and parts[-1] else None
