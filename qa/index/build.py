"""Building the index: load -> segment -> chunk -> embed -> store.

Documents whose content hash, model and chunking match the previous build
reuse its sentence vectors, so a rebuild embeds only new or changed files.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import ingest
from qa.errors import QAError, UnsupportedDocument
from qa.ingest.chunk import ChunkSettings, chunk_sentences, sentences_of
from qa.ingest.gazetteer import load_gazetteer
from qa.ingest.load import discover, load_document, size_refusal
from qa.ingest.manifest import MANIFEST_NAME, find_row, read_manifest
from qa.records import Chunk, Document, Sentence

from . import sentence_facts, store
from .embed import Embedder, model_fingerprint
from .lexical import LexicalIndex


@dataclass
class BuildReport:
    index_folder: Path | None = None
    indexed: list[str] = field(default_factory=list)
    embedded: list[str] = field(default_factory=list)  # of indexed: newly encoded
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[str] = field(default_factory=list)
    sentences: int = 0
    chunks: int = 0
    seconds: float = 0.0
    up_to_date: bool = False  # nothing changed: the live build was kept
    stage_seconds: dict[str, float] = field(default_factory=dict)  # loading, embedding, indexing

    def summary(self) -> str:
        if self.up_to_date:
            return f"Index is up to date ({len(self.indexed)} documents): {self.index_folder}"
        lines = [
            f"Indexed {len(self.indexed)} documents ({len(self.embedded)} embedded, "
            f"{len(self.indexed) - len(self.embedded)} reused), {self.sentences} sentences, "
            f"{self.chunks} chunks in {self.seconds:.1f} s.",
        ]
        for name, reason in self.skipped:
            lines.append(f"Skipped {name}: {reason}")
        lines += [f"Warning: {w}" for w in self.warnings]
        if self.index_folder:
            lines.append(f"Index: {self.index_folder}")
        return "\n".join(map(terminal_safe, lines))


# Characters a file name may hold that would act on a terminal rather than print:
# control characters (a newline forging a report line, ANSI escapes recolouring
# or clearing it), line separators, and the bidirectional marks and overrides that
# reorder what is shown.
_ACTS_ON_TERMINAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(line: str) -> str:
    """A report line with every such character shown as an escape (\\x1b, \\u202e)."""
    return _ACTS_ON_TERMINAL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line)


ProgressFn = Callable[[int, int, str], None]
DEFAULT_CHUNKING = ChunkSettings()


def build_index(
    docs_dirs: list[Path],
    index_dir: Path,
    *,
    embedder: Embedder,
    settings: ChunkSettings = DEFAULT_CHUNKING,
    manifest: Path | None = None,
    progress: ProgressFn | None = None,
    vector_index: str = "auto",
) -> BuildReport:
    """Build (or update) the index at `index_dir` from the files in `docs_dirs`.

    Metadata comes from `manifest` and from any manifest.csv inside a
    documents folder. `progress(done, total, stage)` is called as documents
    are loaded ("loading") and sentences embedded ("embedding"). `vector_index`
    is the FAISS index kind ("flat", "hnsw", "ivf"), or "auto" to choose by size.
    """
    started = time.perf_counter()
    report = BuildReport()
    for d in docs_dirs:
        if not Path(d).is_dir():
            raise QAError(f"Documents folder {d} does not exist; pass an existing folder with --docs.")
    with store.build_lock(index_dir):
        files, rows = _discover_sources(docs_dirs, manifest, report.skipped)
        signature = _source_signature(files, rows, embedder, settings, vector_index)
        if _is_current(index_dir, signature):
            live = store.read_index_manifest(index_dir) or {}
            report.index_folder = store.current_build(index_dir)
            report.up_to_date = True
            report.indexed = [d["source"] for d in live.get("documents", [])]
            report.seconds = time.perf_counter() - started
            return report
        loading_started = time.perf_counter()
        documents = _load_all(files, rows, report, progress)
        report.stage_seconds["loading"] = time.perf_counter() - loading_started
        if not documents:
            raise QAError(
                "No document could be indexed"
                + (
                    ": " + "; ".join(r for _, r in report.skipped[:5])
                    if report.skipped
                    else f" (no files in {', '.join(map(str, docs_dirs))})."
                )
                + " The previous index, if any, is unchanged."
            )
        _write_index(documents, index_dir, embedder, settings, signature, report, progress, vector_index)
    report.indexed = [d.source for d in documents]
    report.seconds = time.perf_counter() - started
    return report


def build_index_from_documents(
    documents: list[Document],
    index_dir: Path,
    *,
    embedder: Embedder,
    source_signature: str,
    settings: ChunkSettings = DEFAULT_CHUNKING,
    progress: ProgressFn | None = None,
    vector_index: str = "auto",
) -> BuildReport:
    """Build (or update) an index of documents made elsewhere (a BEIR corpus).
    `source_signature` identifies their source: equal to the live build's
    (with the same model and settings), the index is kept as it is."""
    started = time.perf_counter()
    report = BuildReport()
    with store.build_lock(index_dir):
        signature = _settings_signature(source_signature, embedder, settings, vector_index)
        if _is_current(index_dir, signature):
            report.index_folder = store.current_build(index_dir)
            report.up_to_date = True
        else:
            if not documents:
                raise QAError("No document to index. The previous index, if any, is unchanged.")
            _write_index(documents, index_dir, embedder, settings, signature, report, progress, vector_index)
    report.indexed = [d.source for d in documents]
    report.seconds = time.perf_counter() - started
    return report


def _write_index(
    documents: list[Document], index_dir: Path, embedder: Embedder, settings: ChunkSettings, signature: str,
    report: BuildReport, progress: ProgressFn | None, vector_index: str = "auto",
) -> None:
    """Segment, chunk, embed and write a new build, then make it the live one."""
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for i, doc in enumerate(documents):
        doc_sentences = sentences_of(doc, i)
        chunks += chunk_sentences(doc, doc_sentences, len(sentences), settings)
        sentences += doc_sentences
    embedding_started = time.perf_counter()
    previous = _previous_vectors(index_dir, embedder)
    vectors = _embed(documents, sentences, embedder, previous, report, progress)
    document_vectors = _embed_documents(documents, embedder, previous)
    indexing_started = time.perf_counter()
    report.stage_seconds["embedding"] = indexing_started - embedding_started
    lexical = LexicalIndex.build([lexical_text(documents[c.doc_index], c) for c in chunks])
    facts = sentence_facts.compute(documents, sentences, lexical.vocabulary)
    document_lexical = LexicalIndex.build([d.text for d in documents])
    index_manifest = {
        "model": embedder.name,
        "model_fingerprint": model_fingerprint(embedder.name),
        "dimension": embedder.dimension,
        "chunking": settings.to_json(),
        "lexical": LEXICAL_SETTINGS,
        "source_signature": signature,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "counts": {"documents": len(documents), "sentences": len(sentences), "chunks": len(chunks)},
        "documents": [
            {"doc_id": d.doc_id, "source": d.source, "content_hash": d.content_hash} for d in documents
        ],
    }
    partial = store.new_build_folder(index_dir)
    store.write_build(
        partial,
        documents=documents,
        sentences=sentences,
        repeated=repeated_sentences(documents, sentences),
        chunks=chunks,
        vectors=vectors,
        lexical=lexical,
        document_vectors=document_vectors,
        document_lexical=document_lexical,
        manifest=index_manifest,
        vector_kind=vector_index,
        facts=facts,
    )
    report.index_folder = store.publish(index_dir, partial)
    report.stage_seconds["indexing"] = time.perf_counter() - indexing_started  # BM25, FAISS, writing
    report.sentences, report.chunks = len(sentences), len(chunks)


# Recorded in the manifest: a change rebuilds the lexical index (not the vectors).
LEXICAL_SETTINGS = {
    "text": "section heading + chunk; whole document", "bm25": "lucene k1=1.2 b=0.75", "version": 3,
}


def lexical_text(doc: Document, chunk: Chunk) -> str:
    """What word matching sees of a chunk: its text after the heading of the
    section it sits in, so "care leavers" finds the care leavers section's
    sentences that never repeat the words. Offsets still point at the text."""
    heading = ""
    for block in doc.blocks:
        if block.start >= chunk.start:
            break
        if block.kind in ("heading", "title"):
            heading = doc.text[block.start : block.end]
    return f"{heading}\n{doc.text[chunk.start : chunk.end]}"


# A sentence found word for word in this many documents is stock text (the
# regulator's licence and contact paragraph, a site's footer), not a finding.
REPEATED_MIN_DOCUMENTS = 5


def repeated_sentences(documents: list[Document], sentences: list[Sentence]) -> np.ndarray:
    """True for each sentence whose words recur in many documents."""
    # Digits folded: stock paragraphs differ only in phone numbers and dates.
    keys = [re.sub(r"\d+", "#", " ".join(documents[s.doc_index].text[s.start : s.end].lower().split()))
            for s in sentences]
    docs_of: dict[str, set[int]] = {}
    for key, s in zip(keys, sentences, strict=True):
        docs_of.setdefault(key, set()).add(s.doc_index)
    return np.array([len(docs_of[k]) >= REPEATED_MIN_DOCUMENTS for k in keys], dtype=bool)


def _is_current(index_dir: Path, signature: str) -> bool:
    manifest = store.read_index_manifest(index_dir)
    if not manifest or manifest.get("source_signature") != signature:
        return False
    return store.files_intact(index_dir)  # a damaged live build is rebuilt, not kept


def _discover_sources(
    docs_dirs: list[Path], manifest: Path | None, left_out: list[tuple[str, str]]
) -> tuple[list[tuple[Path, Path]], dict[str, dict[str, str]]]:
    """(root, file) for every document file, and the manifest rows that describe them.
    Files that cannot be indexed by their name alone are added to `left_out`."""
    rows: dict[str, dict[str, str]] = {}
    files = []
    for root in map(Path, docs_dirs):
        for p in discover(root, left_out=left_out):
            if p.name == MANIFEST_NAME:  # metadata, not a document; its paths are relative to its folder
                prefix = p.parent.relative_to(root).as_posix()
                rows.update({k if prefix == "." else f"{prefix}/{k}": v for k, v in read_manifest(p).items()})
                continue
            files.append((root, p))
    if manifest:
        rows.update(read_manifest(manifest))
    return files, rows


def _source_signature(
    files: list[tuple[Path, Path]], rows: dict[str, dict[str, str]], embedder: Embedder, settings: ChunkSettings,
    vector_index: str = "auto",
) -> str:
    """A hash of everything a build reads: each file's bytes (size and time for one too
    large to index), the metadata rows and the settings. Equal to the live build's:
    nothing to do, without parsing a file."""
    digest = hashlib.sha256()
    for root, path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            stat = path.stat()
            if size_refusal(stat.st_size, path.suffix.lower(), path.name):  # not read: size and time say if it changed
                digest.update(f"{stat.st_size} {stat.st_mtime_ns}".encode())
                continue
            with path.open("rb") as f:  # in blocks, so memory does not grow with the file
                digest.update(hashlib.file_digest(f, "sha256").digest())
        except OSError as e:  # reported by the build proper
            digest.update(str(e).encode())
    digest.update(json.dumps(sorted(rows.items()), ensure_ascii=False, sort_keys=True).encode())
    return _settings_signature(digest.hexdigest(), embedder, settings, vector_index)


def _settings_signature(
    source_signature: str, embedder: Embedder, settings: ChunkSettings, vector_index: str = "auto"
) -> str:
    """The sources' hash joined with everything else that decides the index's contents."""
    payload = [
        source_signature, embedder.name, model_fingerprint(embedder.name), settings.to_json(), LEXICAL_SETTINGS,
        store.FORMAT_VERSION, vector_index, _readers_fingerprint(),
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@lru_cache(maxsize=1)
def _readers_fingerprint() -> str:
    """A hash of the code and tables that read documents (qa/ingest): a new
    reader (a record read better, boxes found another way) re-reads every
    file at the next build; the vectors of unchanged sentences are reused."""
    digest = hashlib.sha256()
    for path in sorted(Path(ingest.__file__).parent.iterdir()):
        if path.suffix in (".py", ".csv"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _load_all(
    files: list[tuple[Path, Path]], rows: dict[str, dict[str, str]], report: BuildReport,
    progress: ProgressFn | None,
) -> list[Document]:
    gazetteer = load_gazetteer()
    documents: list[Document] = []
    seen_hashes: dict[str, str] = {}
    seen_ids: set[str] = set()
    for n, (root, path) in enumerate(files, 1):
        rel = path.relative_to(root).as_posix()
        if progress:
            progress(n, len(files), "loading")
        try:
            doc, warnings = load_document(path, root, gazetteer=gazetteer, manifest_row=find_row(rows, rel))
        except UnsupportedDocument as e:
            report.skipped.append((rel, str(e).removeprefix(f"{rel}: ")))
            continue
        except Exception as e:  # one bad file never stops a build
            report.skipped.append((rel, f"could not be read ({type(e).__name__}: {e})"))
            continue
        if doc.content_hash in seen_hashes:
            report.skipped.append((rel, f"identical to {seen_hashes[doc.content_hash]}; indexed once"))
            continue
        seen_hashes[doc.content_hash] = rel
        if doc.doc_id in seen_ids:  # same relative path under two --docs folders
            doc = _with_id(doc, f"{doc.doc_id}~{len(documents)}")
        seen_ids.add(doc.doc_id)
        report.warnings += warnings
        documents.append(doc)
    return documents


def _with_id(doc: Document, doc_id: str) -> Document:
    from dataclasses import replace

    return replace(doc, doc_id=doc_id)


def _embed(
    documents: list[Document],
    sentences: list[Sentence],
    embedder: Embedder,
    previous: PreviousVectors,
    report: BuildReport,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Sentence vectors; a sentence whose words the previous build already
    encoded (with the same model) reuses its vector, so a rebuild after a
    change to cleaning or chunking encodes only the sentences that changed."""
    vectors = np.zeros((len(sentences), embedder.dimension), dtype=np.float32)
    texts = [documents[s.doc_index].text[s.start : s.end] for s in sentences]
    todo: list[int] = []
    for i, text in enumerate(texts):
        row = previous.sentence_rows.get(text)
        if row is None:
            todo.append(i)
        else:
            vectors[i] = previous.sentence_vectors[row]
    for doc_index in sorted({sentences[i].doc_index for i in todo}):
        report.embedded.append(documents[doc_index].source)
    if todo:
        # Sorting by length keeps padding (wasted work) per batch small.
        order = sorted(todo, key=lambda i: len(texts[i]))
        step = 4096  # slices only to report progress; the model batches inside
        for lo in range(0, len(order), step):
            vectors[order[lo : lo + step]] = embedder.encode([texts[i] for i in order[lo : lo + step]])
            if progress:
                progress(min(lo + step, len(order)), len(order), "embedding")
    return vectors


