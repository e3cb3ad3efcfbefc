"""Building the index: load -> segment -> chunk -> embed -> store.

Documents whose content hash, model and chunking match the previous build
reuse its sentence vectors, so a rebuild embeds only new or changed files.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa import ingest
from qa.errors import QAError, UnsupportedDocument
from qa.ingest.chunk import ChunkSettings, chunk_sentences, sentences_of
from qa.ingest.gazetteer import load_gazetteer
from qa.ingest.load import discover, load_document, size_refusal
from qa.ingest.manifest import MANIFEST_NAME, find_row, read_manifest
from qa.records import Chunk, Document, Sentence

from . import sentence_facts, store
from .embed import Embedder, encoder_key, encoder_of, model_fingerprint
from .lexical import LexicalIndex

if TYPE_CHECKING:
    from .milvus_engine import MilvusTarget


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
    read_files: FileReader | None = None,
    engine: str | None = None,
    engine_uri: str | None = None,
) -> BuildReport:
    """Build (or update) the index at `index_dir` from the files in `docs_dirs`.

    Metadata comes from `manifest` and from any manifest.csv inside a
    documents folder. `progress(done, total, stage)` is called as documents
    are loaded ("loading") and sentences embedded ("embedding"). `vector_index`
    is the FAISS index kind ("flat", "hnsw", "ivf"), or "auto" to choose by size.
    `read_files` reads the files elsewhere (on Ray: qa/index/ray_build.py); by
    default they are read here, one after the other. `engine` is the search
    engine the build is written to ("embedded" or "milvus", at `engine_uri`;
    qa/index/milvus_engine.py); by default the live build's.
    """
    started = time.perf_counter()
    report = BuildReport()
    for d in docs_dirs:
        if not Path(d).is_dir():
            raise QAError(f"Documents folder {d} does not exist; pass an existing folder with --docs.")
    with store.build_lock(index_dir):
        files, rows = _discover_sources(docs_dirs, manifest, report.skipped)
        signature = _source_signature(files, rows, embedder, settings, vector_index)
        from . import milvus_engine  # (not at the top: `python -m qa.index.milvus_engine` runs it as __main__)

        target = milvus_engine.target_for(engine, engine_uri, store.read_index_manifest(index_dir))
        if _is_current(index_dir, signature):
            milvus_engine.attach(index_dir, target)  # the same build, moved to the engine asked for
            live = store.read_index_manifest(index_dir) or {}
            report.index_folder = store.current_build(index_dir)
            report.up_to_date = True
            report.indexed = [d["source"] for d in live.get("documents", [])]
            report.seconds = time.perf_counter() - started
            return report
        loading_started = time.perf_counter()
        documents = _load_all(files, rows, report, progress, read_files)
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
        _write_index(documents, index_dir, embedder, settings, signature, report, progress, vector_index, target)
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
    engine: MilvusTarget | None = None,
) -> None:
    """Segment, chunk, embed and write a new build (and into Milvus, when that is
    its engine), then make it the live one."""
    from . import milvus_engine

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
        "encoder": encoder_of(embedder),  # what encoded the vectors; questions are encoded with it too
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
    if engine is not None:
        index_manifest["engine"] = engine.describe(partial.name.removesuffix(".partial"))
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
    if engine is not None:  # before publishing: a failed write leaves the live build serving
        report.stage_seconds["engine"] = milvus_engine.write(index_dir, partial, engine)["seconds"]
    report.index_folder = store.publish(index_dir, partial)
    milvus_engine.prune(index_dir)  # the collections of the builds publish removed
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
    return _repeated_of(_stock_keys(documents, sentences), sentences)


def _stock_keys(documents: list[Document], sentences: list[Sentence]) -> list[str]:
    """Each sentence's words, lower case, digits folded: stock paragraphs differ
    only in phone numbers and dates."""
    return [re.sub(r"\d+", "#", " ".join(documents[s.doc_index].text[s.start : s.end].lower().split()))
            for s in sentences]


def _repeated_of(keys: list[str], sentences: list[Sentence]) -> np.ndarray:
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
    encoder = encoder_key(encoder_of(embedder))
    if encoder != encoder_key(None):  # (torch, as every build before encoders were recorded: those stay current)
        payload.append(encoder)
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


@dataclass(frozen=True, slots=True)
class FileRead:
    """What reading one file gave: its document and warnings, or why it was skipped."""

    rel: str  # path relative to its --docs folder
    document: Document | None = None
    warnings: tuple[str, ...] = ()
    skipped: str | None = None  # the reason, when there is no document


# (root, file, its manifest row): everything reading one file depends on.
ReadRequest = tuple[Path, Path, dict[str, str] | None]
# Reads the files, giving one FileRead per request, in the requests' order.
FileReader = Callable[[list[ReadRequest]], Iterable[FileRead]]


def read_file(root: Path, path: Path, manifest_row: dict[str, str] | None) -> FileRead:
    """Read one file into a Document, or say why not: a pure function of the
    file and its row, so it can run anywhere (a Ray task). It never raises for
    a bad file: one bad file never stops a build."""
    rel = path.relative_to(root).as_posix()
    try:
        doc, warnings = load_document(path, root, gazetteer=load_gazetteer(), manifest_row=manifest_row)
    except UnsupportedDocument as e:
        return FileRead(rel, skipped=str(e).removeprefix(f"{rel}: "))
    except Exception as e:
        return FileRead(rel, skipped=f"could not be read ({type(e).__name__}: {e})")
    return FileRead(rel, doc, tuple(warnings))


def _load_all(
    files: list[tuple[Path, Path]], rows: dict[str, dict[str, str]], report: BuildReport,
    progress: ProgressFn | None, read_files: FileReader | None = None,
) -> list[Document]:
    """Read every file (here, or with `read_files`) and accept the documents in
    file order: the same checks whichever way the files were read."""
    requests = [(root, path, find_row(rows, path.relative_to(root).as_posix())) for root, path in files]
    results = read_files(requests) if read_files else (read_file(*r) for r in requests)
    documents: list[Document] = []
    seen_hashes: dict[str, str] = {}
    seen_ids: set[str] = set()
    for n, result in enumerate(results, 1):
        if progress:
            progress(n, len(files), "loading")
        rel, doc = result.rel, result.document
        if doc is None:
            report.skipped.append((rel, result.skipped or "could not be read"))
            continue
        if doc.content_hash in seen_hashes:
            report.skipped.append((rel, f"identical to {seen_hashes[doc.content_hash]}; indexed once"))
            continue
        seen_hashes[doc.content_hash] = rel
        if doc.doc_id in seen_ids:  # same relative path under two --docs folders
            doc = _with_id(doc, f"{doc.doc_id}~{len(documents)}")
        seen_ids.add(doc.doc_id)
        report.warnings += result.warnings
        documents.append(doc)
    return documents


def _with_id(doc: Document, doc_id: str) -> Document:
    from dataclasses import replace

    return replace(doc, doc_id=doc_id)


# Texts per encode() call; the model pads each batch to its longest text, and
# the texts come sorted by length, so a batch wastes little (chosen with
# `python -m qa.bench.encoders`: docs/choices.md, "Encoders").
ENCODE_BATCH = 32


def _embed(
    documents: list[Document],
    sentences: list[Sentence],
    embedder: Embedder,
    previous: PreviousVectors,
    report: BuildReport,
    progress: ProgressFn | None = None,
    *,
    batch_size: int = ENCODE_BATCH,
) -> np.ndarray:
    """Sentence vectors, each text encoded once (encoding_plan): a sentence
    whose words the previous build already encoded (with the same model and
    encoder) reuses its vector, so a rebuild after a change to cleaning or
    chunking encodes only the sentences that changed; the same words in two
    places are encoded once; stock text takes its first occurrence's vector."""
    vectors = np.zeros((len(sentences), embedder.dimension), dtype=np.float32)
    texts = [documents[s.doc_index].text[s.start : s.end] for s in sentences]
    reused, encode, rows_of = encoding_plan(documents, sentences, texts, previous)
    for i, row in reused.items():
        vectors[i] = previous.sentence_vectors[row]
    for doc_index in sorted({sentences[i].doc_index for rows in rows_of for i in rows}):
        report.embedded.append(documents[doc_index].source)
    if encode:
        # Sorting by length keeps padding (wasted work) per batch small.
        order = sorted(range(len(encode)), key=lambda j: len(encode[j]))
        step = 4096  # slices only to report progress; the model batches inside
        for lo in range(0, len(order), step):
            part = order[lo : lo + step]
            encoded = embedder.encode([encode[j] for j in part], batch_size=batch_size)
            for j, vector in zip(part, encoded, strict=True):
                vectors[rows_of[j]] = vector
            if progress:
                progress(min(lo + step, len(order)), len(order), "embedding")
    return vectors


