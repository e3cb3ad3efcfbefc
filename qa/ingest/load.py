"""Loading files into Documents: dispatch by file type, ids, places.

Each loader returns the stored text and what it can tell about the document;
this module adds the id, content hash and places common to all types.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

from qa.errors import UnsupportedDocument
from qa.records import Document, Parsed

from .article import parse_article
from .clean import clean_text, decode_text, looks_like_text
from .gazetteer import Gazetteer, load_gazetteer
from .manifest import metadata_from_row
from .report_record import ReportRecord, read_record

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
# Any file: a PDF of scanned pages can be large without much text in it.
MAX_FILE_BYTES = 100 * 1024 * 1024
# Text and web pages: their bytes are (mostly) text to embed, so the limit is
# set by indexing time, not memory. The longest of the 445 real Ofsted reports
# in the shared corpus has 0.15 MB of text and all of them together 24 MB,
# which took 744 s to embed on 2 CPU cores (docs/measurements.md): about 2 MB a
# minute. So 10 MB (some 70 long reports in one file) holds a build for about
# five minutes, while a 50 MB dump would hold it for half an hour or more, and
# is almost surely a mistake. Checked from the file's size, before reading it.
MAX_TEXT_FILE_BYTES = 10 * 1024 * 1024
# The same bound on the text any loader extracts (a PDF or Word file can hold
# that much text in fewer bytes).
MAX_TEXT_CHARS = 10_000_000


def doc_id_for(relative_path: str) -> str:
    """A stable id without white space (TREC run files split on it)."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", relative_path).replace("'", "").replace("’", "")
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^\w/.-]+", "-", stem, flags=re.UNICODE)).strip("-")
    return slug or hashlib.sha1(relative_path.encode()).hexdigest()[:12]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Files that describe a collection rather than belong to it.
_COLLECTION_NOTES = re.compile(r"^(readme|licen[cs]e|copying|attribution)(\.\w+)?$", re.I)


def discover(folder: Path, *, left_out: list[tuple[str, str]] | None = None) -> list[Path]:
    """Every regular file under `folder`, in a stable order; hidden files and
    collection notes (README, LICENCE) skipped.

    A path that is not valid UTF-8 (bytes from another system's encoding) is
    left out: it cannot be hashed, stored in the index or printed as text.
    When `left_out` is given, each such file is added to it as (printable
    name, reason) for the build report.
    """
    files = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or _COLLECTION_NOTES.match(p.name):
            continue
        if not p.is_file():
            continue  # folders, broken links, pipes and devices (reading a pipe would wait for ever)
        name = rel.as_posix()
        if not _is_utf8(name):
            if left_out is not None:
                left_out.append((printable_name(name), "the file name is not valid UTF-8 text; rename the file."))
            continue
        files.append(p)
    return files


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # surrogate escapes: file-system bytes that are not UTF-8
        return False
    return True


