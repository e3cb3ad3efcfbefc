"""The index on disk: layout, manifest, atomic publication and loading.

    index/
      CURRENT            name of the live build (replaced atomically)
      .lock              held by a running build
      builds/<id>/       one complete build:
        manifest.json    format, model, dimension, chunking, documents, file sizes and checksums
        documents.jsonl  every document's stored text and metadata
        layout.npy       PDFs: where each run of stored text is on its page (document, offset, length, page, char)
        boxes.npy, box_rects.npy  PDFs: each sentence's and record item's lines on its page
                         (document, start, end, page) and (x0, y0, x1, y1) in points from the top left
        sentences.npy    (doc, start, end, block) per sentence; row = vector id
        repeated.npy     per sentence: stock text repeated across documents (never quoted)
        chunks.npy       (doc, start, end, first sentence, last sentence)
        dense.faiss      sentence vectors
        document_vectors.npy  one vector per document (its title and opening)
        lexical/         bm25s index of the chunks
        lexical_documents/  bm25s index of whole documents
        sentence_facts.npy, sentence_terms.npz, heading_rows.npy, heading_terms.npz
                         what the ranker knows of each sentence before a question (qa/index/sentence_facts.py)

A build writes builds/<id>.partial, renames it when complete and only then
points CURRENT at it, so readers see the old build or the new one, never a
mixture, and a crash at any point leaves the previous build usable.

The manifest records every file's size and SHA-256 and a checksum of its own
contents, so a truncated, corrupted, missing or edited file is caught on load
(hashing the 300 MB full-collection index takes about 0.2 s).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np
from scipy import sparse

from qa.errors import BuildLocked, IndexDamaged, IndexMismatch, IndexNotBuilt
from qa.ingest.report_record import ReportRecord
from qa.records import Block, Chunk, ChunkColumn, Document, Sentence, SentenceColumn

from . import dense
from .lexical import LexicalIndex
from .sentence_facts import SentenceFacts

# 6: every file's checksum and the manifest's own are required (5 still
# accepted a manifest without them, checked by file size only).
# 7: PDFs' boxes (boxes.npy, box_rects.npy) for the page view.
FORMAT_VERSION = 7
MANIFEST = "manifest.json"


@dataclass
class LoadedIndex:
    folder: Path
    manifest: dict
    documents: list[Document]
    sentences: np.ndarray  # int64 (n, 4): columns named by SentenceColumn
    chunks: np.ndarray  # int64 (m, 5): columns named by ChunkColumn
    vectors: faiss.Index
    lexical: LexicalIndex
    repeated: np.ndarray  # bool per sentence
    document_vectors: np.ndarray  # float32 (documents, dimension)
    document_lexical: LexicalIndex
    facts: SentenceFacts | None = None  # what is known of each sentence before any question

    def sentence(self, i: int) -> Sentence:
        d, s, e, b = (int(x) for x in self.sentences[i])
        return Sentence(d, s, e, b)

    @cached_property
    def doc_of_sentence(self) -> np.ndarray:
        """Per sentence id, the index of its document."""
        return self.sentences[:, SentenceColumn.DOC]

    @cached_property
    def chunk_of_sentence(self) -> np.ndarray:
        """Per sentence id, the id of the chunk that holds it (chunks tile the sentences in order)."""
        c = self.chunks
        sizes = c[:, ChunkColumn.LAST_SENTENCE] - c[:, ChunkColumn.FIRST_SENTENCE] + 1
        return np.repeat(np.arange(len(c)), sizes)

    def sentences_of_chunks(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The sentence ids of these chunks, in their order."""
        if len(chunk_ids) == 0:
            return np.zeros(0, dtype=np.int64)
        rows = self.chunks[chunk_ids]
        return np.concatenate([
            np.arange(a, b + 1) for a, b in rows[:, [ChunkColumn.FIRST_SENTENCE, ChunkColumn.LAST_SENTENCE]]
        ])

    @cached_property
    def _documents_by_id(self) -> dict[str, Document]:
        return {d.doc_id: d for d in self.documents}

    @cached_property
    def report_records(self) -> dict[int, ReportRecord]:
        """Each report's record (kind, dates, judgements, improvement points), by document index."""
        return {i: ReportRecord.from_json(d.record) for i, d in enumerate(self.documents) if d.record}

    @cached_property
    def superseded_by(self) -> dict[str, str]:
        """For each report that a later report of the same authority supersedes, the
        publication date (ISO) of that authority's latest report, by doc_id."""
        latest: dict[str, str] = {}
        reports = [d for d in self.documents if d.kind == "report" and d.places and d.date]
        for d in reports:
            latest[d.places[0]] = max(latest.get(d.places[0], ""), d.date)
        return {d.doc_id: latest[d.places[0]] for d in reports if d.date < latest[d.places[0]]}

    def document(self, doc_id: str) -> Document | None:
        return self._documents_by_id.get(doc_id)

    def chunk(self, i: int) -> Chunk:
        d, s, e, a, b = (int(x) for x in self.chunks[i])
        return Chunk(d, s, e, a, b)


