"""Copies of shared reports for the cluster suites' small collections."""

from __future__ import annotations

import csv
from pathlib import Path


def copy_manifest_rows(corpus: Path, paths: list[str], destination: Path) -> None:
    """Write to `destination` the shared manifest's header and its rows for `paths`."""
    with open(corpus / "manifest.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["path"] in paths]
        fields = reader.fieldnames
    assert len(rows) == len(paths), "a report of the test is not in the shared manifest"
    with open(destination, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
