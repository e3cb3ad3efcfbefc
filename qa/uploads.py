"""Adding uploaded files to the collection: safe names, type and size limits."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import UnsupportedDocument
from .load import SUPPORTED_SUFFIXES, check_size

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_TYPES = ("pdf", "txt", "md", "html", "htm", "docx")


def safe_file_name(name: str) -> str:
    """A plain file name: no folders, no leading dots, no control characters.

    Whatever the browser sends ("../../etc/passwd", "C:\\x\\y.pdf"), the result
    names a file directly inside the uploads folder.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r"[^\w .,&'()-]+", "_", name).strip(" .")
    return name[:150] or "upload"


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
    folder.mkdir(parents=True, exist_ok=True)
    target = folder.resolve() / clean  # the name itself is not resolved: a link there is skipped below
    if target.parent != folder.resolve() or clean in (".", ".."):  # belt and braces: never outside the folder
        raise UnsupportedDocument(f"{clean}: not a valid file name.")
    stem, n = target.stem, 1
    # A link in the folder is never written through (it could point anywhere): its name counts as taken.
    while target.is_symlink() or (target.exists() and target.read_bytes() != data):
        n += 1
        target = target.with_name(f"{stem} ({n}){target.suffix}")
    target.write_bytes(data)
    return target