# ---------------------------------------------------------------- writing


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Only one build at a time per index folder. The kernel drops the lock
    when its process dies, so a killed build never leaves it held; what such
    a build left half-written is cleared here, where no other build can be
    writing it, and so are the old builds a build killed after publishing
    had no time to prune (an up-to-date build publishes nothing, so it
    would never prune them)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(
                f"Another build is running on {index_dir}; wait for it to finish and try again."
            ) from None
        for stale in (index_dir / "builds").glob("*.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        live = current_build(index_dir)
        if live is not None:
            # Build names begin with their time: the newest other one is the build before the live one.
            others = sorted(p.name for p in (index_dir / "builds").iterdir() if p.name != live.name)
            _prune_old_builds(index_dir, keep={live.name, *others[-1:]})
        yield


def new_build_folder(index_dir: Path) -> Path:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    # Unique even for two builds in the same second from one process.
    folder = builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.partial"
    folder.mkdir()
    return folder


def write_build(
    folder: Path,
    *,
    documents: list[Document],
    sentences: list[Sentence],
    chunks: list[Chunk],
    repeated: np.ndarray,
    vectors: np.ndarray,
    lexical: LexicalIndex,
    document_vectors: np.ndarray,
    document_lexical: LexicalIndex,
    manifest: dict,
    vector_kind: str = "auto",
    facts: SentenceFacts | None = None,
) -> None:
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as f:
        for d in documents:
            f.write(json.dumps(_document_to_json(d), ensure_ascii=False) + "\n")
    np.save(folder / "layout.npy", _layout_rows(documents))
    box_spans, box_rects = _box_rows(documents)
    np.save(folder / "boxes.npy", box_spans)
    np.save(folder / "box_rects.npy", box_rects)
    np.save(
        folder / "sentences.npy",
        np.array([(s.doc_index, s.start, s.end, s.block_index) for s in sentences], dtype=np.int64).reshape(-1, 4),
    )
    np.save(
        folder / "chunks.npy",
        np.array(
            [(c.doc_index, c.start, c.end, c.first_sentence, c.last_sentence) for c in chunks], dtype=np.int64
        ).reshape(-1, 5),
    )
    np.save(folder / "repeated.npy", np.asarray(repeated, dtype=bool))
    if facts is not None:
        np.save(folder / "sentence_facts.npy", facts.facts)
        sparse.save_npz(folder / "sentence_terms.npz", facts.terms)
        np.save(folder / "heading_rows.npy", facts.heading_row)
        sparse.save_npz(folder / "heading_terms.npz", facts.heading_terms)
    vector_index = dense.build_vector_index(vectors, kind=dense.choose_kind(len(vectors), vector_kind))
    dense.save(vector_index, folder / "dense.faiss")
    lexical.save(folder / "lexical")
    np.save(folder / "document_vectors.npy", np.asarray(document_vectors, dtype=np.float32))
    document_lexical.save(folder / "lexical_documents")
    manifest = dict(manifest)
    manifest["vector_index"] = dense.describe(vector_index)
    manifest["format_version"] = FORMAT_VERSION
    manifest["files"] = {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": _file_sha256(p)}
        for p in sorted(folder.rglob("*")) if p.is_file()
    }
    manifest["checksum"] = _manifest_checksum(manifest)
    with open(folder / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    _fsync_tree(folder)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _manifest_checksum(manifest: dict) -> str:
    """SHA-256 of the manifest's contents without this field: any edit shows."""
    rest = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def publish(index_dir: Path, partial: Path) -> Path:
    """Make a finished build the live one, atomically; prune old builds."""
    final = partial.with_name(partial.name.removesuffix(".partial"))
    os.replace(partial, final)
    pointer = index_dir / "CURRENT.tmp"
    pointer.write_text(final.name + "\n", encoding="utf-8")
    with open(pointer) as f:
        os.fsync(f.fileno())
    previous = current_build(index_dir)
    os.replace(pointer, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    # Keep the build just replaced (a reader may still be opening it); drop older ones.
    _prune_old_builds(index_dir, keep={final.name, previous.name if previous else ""})
    return final


def _prune_old_builds(index_dir: Path, *, keep: set[str]) -> None:
    """Remove every finished build not named in `keep` (a partial one is the writer's)."""
    for old in (index_dir / "builds").iterdir():
        if old.name not in keep and not old.name.endswith(".partial"):
            shutil.rmtree(old, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- reading


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    folder = index_dir / "builds" / name
    return folder if name and folder.is_dir() else None


def read_index_manifest(index_dir: Path) -> dict | None:
    """The live build's manifest, or None when there is no usable build."""
    folder = current_build(index_dir)
    if folder is None:
        return None
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def files_intact(index_dir: Path) -> bool:
    """Whether the live build's files are all there, unedited (their checksums are read)."""
    folder = current_build(index_dir)
    manifest = read_index_manifest(index_dir)
    if folder is None or not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        return False
    try:
        _verify_files(folder, manifest, "")
    except (IndexDamaged, OSError, KeyError, TypeError):
        return False
    return True


def load_index(index_dir: Path) -> LoadedIndex:
    """The live build. A build published while this one was being read (and
    the build before it pruned) is not damage: the new live build is read."""
    index_dir = Path(index_dir)
    for _ in range(3):
        folder = current_build(index_dir)
        if folder is None:
            raise IndexNotBuilt(
                f"No index at {index_dir}: build one with `python -m qa build --index {index_dir}`."
            )
        try:
            return _load_build(index_dir, folder)
        except (IndexDamaged, IndexMismatch):
            if current_build(index_dir) == folder:
                raise
    return _load_build(index_dir, current_build(index_dir) or folder)


@dataclass
class ReusableVectors:
    texts: list[str]  # each document's stored text
    sentences: np.ndarray  # (doc, start, end, block)
    vectors: np.ndarray  # per sentence
    document_vectors: np.ndarray


def reusable_vectors(index_dir: Path) -> ReusableVectors | None:
    """The live build's vectors and the texts they encode, for a new build to
    reuse; read from a build of an older format too (the vectors of a
    sentence do not depend on the format), but only when its files check out."""
    folder = current_build(index_dir)
    manifest = read_index_manifest(index_dir)
    if folder is None or not isinstance(manifest, dict):
        return None
    try:
        _verify_files(folder, manifest, "")
        with open(folder / "documents.jsonl", encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f]
        sentences = np.load(folder / "sentences.npy")
        index = dense.load(folder / "dense.faiss", manifest.get("vector_index"))
        vectors = dense.vectors_of(index, np.arange(index.ntotal))
        document_vectors = np.load(folder / "document_vectors.npy")
    except Exception:  # damaged or unreadable: nothing to reuse
        return None
    if len(vectors) != len(sentences) or len(document_vectors) != len(texts):
        return None
    return ReusableVectors(texts, sentences, vectors, document_vectors)


def _verify_files(folder: Path, manifest: dict, rebuild: str) -> None:
    """Every recorded file is there with its size and content; the manifest unedited."""
    recorded = manifest.get("checksum")
    files = manifest.get("files") or {}
    unchecked = [name for name, entry in files.items() if not (isinstance(entry, dict) and entry.get("sha256"))]
    if recorded is None or unchecked:
        # Sizes alone would let an edited file of the same length through: no checksum, no trust.
        raise IndexDamaged(f"The index manifest {folder / MANIFEST} has no checksums (written by an older "
                           f"version, or edited), so its files cannot be checked; {rebuild}.")
    if recorded != _manifest_checksum(manifest):
        raise IndexDamaged(f"The index manifest {folder / MANIFEST} was edited after the build; {rebuild}.")
    if not files:
        raise IndexDamaged(f"The index manifest {folder / MANIFEST} lists no files; {rebuild}.")
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            raise IndexDamaged(f"Index file {path} is missing; {rebuild}.")
        if path.stat().st_size != entry["bytes"]:
            raise IndexDamaged(f"Index file {path} has the wrong size (truncated or overwritten); {rebuild}.")
        if _file_sha256(path) != entry["sha256"]:
            raise IndexDamaged(f"Index file {path} is corrupted (its checksum does not match); {rebuild}.")


def _load_build(index_dir: Path, folder: Path) -> LoadedIndex:
    rebuild = f"rebuild it with `python -m qa build --index {index_dir}`"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        raise IndexDamaged(f"The index manifest in {folder} is unreadable ({e}); {rebuild}.") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index at {index_dir} has format {manifest.get('format_version')}, this code reads "
            f"format {FORMAT_VERSION}; {rebuild}."
        )
    try:
        _verify_files(folder, manifest, rebuild)
    except (OSError, KeyError, TypeError) as e:  # a file vanished, or the file list was edited
        raise IndexDamaged(f"The index in {folder} could not be checked ({e}); {rebuild}.") from None
    try:
        with open(folder / "documents.jsonl", encoding="utf-8") as f:
            documents = [_document_from_json(json.loads(line)) for line in f]
        documents = _with_layouts(documents, np.load(folder / "layout.npy"))
        documents = _with_boxes(documents, np.load(folder / "boxes.npy"), np.load(folder / "box_rects.npy"))
        sentences = np.load(folder / "sentences.npy")
        chunks = np.load(folder / "chunks.npy")
        repeated = np.load(folder / "repeated.npy")
        vectors = dense.load(folder / "dense.faiss", manifest.get("vector_index"))
        lexical = LexicalIndex.load(folder / "lexical")
        document_vectors = np.load(folder / "document_vectors.npy")
        document_lexical = LexicalIndex.load(folder / "lexical_documents")
        facts = SentenceFacts(
            np.load(folder / "sentence_facts.npy"), sparse.load_npz(folder / "sentence_terms.npz").tocsr(),
            np.load(folder / "heading_rows.npy"), sparse.load_npz(folder / "heading_terms.npz").tocsr(),
        ) if (folder / "sentence_facts.npy").is_file() else None
    except Exception as e:  # any reader error here means damaged files
        raise IndexDamaged(f"The index in {folder} could not be read ({e}); {rebuild}.") from None
    if (
        vectors.ntotal != len(sentences) or len(repeated) != len(sentences) or vectors.d != manifest.get("dimension")
        or document_vectors.shape != (len(documents), vectors.d)
    ):
        raise IndexDamaged(f"The index in {folder} is inconsistent (vector count); {rebuild}.")
    if facts is not None and len(facts.facts) != len(sentences):
        raise IndexDamaged(f"The index in {folder} is inconsistent (sentence facts); {rebuild}.")
    return LoadedIndex(
        folder, manifest, documents, sentences, chunks, vectors, lexical, repeated, document_vectors, document_lexical,
        facts,
    )


def _document_to_json(d: Document) -> dict:
    out = asdict(d)
    out["blocks"] = [[b.start, b.end, b.kind, b.number] for b in d.blocks]
    out["markers"] = [list(m) for m in d.markers]
    del out["layout"], out["box_spans"], out["box_rects"]  # in layout.npy, boxes.npy and box_rects.npy
    return out


def _document_from_json(row: dict) -> Document:
    row["blocks"] = tuple(Block(*b) for b in row["blocks"])
    row["places"] = tuple(row["places"])
    row["page_starts"] = tuple(row["page_starts"])
    row["markers"] = tuple((int(o), str(m)) for o, m in row.get("markers", ()))
    return Document(**row)


def _layout_rows(documents: list[Document]) -> np.ndarray:
    """Every document's layout in one table: (document, text offset, length, page, PDF character)."""
    parts = [
        np.column_stack([np.full(len(d.layout), i, dtype=np.int32), d.layout])
        for i, d in enumerate(documents) if d.layout is not None and len(d.layout)
    ]
    return np.concatenate(parts).astype(np.int32) if parts else np.zeros((0, 5), dtype=np.int32)


def _with_layouts(documents: list[Document], rows: np.ndarray) -> list[Document]:
    if not len(rows):
        return documents
    bounds = np.searchsorted(rows[:, 0], np.arange(len(documents) + 1))
    return [
        replace(d, layout=rows[bounds[i] : bounds[i + 1], 1:]) if bounds[i + 1] > bounds[i] else d
        for i, d in enumerate(documents)
    ]


def _box_rows(documents: list[Document]) -> tuple[np.ndarray, np.ndarray]:
    """Every document's boxes in two tables: (document, start, end, page) and (x0, y0, x1, y1)."""
    have = [(i, d) for i, d in enumerate(documents) if d.box_spans is not None and len(d.box_spans)]
    if not have:
        return np.zeros((0, 4), dtype=np.int32), np.zeros((0, 4), dtype=np.float32)
    spans = np.concatenate([np.column_stack([np.full(len(d.box_spans), i), d.box_spans]) for i, d in have])
    rects = np.concatenate([d.box_rects for _, d in have])
    return spans.astype(np.int32), rects.astype(np.float32)


def _with_boxes(documents: list[Document], spans: np.ndarray, rects: np.ndarray) -> list[Document]:
    if not len(spans):
        return documents
    bounds = np.searchsorted(spans[:, 0], np.arange(len(documents) + 1))
    return [
        replace(d, box_spans=spans[bounds[i] : bounds[i + 1], 1:], box_rects=rects[bounds[i] : bounds[i + 1]])
        if bounds[i + 1] > bounds[i] else d
        for i, d in enumerate(documents)
    ]
