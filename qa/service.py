"""Opening the product for a front end: index + model, built when missing.

Kept out of app.py so the page stays thin and this is testable.
"""

from __future__ import annotations

from pathlib import Path

from .build import BuildReport, build_index
from .embed import DEFAULT_MODEL, SentenceTransformerEmbedder
from .retrieve import Retriever
from .store import load_index, read_manifest


def open_retriever(
    index_dir: Path, docs_dir: Path, *, model: str = DEFAULT_MODEL
) -> tuple[Retriever, BuildReport | None]:
    """A Retriever over `index_dir`, building it from `docs_dir` when it is
    missing or stale; returns the build report when a build ran."""
    manifest = read_manifest(index_dir)
    embedder = SentenceTransformerEmbedder(manifest["model"] if manifest else model)
    report = build_index([docs_dir], index_dir, embedder=embedder) if docs_dir.is_dir() else None
    return Retriever(load_index(index_dir), embedder), report