def encoding_plan(
    documents: list[Document], sentences: list[Sentence], texts: list[str], previous: PreviousVectors,
) -> tuple[dict[int, int], list[str], list[list[int]]]:
    """Which sentences reuse the previous build's vectors ({sentence: row}),
    which texts to encode, and the sentences each encoded text's vector goes to.

    Each distinct text is encoded once (a sentence repeated within or across
    reports: 170,514 sentences of the full collection are 160,340 texts). Stock
    text (repeated_sentences: the same words in REPEATED_MIN_DOCUMENTS documents
    or more, never a candidate for quoting) takes the vector of the first
    sentence with its words, digits folded ("telephone 0300 123 1231" and "...
    1234" are one): those 9,546 sentences are 238 texts to encode, not 1,638. Their
    vectors still matter (they fill the vector search's pools before being
    dropped, and stand beside quotable sentences in the ranker's neighbour
    features), hence the same words' vector rather than none."""
    keys = _stock_keys(documents, sentences)
    repeated = _repeated_of(keys, sentences)
    first_of_key: dict[str, int] = {}
    reused: dict[int, int] = {}
    slot_of: dict[str, int] = {}
    encode: list[str] = []
    rows_of: list[list[int]] = []
    for i, text in enumerate(texts):
        first = first_of_key.setdefault(keys[i], i) if repeated[i] else i
        row = previous.sentence_rows.get(text)  # its own words' vector first
        if row is None and first != i:
            text = texts[first]
            row = previous.sentence_rows.get(text)
        if row is not None:
            reused[i] = row
            continue
        slot = slot_of.get(text)
        if slot is None:
            slot = slot_of[text] = len(encode)
            encode.append(text)
            rows_of.append([])
        rows_of[slot].append(i)
    return reused, encode, rows_of