def printable_name(name: str) -> str:
    """A file name as text that can be printed or stored: undecodable bytes become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_document(
    path: Path, root: Path, *, gazetteer: Gazetteer | None = None, manifest_row: dict[str, str] | None = None
) -> tuple[Document, list[str]]:
    """Load one file; returns the Document and any warnings for the build report.

    Raises UnsupportedDocument with a message that says what to do.
    """
    rel = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocument(
            f"{rel}: '{suffix or 'no extension'}' files are not supported; "
            f"supported types are {', '.join(sorted(SUPPORTED_SUFFIXES))}."
        )
    try:
        check_size(path.stat().st_size, suffix, rel)
        data = path.read_bytes()
    except OSError as e:
        raise UnsupportedDocument(
            f"{rel}: the file cannot be read ({e.strerror or e}); check that it exists and that you may read it."
        ) from None
    gazetteer = gazetteer or load_gazetteer()
    parsed, warnings = parse_bytes(data, suffix, rel)
    if len(parsed.text) > MAX_TEXT_CHARS:
        raise UnsupportedDocument(
            f"{rel}: its text is {len(parsed.text) / 1e6:.1f} million characters, over the limit of "
            f"{MAX_TEXT_CHARS / 1e6:.0f} million for one document; split it into smaller files."
        )
    if not any(b.kind == "body" for b in parsed.blocks):
        raise UnsupportedDocument(f"{rel}: no prose found (only headings or navigation); nothing to quote.")
    meta = dict(parsed.meta)
    date, link = parsed.date, None
    places = _places(gazetteer, parsed)
    if manifest_row:
        from_manifest = metadata_from_row(manifest_row)
        meta.update(from_manifest)
        date = from_manifest.get("published") or date
        link = from_manifest.get("link")
        authority = gazetteer.resolve(from_manifest.get("local_authority", ""))
        if authority:
            places = [authority] + [p for p in places if p != authority and parsed.kind != "report"]
    if places and gazetteer.region(places[0]):
        meta["region"] = gazetteer.region(places[0]) or ""
    doc = Document(
        doc_id=doc_id_for(rel), source=rel, title=parsed.title, text=parsed.text,
        content_hash=content_hash(data), kind=parsed.kind, date=date, publisher=parsed.publisher,
        places=tuple(places), link=link, blocks=parsed.blocks, page_starts=parsed.page_starts, meta=meta,
        layout=parsed.layout, markers=parsed.markers,
    )
    if doc.kind == "report":
        record = read_record(doc)
        doc = replace(doc, record=record.to_json() if record else None)
    return (_with_boxes(doc, data) if doc.layout is not None else doc), warnings


def _with_boxes(doc: Document, data: bytes) -> Document:
    """The PDF's boxes for every sentence and record item: a quote shown on
    its page costs a render, not a second reading of the file."""
    from .chunk import sentences_of
    from .pdf_boxes import span_boxes

    spans = {(s.start, s.end) for s in sentences_of(doc, 0)}
    if doc.record:
        record = ReportRecord.from_json(doc.record)
        spans |= {(j.start, j.end) for j in record.judgements if j.start is not None and j.end is not None}
        spans |= set(record.improvements)
    box_spans, box_rects = span_boxes(data, doc.layout, sorted(spans))
    return replace(doc, box_spans=box_spans, box_rects=box_rects)


def size_refusal(size: int, suffix: str, rel: str) -> str | None:
    """Why a file of this size and type is too large to index, or None; from its
    size alone, so a file is refused before it is read."""
    mb = f"{size / 2**20:.1f} MB"
    if suffix in TEXT_SUFFIXES and size > MAX_TEXT_FILE_BYTES:
        return (
            f"{rel}: {mb} of text is over the {MAX_TEXT_FILE_BYTES // 2**20} MB limit for one text file "
            f"(indexing {mb} would hold the build for a long time); split it into files of at most "
            f"{MAX_TEXT_FILE_BYTES // 2**20} MB."
        )
    if suffix in HTML_SUFFIXES and size > MAX_TEXT_FILE_BYTES:
        return (
            f"{rel}: {mb} is over the {MAX_TEXT_FILE_BYTES // 2**20} MB limit for a web page; save the article "
            "page alone (without embedded images), or split its text into smaller .txt files."
        )
    if size > MAX_FILE_BYTES:
        return f"{rel}: {mb} is over the {MAX_FILE_BYTES // 2**20} MB limit; split the file."
    return None


def check_size(size: int, suffix: str, rel: str) -> None:
    """Raise UnsupportedDocument for a file too large to index (size_refusal)."""
    if refusal := size_refusal(size, suffix, rel):
        raise UnsupportedDocument(refusal)


def parse_bytes(data: bytes, suffix: str, rel: str) -> tuple[Parsed, list[str]]:
    """The format loader for a file type."""
    if suffix == ".pdf":
        from .pdf import parse_pdf

        return parse_pdf(data, rel), []
    if suffix in HTML_SUFFIXES:
        from .html import parse_html

        return parse_html(data, rel), []
    if suffix == ".docx":
        from .docx import parse_docx

        return parse_docx(data, rel), []
    raw, warning = decode_text(data, rel)
    if not looks_like_text(raw):
        raise UnsupportedDocument(f"{rel}: this does not look like text (binary content); remove it or convert it.")
    text = clean_text(raw)
    title, blocks, date, publisher = parse_article(text)
    parsed = Parsed(text=text, blocks=tuple(blocks), title=title, date=date, publisher=publisher)
    return parsed, [f"{rel}: {warning}"] if warning else []


def _places(gazetteer: Gazetteer, parsed: Parsed) -> list[str]:
    """Authorities the document is about. A report is about the one its title
    names (it mentions neighbours in passing); an article about every one it
    names, those in its title first, then by mentions."""
    in_title = gazetteer.names_in(parsed.title)
    if parsed.kind == "report":
        if in_title:
            return in_title[:1]
        first_page = parsed.text[: parsed.page_starts[1]] if len(parsed.page_starts) > 1 else parsed.text[:3000]
        return gazetteer.names_in(first_page)[:1]
    prose = " ".join(parsed.text[b.start : b.end] for b in parsed.blocks if b.kind in ("title", "body"))
    return in_title + [n for n in gazetteer.names_in(prose) if n not in in_title]