# A document's own vector encodes its title and opening: the model reads at
# most 256 word pieces, so more characters would only cost tokenising time.
DOCUMENT_VECTOR_CHARS = 2000


def _embed_documents(documents: list[Document], embedder: Embedder, previous: PreviousVectors) -> np.ndarray:
    """One vector per document (for ranking whole documents), reusing the previous build's."""
    vectors = np.zeros((len(documents), embedder.dimension), dtype=np.float32)
    todo = []
    for i, doc in enumerate(documents):
        row = previous.document_rows.get(doc.text[:DOCUMENT_VECTOR_CHARS])
        if row is None:
            todo.append(i)
        else:
            vectors[i] = previous.document_vectors[row]
    if todo:
        order = sorted(todo, key=lambda i: min(len(documents[i].text), DOCUMENT_VECTOR_CHARS))
        vectors[order] = embedder.encode([documents[i].text[:DOCUMENT_VECTOR_CHARS] for i in order])
    return vectors


@dataclass
class PreviousVectors:
    """The live build's vectors, found by the text they encode."""

    sentence_rows: dict[str, int] = field(default_factory=dict)
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    document_rows: dict[str, int] = field(default_factory=dict)
    document_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def _previous_vectors(index_dir: Path, embedder: Embedder) -> PreviousVectors:
    """The live build's vectors by the text they encode, when it was made with the same model."""
    manifest = store.read_index_manifest(index_dir)
    if (
        not manifest or manifest.get("model") != embedder.name or manifest.get("dimension") != embedder.dimension
        or manifest.get("model_fingerprint") != model_fingerprint(embedder.name)
    ):
        return PreviousVectors()
    old = store.reusable_vectors(index_dir)
    if old is None:
        return PreviousVectors()
    rows = {old.texts[d][s:e]: i for i, (d, s, e, _) in enumerate(old.sentences.tolist())}
    return PreviousVectors(
        sentence_rows=rows,
        sentence_vectors=old.vectors,
        document_rows={text[:DOCUMENT_VECTOR_CHARS]: i for i, text in enumerate(old.texts)},
        document_vectors=old.document_vectors,
    )
