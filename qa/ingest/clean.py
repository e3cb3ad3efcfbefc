"""Turning raw bytes into the stored text a reader sees.

The stored text is fixed at load time; every offset later points into it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from qa.errors import UnsupportedDocument

_NOT_TEXT = {"Cc", "Cs", "Cn"}  # control characters, lone surrogates, unassigned code points
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode a text file; returns (text, warning or None).

    UTF-8 (with or without BOM) and UTF-16 or UTF-32 with a BOM are read as
    such, and so is UTF-16 without one when its zero bytes say so. Other
    bytes are read as Windows-1252 (a superset of Latin-1 for text), which is
    what British office files that are not UTF-8 almost always are. The build
    report warns when the encoding was a guess.
    """
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; add text to it or remove it.")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError as e:
                raise UnsupportedDocument(
                    f"{name}: damaged {encoding.upper()} text ({e.reason}); re-save it as UTF-8."
                ) from None
    if b"\x00" in data[:8192]:
        encoding = _utf16_without_bom(data)
        if encoding:
            try:
                return data.decode(encoding), "read as UTF-16 (it has no byte-order mark); re-save it as UTF-8"
            except UnicodeDecodeError:
                pass
        raise UnsupportedDocument(
            f"{name}: this is a binary file, not text; index the original document (PDF, DOCX, HTML) instead."
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        return text, "not UTF-8: read as Windows-1252 (Latin-1); re-save as UTF-8 if characters look wrong"


def _utf16_without_bom(data: bytes) -> str | None:
    """The encoding ("utf-16-le" or "-be") of UTF-16 text saved without its mark, else None.

    Text in Latin script has a zero byte in every other place (the high byte
    of each character); a binary file has zeros anywhere.
    """
    sample = data[:8192]
    half = len(sample) // 2
    if half < 8:
        return None
    zeros = (sample[1::2].count(0), sample[0::2].count(0))  # (high bytes if LE, high bytes if BE)
    for high, low, encoding in ((zeros[0], zeros[1], "utf-16-le"), (zeros[1], zeros[0], "utf-16-be")):
        if high >= 0.3 * half and low <= 0.01 * half:
            return encoding
    return None


def clean_text(text: str) -> str:
    """Normalise line ends and drop control characters; nothing else changes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return _CONTROL.sub("", text)


def looks_like_text(text: str) -> bool:
    """False for decoded binary: too many replacement characters, control
    characters or unassigned code points. Give it the text as decoded, before
    clean_text drops the control characters that are the surest sign."""
    sample = text[:20000]
    if not sample:
        return False
    bad = sum(1 for c in sample if c == "\ufffd" or (unicodedata.category(c) in _NOT_TEXT and c not in "\t\n\r\f"))
    return bad / len(sample) < 0.02
