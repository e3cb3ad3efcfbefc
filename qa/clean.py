"""Turning raw bytes into the stored text a reader sees.

The stored text is fixed at load time; every offset later points into it.
"""

from __future__ import annotations

import re

from .errors import UnsupportedDocument

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode a text file; returns (text, warning or None).

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such. Other
    bytes are read as Windows-1252 (a superset of Latin-1 for text), which is
    what British office files that are not UTF-8 almost always are; the build
    report says so.
    """
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; add text to it or remove it.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as e:
            raise UnsupportedDocument(f"{name}: damaged UTF-16 text ({e.reason}); re-save it as UTF-8.") from None
    if b"\x00" in data[:8192]:
        raise UnsupportedDocument(
            f"{name}: this is a binary file, not text; index the original document (PDF, DOCX, HTML) instead."
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        return text, "not UTF-8: read as Windows-1252 (Latin-1); re-save as UTF-8 if characters look wrong"


def clean_text(text: str) -> str:
    """Normalise line ends and drop control characters; nothing else changes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return _CONTROL.sub("", text)


def looks_like_text(text: str) -> bool:
    """False for decoded binary: too many replacement or non-printing characters."""
    sample = text[:20000]
    if not sample:
        return False
    bad = sum(1 for c in sample if c == "\ufffd" or (not c.isprintable() and c not in "\n\t"))
    return bad / len(sample) < 0.02
