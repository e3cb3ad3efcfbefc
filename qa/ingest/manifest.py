"""Document metadata from a manifest CSV (the Ofsted manifest's format).

Columns used: path (relative to the documents folder), urn, local_authority,
inspection_link, publication_date (dd/mm/yy), inspector_name,
inspection_start_date and inspection_end_date (dd/mm/yyyy), the judgement
grades. A `manifest.csv` inside a documents folder is used automatically.
"""
from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from qa.errors import QAError

MANIFEST_NAME = "manifest.csv"
GRADE_COLUMNS = (
    "overall_effectiveness_grade", "impact_of_leaders_grade", "help_and_protection_grade",
    "in_care_grade", "care_leavers_grade",
)


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """Rows keyed by their `path` column (folder separators normalised)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise QAError(f"Cannot read the manifest {path}: {e.strerror}.") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise QAError(f"The manifest {path} is not a readable UTF-8 CSV ({e}).") from None
    if rows and "path" not in rows[0]:
        raise QAError(f"The manifest {path} has no 'path' column; see ../shared/corpus/ofsted/manifest.csv.")
    return {row["path"].replace("\\", "/").strip(): row for row in rows if row.get("path")}


def find_row(manifest: dict[str, dict[str, str]], relative_path: str) -> dict[str, str] | None:
    """The row for a file: by exact path, else by its last folder and name."""
    row = manifest.get(relative_path)
    if row is None:
        tail = "/".join(relative_path.split("/")[-2:])
        row = manifest.get(tail)
    return row


def _parse_date(value: str, formats: tuple[str, ...]) -> date | None:
    for fmt in formats:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def inspection_dates(start: date | None, end: date | None) -> str | None:
    """"17 to 21 March 2025", "27 June to 1 July 2022", as reports write them."""
    if not end:
        return None
    if not start or start == end:
        return f"{end.day} {end:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} to {end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} to {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


def metadata_from_row(row: dict[str, str]) -> dict[str, str]:
    """Normalised metadata: ISO dates, readable inspection dates, grades."""
    out: dict[str, str] = {}
    published = _parse_date(row.get("publication_date", ""), ("%d/%m/%y", "%d/%m/%Y", "%Y-%m-%d"))
    start = _parse_date(row.get("inspection_start_date", ""), ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"))
    end = _parse_date(row.get("inspection_end_date", ""), ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"))
    if published:
        out["published"] = published.isoformat()
    if start:
        out["inspection_start"] = start.isoformat()
    if end:
        out["inspection_end"] = end.isoformat()
    dates = inspection_dates(start, end)
    if dates:
        out["inspection_dates"] = dates
    for key, column in (("urn", "urn"), ("local_authority", "local_authority"), ("link", "inspection_link"),
                        ("lead_inspector", "inspector_name"), ("framework", "inspection_framework")):
        if row.get(column, "").strip():
            out[key] = row[column].strip()
    for column in GRADE_COLUMNS:
        value = row.get(column, "").strip().replace("_", " ")
        if value and value not in ("inspection pre dates judgement", "data unreadable"):
            out[column.removesuffix("_grade")] = value.lower()
    return out
