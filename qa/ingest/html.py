"""Saved news web pages to stored text: the article as a reader sees it.

trafilatura finds the main text (scripts, styles, menus and footers go), so
the stored text is plain text, one paragraph per block, headline first.
Leftover furniture ("Read More" and the linked headline after it) is only
labelled by qa.article, as for plain-text articles. Any failure of the HTML
stack, including RecursionError on absurdly nested markup, becomes
UnsupportedDocument so one bad page never stops a build; a page whose text
lies deeper than libxml2's 256 levels is refused saying so.
"""

from __future__ import annotations

import codecs
import re
from html import unescape

import lxml.html
import trafilatura

from qa.errors import UnsupportedDocument
from qa.records import Parsed

from .article import classify_blocks, find_date, find_publisher, line_blocks
from .clean import clean_text

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
_TITLE_TAG = re.compile(r"<title[^>]{0,200}>(.{0,2000}?)</title\s*>", re.I | re.S)
_TAG = re.compile(r"<[A-Za-z!/]")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
_ISO_DATE = re.compile(r"^(?:19|20)\d\d-\d\d-\d\d$")
_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")
_MAX_DEPTH = 256  # libxml2's limit on nested elements without XML_PARSE_HUGE
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+")
# As browsers do (WHATWG): "latin-1" and "ascii" pages are really Windows-1252,
# and a UTF-16/UTF-7 label inside ASCII-readable markup is wrong, so UTF-8.
_AS_CP1252 = {"iso8859-1", "ascii", "latin-1"}
_AS_UTF8 = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-7"}
# htmldate's extensive search turns a footer's "© 2021" into 2021-01-01: only
# dates in the markup (meta tags, <time>, JSON-LD, URL) are trusted from it.
_DATE_PARAMS = {"original_date": True, "extensive_search": False}


def parse_html(data: bytes, name: str) -> Parsed:
    """The main text of a web page with its headline, date and publisher."""
    page = _decode(data, name)
    try:
        doc = _extract(page)
    except Exception as e:  # lxml, htmldate or trafilatura internals; RecursionError on deep nesting
        raise UnsupportedDocument(
            f"{name}: the web page could not be read ({type(e).__name__}); "
            "save it again from the browser, or copy the article text into a .txt file."
        ) from None
    paragraphs = [" ".join(line.split()) for line in clean_text((doc.text or "") if doc else "").split("\n")]
    paragraphs = [p for p in paragraphs if p]
    raw_title = _title_tag(page)
    title = " ".join(clean_text(doc.title if doc and doc.title else raw_title).split())
    if paragraphs and title and _same(paragraphs[0], title):
        paragraphs.pop(0)
    elif paragraphs and title and not _SENTENCE_END.search(paragraphs[0]) and _norm(paragraphs[0]) in _norm(title):
        title = paragraphs.pop(0)  # the headline as printed, without the site name of <title>
    if not title and paragraphs:
        title = paragraphs.pop(0)
    if not paragraphs and _too_deep(page):
        raise UnsupportedDocument(
            f"{name}: the web page's markup is nested more than {_MAX_DEPTH} elements deep, past what the HTML "
            "reader follows, so its text is lost; save the article page again, or copy its text into a .txt file."
        )
    if not paragraphs:
        raise UnsupportedDocument(
            f"{name}: no article text found in this web page (it is empty, or only scripts or navigation); "
            "save the article page itself, or copy its text into a .txt file."
        )
    text = "\n\n".join([title, *paragraphs])
    blocks = classify_blocks(text, line_blocks(text))
    head_end = blocks[min(len(blocks), 6) - 1].end
    date = doc.date if doc and doc.date and _ISO_DATE.match(doc.date) else None
    date = date or _dateline(page, title, paragraphs[0]) or find_date(text[:head_end])
    publisher = (doc.sitename if doc else None) or _title_suffix(raw_title, title) or find_publisher(text, blocks)
    meta = {k: " ".join(v.split()) for k in ("author", "url") if doc and isinstance(v := getattr(doc, k), str) and v}
    return Parsed(
        text=text, blocks=tuple(blocks), title=title, kind="article", date=date, publisher=publisher, meta=meta
    )


def _decode(data: bytes, name: str) -> str:
    """Bytes to markup: BOM, else the declared charset, else UTF-8, else Windows-1252."""
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; save the web page again from the browser.")
    if data.startswith(codecs.BOM_UTF8):
        page = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        page = data.decode("utf-16", errors="replace")
    else:
        page = _decode_declared(data)
    sample = page[:20000]
    if not sample.strip() or len(_BINARY.findall(sample)) > 0.02 * len(sample):
        raise UnsupportedDocument(
            f"{name}: this is not a web page (binary content under an .html name); save the page again or remove it."
        )
    return page


def _decode_declared(data: bytes) -> str:
    m = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.search(data[:1024])
    candidates = ["utf-8"]
    if m:
        try:
            label = codecs.lookup(m.group(1).decode("ascii")).name.replace("_", "-")
            candidates.insert(0, "cp1252" if label in _AS_CP1252 else "utf-8" if label in _AS_UTF8 else label)
        except (LookupError, UnicodeError):
            pass
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeError, LookupError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def _extract(page: str) -> trafilatura.settings.Document | None:
    """trafilatura's main text and metadata; bare fragments are retried inside a page,
    since trafilatura rejects markup without <html> that has a single top element."""
    doc = trafilatura.bare_extraction(
        page, include_comments=False, with_metadata=True, date_extraction_params=_DATE_PARAMS
    )
    if (doc is None or not (doc.text or "").strip()) and _TAG.search(page) and "<body" not in page.lower():
        wrapped = f"<html><body><div>{page}</div></body></html>"
        doc = trafilatura.bare_extraction(
            wrapped, include_comments=False, with_metadata=True, date_extraction_params=_DATE_PARAMS
        )
    return doc


def _too_deep(page: str) -> bool:
    """Whether libxml2 (under lxml and trafilatura) stopped reading the page at its depth limit."""
    parser = lxml.html.HTMLParser()
    try:
        lxml.html.document_fromstring(page, parser=parser)
    except Exception:  # lxml refuses some pages outright (empty after parsing); that is not depth
        pass
    return any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message.lower() for e in parser.error_log)


def _title_tag(page: str) -> str:
    m = _TITLE_TAG.search(page[:200000])
    return " ".join(unescape(m.group(1)).split()) if m else ""


def _title_suffix(raw_title: str, title: str) -> str | None:
    """A <title> of "Headline | Community Care" names the site after the headline."""
    parts = _TITLE_SEPARATORS.split(raw_title)
    if len(parts) > 1 and _same(parts[0], title) and 0 < len(parts[-1].split()) <= 6:
        return parts[-1].strip()
    return None


def _dateline(page: str, title: str, first_paragraph: str) -> str | None:
    """A date printed between the headline and the first paragraph ("Posted on 3 October 2017"),
    which trafilatura leaves out of the main text; never the site header's "today"."""
    try:
        visible = " ".join(trafilatura.html2txt(page).split())
    except Exception:  # the main text is already in hand; the date is optional
        return None
    end = visible.find(first_paragraph[:60])
    start = visible.rfind(title, 0, max(end, 0))
    if end < 0 or start < 0:
        return None
    return find_date(visible[start + len(title) : end])


def _norm(s: str) -> str:
    return " ".join(s.replace("’", "'").replace("‘", "'").casefold().split())


def _same(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)
