"""Adding uploaded files to the collection: safe names, type and size limits."""
from __future__ import annotations

import itertools
import os
import re
import unicodedata
from pathlib import Path

from qa.errors import UnsupportedDocument
from qa.ingest.load import SUPPORTED_SUFFIXES, check_size

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_TYPES = ("pdf", "txt", "md", "html", "htm", "docx")
MAX_STEM_BYTES = 200  # of a saved name's 255, leaving room for " (12)" and the extension


def safe_file_name(name: str) -> str:
    """A plain file name: no folders, no leading dots, no control characters.

    Whatever the browser sends ("../../etc/passwd", "C:\\x\\y.pdf"), the result
    names a file directly inside the uploads folder.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r"[^\w .,&'()-]+", "_", name).strip(" .") or "upload"
    # File systems allow 255 bytes a name: shorten the stem, keep the extension.
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    if len(suffix.encode()) > 10:  # not an extension: part of the name
        stem, dot, suffix = name, "", ""
    stem = stem.encode()[:MAX_STEM_BYTES].decode("utf-8", "ignore")  # never half a character
    return f"{stem.rstrip(' .')}{dot}{suffix}" if stem.strip(" .") else f"upload{dot}{suffix}"


def save_upload(folder: Path, name: str, data: bytes) -> Path:
    """Check and write one uploaded file; raises UnsupportedDocument saying why not."""
    clean = safe_file_name(name)
    suffix = Path(clean).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocument(f"{clean}: '{suffix or 'no extension'}' files are not accepted; "
                                  f"upload {', '.join(UPLOAD_TYPES)}.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnsupportedDocument(f"{clean}: {len(data) / 2**20:.0f} MB is over the "
                                  f"{MAX_UPLOAD_BYTES // 2**20} MB upload limit.")
    check_size(len(data), suffix, clean)  # what the build would refuse (10 MB of text), refused now
    if not data.strip():
        raise UnsupportedDocument(f"{clean}: the file is empty.")
    try:
        return _write_new(folder, clean, data)
    except OSError as e:
        raise UnsupportedDocument(
            f"{clean}: it could not be saved ({e.strerror or e}); try again or rename it."
        ) from None


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` under `name` in `folder`, or under "name (2)", "name (3)" … when
    that is taken; the same bytes uploaded again reuse their file. The file is
    created exclusively and never through a link (O_EXCL, O_NOFOLLOW), so two
    sessions uploading one name at once both keep their file, and a link placed
    in the folder cannot redirect the write."""
    folder.mkdir(parents=True, exist_ok=True)
    first = Path(name)
    for n in itertools.count(1):
        target = folder / (name if n == 1 else f"{first.stem} ({n}){first.suffix}")
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            return target
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:  # a file, folder, link or pipe of that name: try the next name
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return target
    raise AssertionError("unreachable")
