"""Loading files into Documents: dispatch by file type, ids, places.

Each loader returns the stored text and what it can tell about the document;
this module adds the id, content hash and places common to all types.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .article import parse_article
from .clean import clean_text, decode_text, looks_like_text
from .errors import UnsupportedDocument
from .gazetteer import Gazetteer, load_gazetteer
from .records import Block, Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES
MAX_FILE_BYTES = 100 * 1024 * 1024


def doc_id_for(relative_path: str) -> str:
    """A stable id without white space (TREC run files split on it)."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", relative_path)
    slug = re.sub(r"[^\w/.-]+", "-", stem, flags=re.UNICODE).strip("-")
    return slug or hashlib.sha1(relative_path.encode()).hexdigest()[:12]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(folder: Path) -> list[Path]:
    """Every regular file under `folder`, in a stable order; hidden files skipped."""
    files = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            files.append(p)
    return files


def load_document(
    path: Path, root: Path, *, gazetteer: Gazetteer | None = None, meta: dict[str, str] | None = None
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
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnsupportedDocument(
            f"{rel}: {size / 2**20:.0f} MB is over the {MAX_FILE_BYTES // 2**20} MB limit; split the file."
        )
    data = path.read_bytes()
    gazetteer = gazetteer or load_gazetteer()
    warnings: list[str] = []
    raw, warning = decode_text(data, rel)
    if warning:
        warnings.append(f"{rel}: {warning}")
    text = clean_text(raw)
    if not looks_like_text(text):
        raise UnsupportedDocument(f"{rel}: this does not look like text (binary content); remove it or convert it.")
    title, blocks, date, publisher = parse_article(text)
    if not any(b.kind == "body" for b in blocks):
        raise UnsupportedDocument(f"{rel}: no prose found (only headings or navigation); nothing to quote.")
    return (
        Document(
            doc_id=doc_id_for(rel),
            source=rel,
            title=title,
            text=text,
            content_hash=content_hash(data),
            kind="article",
            date=date,
            publisher=publisher,
            places=tuple(_places(gazetteer, title, text, blocks)),
            blocks=tuple(blocks),
            meta=dict(meta or {}),
        ),
        warnings,
    )


def _places(gazetteer: Gazetteer, title: str, text: str, blocks: list[Block]) -> list[str]:
    """Authorities the document is about: named in the title first, then by mentions."""
    prose = " ".join(text[b.start : b.end] for b in blocks if b.kind in ("title", "body"))
    in_title = gazetteer.names_in(title)
    return in_title + [n for n in gazetteer.names_in(prose) if n not in in_title]