# A document's own vector encodes its title and opening: the model reads at
# most 256 word pieces, so more characters would only cost tokenising time.
DOCUMENT_VECTOR_CHARS = 2000


def _embed_documents(documents: list[Document], embedder: Embedder, previous: PreviousVectors) -> np.ndarray:
    """One vector per document (for ranking whole documents), reusing the
    previous build's; documents that open alike are encoded once."""
    vectors = np.zeros((len(documents), embedder.dimension), dtype=np.float32)
    rows_of: dict[str, list[int]] = {}
    for i, doc in enumerate(documents):
        opening = doc.text[:DOCUMENT_VECTOR_CHARS]
        row = previous.document_rows.get(opening)
        if row is None:
            rows_of.setdefault(opening, []).append(i)
        else:
            vectors[i] = previous.document_vectors[row]
    if rows_of:
        openings = sorted(rows_of, key=len)
        for opening, vector in zip(openings, embedder.encode(openings, batch_size=ENCODE_BATCH), strict=True):
            vectors[rows_of[opening]] = vector
    return vectors


@dataclass
class PreviousVectors:
    """The live build's vectors, found by the text they encode."""

    sentence_rows: dict[str, int] = field(default_factory=dict)
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    document_rows: dict[str, int] = field(default_factory=dict)
    document_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def _previous_vectors(index_dir: Path, embedder: Embedder) -> PreviousVectors:
    """The live build's vectors by the text they encode, when it was made with the same model and encoder."""
    manifest = store.read_index_manifest(index_dir)
    if (
        not manifest or manifest.get("model") != embedder.name or manifest.get("dimension") != embedder.dimension
        or manifest.get("model_fingerprint") != model_fingerprint(embedder.name)
        or encoder_key(manifest.get("encoder")) != encoder_key(encoder_of(embedder))  # another encoder's vectors
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
