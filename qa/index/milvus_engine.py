"""Milvus behind the candidate seam (qa/search/candidates.py): writing a build
into it, and `MilvusSource`, which answers the retriever's two asks from it.

A build is written as two collections named after the build folder, so the
previous build's collections keep serving until the new build is published:

    <prefix>_<build>_sentences  id (= sentence row), vector, exact, doc, repeated + the document's scalars
    <prefix>_<build>_chunks     id (= chunk row), terms (BM25 Function -> sparse), doc + the scalars

The scalars are each document's authority (its places, an array), region,
year (document_year, 0 when unknown), overall grade and type, so the filters
(qa.search.filters.Filters) run in Milvus as scalar filter expressions.

`vector` is indexed as the build's FAISS index is (HNSW for the full
collection) and answers asks of the whole collection. `exact` holds the same
vectors under a FLAT index and answers asks within a scope (a few documents,
or those the filters allow), exactly as the embedded engine does: Milvus's HNSW
searched with a selective filter returns a fraction of the neighbours asked for
(milvus-lite on the full collection: 22% of 400, docs/engines.md). It costs a
second copy of the sentence vectors; a build whose index is flat has no `exact`.

`terms` is the chunk's lexical text already analysed by qa.index.lexical.tokenize
(the stems, space-separated) and Milvus tokenizes it only by splitting: Milvus's
own English analyzer stems and drops stop words differently (and milvus-lite
has no stemmer at all), so the BM25 of a chunk in Milvus would not be the
embedded engine's. With the same terms, k1 and b, Milvus's BM25 is bm25s's
(Lucene's) times (k1 + 1): the scores returned are divided by it.

Milvus-lite (a .db path, the default: `<index>/milvus.db`) runs in this process
and serves one process at a time; a server or cluster (`http://host:19530`) is
shared. The rows, the vectors and the manifest stay in the local build: the
retriever still reads them for everything after the candidates.

    python -m qa.index.milvus_engine --index DIR [--uri URI]   # push an existing build, record it

Collections this index folder created are listed in <index>/milvus-collections.json,
so a build that removes old builds drops their collections too (and those of a
build killed before it was published).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import IndexDamaged, QAError
from qa.records import ChunkColumn

from . import dense, store

if TYPE_CHECKING:
    from qa.search.candidates import Scope
    from qa.search.filters import Filters

    from .store import LoadedIndex

DEFAULT_URI = "milvus.db"  # relative to the index folder: milvus-lite, in this process
DEFAULT_PREFIX = "qa"
LEDGER = "milvus-collections.json"
TOKEN_ENV = "QA_MILVUS_TOKEN"  # "user:password" or an API key, for a server with authentication
BM25_K1, BM25_B = 1.2, 0.75  # qa.index.lexical's
# Lexical candidates asked of Milvus per ask (the retriever needs 100); the
# candidates found by meaning below them get their own scores by lexical_scores.
LEXICAL_DEPTH = 1000
MAX_TOPK = 16384  # Milvus's limit on one search
EXACT_FIELD = "exact"  # the sentence vectors again, FLAT: for asks within a scope (the module's note)
EMPTY_CHUNK = "qa_empty_chunk"  # an empty chunk keeps bm25s's one-token length
BATCH_ROWS = 2000
MAX_TERMS_BYTES = 65_535  # a VARCHAR's limit
MAX_PLACES = 4096  # an ARRAY's limit


class EngineUnavailable(QAError):
    """The search engine cannot be reached or refused a request."""


@dataclass(frozen=True, slots=True)
class MilvusTarget:
    """Where a build's collections go."""

    uri: str = DEFAULT_URI  # a path ending in .db (milvus-lite; relative: inside the index folder) or http(s)://
    prefix: str = DEFAULT_PREFIX
    shards: int = 1  # on a server: BM25 statistics are kept per shard, so one shard scores like the embedded engine

    def collections(self, build_name: str) -> dict[str, str]:
        base = f"{self.prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', build_name)}"
        return {"sentences": f"{base}_sentences", "chunks": f"{base}_chunks"}

    def describe(self, build_name: str) -> dict:
        """What the manifest records as its "engine". (The vector index is the
        build's FAISS kind in Milvus's terms: _milvus_vector_index.)"""
        return {
            "kind": "milvus", "uri": self.uri, "prefix": self.prefix, "shards": self.shards,
            "collections": self.collections(build_name),
            "bm25": {"k1": BM25_K1, "b": BM25_B, "terms": "qa.index.lexical.tokenize, space-separated"},
        }


# ---------------------------------------------------------------- connecting

_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def is_lite(uri: str) -> bool:
    return "://" not in uri


def resolve_uri(uri: str, index_dir: Path) -> str:
    """A server's URI as it is; a milvus-lite path made absolute, relative ones inside the index folder."""
    if not is_lite(uri):
        return uri
    if not uri.endswith(".db"):
        raise QAError(f"A milvus-lite engine is a path ending in .db (got {uri!r}); for a server give http://host:19530.")
    path = Path(uri)
    return str(path if path.is_absolute() else Path(index_dir).resolve() / path)


def connect(uri: str):
    """One client per URI per process (milvus-lite: one in-process server per .db folder)."""
    with _clients_lock:
        if uri in _clients:
            return _clients[uri]
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise EngineUnavailable(
                "This index searches Milvus, and pymilvus is not installed: "
                "`pip install -r requirements-cluster.txt` (or rebuild with `python -m qa build --engine embedded`)."
            ) from None
        try:
            client = MilvusClient(uri=uri, token=os.environ.get(TOKEN_ENV, ""))
        except Exception as e:  # pymilvus raises its own types and grpc's
            hint = (" milvus-lite serves one process at a time: is another process (the app, a build) using it?"
                    if is_lite(uri) else "")
            raise EngineUnavailable(f"Cannot open Milvus at {uri} ({_reason(e)}).{hint}") from None
        _clients[uri] = client
        return client


def _reason(e: Exception) -> str:
    return str(getattr(e, "message", "") or e).strip().splitlines()[0][:300] if str(e) else type(e).__name__


# ---------------------------------------------------------------- writing


def write(index_dir: Path, folder: Path, target: MilvusTarget) -> dict:
    """Write the build in `folder` (finished, not yet published) into new
    collections named after it. Any failure drops what was written and raises
    EngineUnavailable: the build is then not published and the live one keeps serving."""
    loaded = store._load_build(index_dir, folder)
    return push(loaded, index_dir, target, build_name=folder.name.removesuffix(".partial"))


def push(index: LoadedIndex, index_dir: Path, target: MilvusTarget, *, build_name: str) -> dict:
    """Create the build's collections and insert its sentences and chunks; a
    summary (rows, seconds, how far its BM25 is from the embedded engine's)."""
    from pymilvus import DataType, Function, FunctionType

    started = time.perf_counter()
    uri = resolve_uri(target.uri, index_dir)
    client = connect(uri)
    names = target.collections(build_name)
    scalars = _document_scalars(index)
    capacity = max(1, min(MAX_PLACES, max((len(d.places) for d in index.documents), default=1)))
    _remember(index_dir, target.uri, names.values(), build_name)
    try:
        for name in names.values():
            if client.has_collection(name):
                client.drop_collection(name)
        extra = {} if is_lite(uri) else {"num_shards": target.shards}

        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(index.vectors.d))
        vector_index = _milvus_vector_index(index.manifest.get("vector_index") or {})
        exact = vector_index["index_type"] != "FLAT"
        if exact:
            schema.add_field(EXACT_FIELD, DataType.FLOAT_VECTOR, dim=int(index.vectors.d))
        schema.add_field("doc", DataType.INT64)
        schema.add_field("repeated", DataType.BOOL)
        _add_scalar_fields(schema, DataType, capacity)
        params = client.prepare_index_params()
        params.add_index(field_name="vector", index_type=vector_index["index_type"], metric_type="IP",
                         params=_build_params(uri, vector_index["params"]))
        if exact:
            params.add_index(field_name=EXACT_FIELD, index_type="FLAT", metric_type="IP", params={})
        client.create_collection(names["sentences"], schema=schema, index_params=params, **extra)

        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc", DataType.INT64)
        # Already analysed: Milvus only splits it (see the module's note).
        analyzer = {"tokenizer": "standard"} if is_lite(uri) else {"tokenizer": "whitespace"}
        schema.add_field("terms", DataType.VARCHAR, max_length=MAX_TERMS_BYTES, enable_analyzer=True,
                         analyzer_params=analyzer)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        _add_scalar_fields(schema, DataType, capacity)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        params = client.prepare_index_params()
        params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params=_build_params(uri, {"bm25_k1": BM25_K1, "bm25_b": BM25_B}))
        client.create_collection(names["chunks"], schema=schema, index_params=params, **extra)

        _insert(client, names["sentences"], _sentence_rows(index, scalars, exact=exact))
        _insert(client, names["chunks"], _chunk_rows(index, scalars))
        for name in names.values():
            client.flush(name)
            client.load_collection(name)
    except Exception as e:
        drop(index_dir, target.uri, names.values())
        if isinstance(e, QAError):
            raise
        raise EngineUnavailable(f"Writing the build into Milvus at {uri} failed ({_reason(e)}); "
                                "nothing was published: the previous index, if any, is unchanged.") from e
    try:  # a check, not part of the write
        difference = bm25_difference(index, uri, names["chunks"])
    except Exception:
        difference = None
    return {"uri": uri, "collections": names, "sentences": len(index.sentences), "chunks": len(index.chunks),
            "seconds": round(time.perf_counter() - started, 1), "bm25_relative_difference": difference}


def _build_params(uri: str, params: dict) -> dict:
    """An index's build parameters: pymilvus 3 sends each as its own key, which
    milvus-lite 3.2 ignores (it reads them only from one JSON "params" key, which
    a server reads too); without this, lite's BM25 has k1 1.5 and HNSW its defaults."""
    return {"params": params} if is_lite(uri) and params else params


def _add_scalar_fields(schema, DataType, capacity: int) -> None:  # noqa: N803 (pymilvus's enum, passed in)
    schema.add_field("authority", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=capacity,
                     max_length=256)
    schema.add_field("region", DataType.VARCHAR, max_length=256)
    schema.add_field("year", DataType.INT64)
    schema.add_field("grade", DataType.VARCHAR, max_length=256)
    schema.add_field("type", DataType.VARCHAR, max_length=32)


def _document_scalars(index: LoadedIndex) -> list[dict]:
    """Each document's filterable metadata, as Filters.allows reads it."""
    from qa.search.filters import document_year

    return [{
        "authority": [p[:256] for p in d.places[:MAX_PLACES]],
        "region": d.meta.get("region", "").lower()[:256],
        "year": document_year(d) or 0,
        "grade": d.meta.get("overall_effectiveness", "").lower()[:256],
        "type": d.kind[:32],
    } for d in index.documents]


def _sentence_rows(index: LoadedIndex, scalars: list[dict], *, exact: bool):
    docs = index.doc_of_sentence
    for start in range(0, len(index.sentences), BATCH_ROWS):
        ids = np.arange(start, min(start + BATCH_ROWS, len(index.sentences)))
        vectors = dense.vectors_of(index.vectors, ids).tolist()
        yield [{"id": int(i), "vector": v, **({EXACT_FIELD: v} if exact else {}), "doc": int(docs[i]),
                "repeated": bool(index.repeated[i]), **scalars[docs[i]]} for i, v in zip(ids, vectors, strict=True)]


def _chunk_rows(index: LoadedIndex, scalars: list[dict]):
    from qa.index.build import lexical_text
    from qa.index.lexical import tokenize

    batch = []
    for i, row in enumerate(index.chunks):
        d = int(row[ChunkColumn.DOC])
        terms = " ".join(tokenize(lexical_text(index.documents[d], index.chunk(i)))) or EMPTY_CHUNK
        if len(terms.encode()) > MAX_TERMS_BYTES:  # (a chunk of some 8,000 words: none in the collection)
            terms = terms.encode()[:MAX_TERMS_BYTES].decode(errors="ignore").rsplit(" ", 1)[0]
        batch.append({"id": i, "terms": terms, "doc": d, **scalars[d]})
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(client, name: str, batches) -> None:
    for rows in batches:
        client.insert(name, rows)


def bm25_difference(index: LoadedIndex, uri: str, chunks: str, *, probes: int = 20) -> float:
    """The largest relative difference between Milvus's BM25 of its top ten
    chunks and bm25s's, over probe questions made of the collection's own words
    (0.0: the same scores; milvus-lite keeps statistics per segment, a server per shard)."""
    vocabulary = sorted(t for t in index.lexical.vocabulary if re.fullmatch(r"\w+", t))  # (bm25s also holds "")
    if not vocabulary or not len(index.chunks):
        return 0.0
    rng = np.random.default_rng(0)
    client, worst = connect(uri), 0.0
    for _ in range(probes):
        terms = [vocabulary[i] for i in rng.choice(len(vocabulary), size=3)]
        ids, scores = _bm25_search(client, chunks, terms, min(10, len(index.chunks)), "")
        if len(ids):
            expected = index.lexical.scores_of_terms(terms)[ids]
            worst = max(worst, float(np.max(np.abs(scores - expected) / np.maximum(expected, 1e-9))))
    return round(worst, 6)


# ---------------------------------------------------------------- the collections an index folder made


def _ledger(index_dir: Path) -> list[dict]:
    try:
        return json.loads((Path(index_dir) / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def _save_ledger(index_dir: Path, rows: list[dict]) -> None:
    path = Path(index_dir) / LEDGER
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _remember(index_dir: Path, uri: str, names, build_name: str) -> None:
    """Listed before they are created: a build killed while writing leaves nothing unlisted."""
    rows = _ledger(index_dir)
    known = {(r["uri"], r["collection"]) for r in rows}
    rows += [{"uri": uri, "collection": n, "build": build_name} for n in names if (uri, n) not in known]
    _save_ledger(index_dir, rows)


def drop(index_dir: Path, uri: str, names) -> None:
    """Drop these collections (if there) at `uri` (as recorded: a lite path
    relative to the index folder) and forget them."""
    names = set(names)
    try:
        client = connect(resolve_uri(uri, index_dir))
        for name in names:
            if client.has_collection(name):
                client.drop_collection(name)
    except Exception:  # unreachable: they stay listed, for the next build to drop
        return
    _save_ledger(index_dir, [r for r in _ledger(index_dir) if not (r["uri"] == uri and r["collection"] in names)])


def prune(index_dir: Path) -> None:
    """Drop the collections of builds this index folder no longer holds."""
    builds = Path(index_dir) / "builds"
    present = {p.name.removesuffix(".partial") for p in builds.iterdir()} if builds.is_dir() else set()
    gone: dict[str, list[str]] = {}
    for r in _ledger(index_dir):
        if r["build"] not in present:
            gone.setdefault(r["uri"], []).append(r["collection"])
    for uri, names in gone.items():
        drop(index_dir, uri, names)


# ---------------------------------------------------------------- builds and their engine


def target_for(engine: str | None, uri: str | None, live_manifest: dict | None) -> MilvusTarget | None:
    """The engine a build writes to: the one asked for, else the live build's
    (a rebuild keeps its engine); None for embedded."""
    live = (live_manifest or {}).get("engine") or {}
    if engine is None:
        engine = "milvus" if uri or live.get("kind") == "milvus" else "embedded"
    if engine == "embedded":
        if uri:
            raise QAError("--engine-uri is for --engine milvus.")
        return None
    if engine != "milvus":
        raise QAError(f"Unknown search engine {engine!r}: use embedded or milvus.")
    if uri is not None:
        resolve_uri(uri, Path("."))  # a lite path that is not a .db file is refused before anything is built
    if uri is None and live.get("kind") == "milvus":
        return MilvusTarget(live["uri"], live.get("prefix", DEFAULT_PREFIX), int(live.get("shards", 1)))
    return MilvusTarget(uri or DEFAULT_URI)


def attach(index_dir: Path, target: MilvusTarget | None) -> dict | None:
    """Give the live build the engine asked for when it has another one: its
    collections written (for Milvus) and its manifest rewritten to name them.
    Nothing is rebuilt or re-embedded. Returns the push summary, if any."""
    folder = store.current_build(index_dir)
    manifest = store.read_index_manifest(index_dir)
    if folder is None or manifest is None:
        raise QAError(f"No index at {index_dir}: build one with `python -m qa build --index {index_dir}`.")
    live = manifest.get("engine") or {"kind": "embedded"}
    wanted = target.describe(folder.name) if target else {"kind": "embedded"}
    if live == wanted and (target is None or _collections_exist(index_dir, live)):
        return None
    summary = push(store.load_index(index_dir), index_dir, target, build_name=folder.name) if target else None
    _rewrite_manifest(folder, engine=wanted if target else None)
    return summary


def _collections_exist(index_dir: Path, engine: dict) -> bool:
    try:
        client = connect(resolve_uri(engine["uri"], index_dir))
        return all(client.has_collection(n) for n in engine["collections"].values())
    except Exception:
        return False


def _rewrite_manifest(folder: Path, *, engine: dict | None) -> None:
    """The build's manifest with `engine` recorded (None: embedded), its checksum renewed, replaced atomically."""
    path = folder / store.MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("engine", None)
    if engine is not None:
        manifest["engine"] = engine
    manifest["checksum"] = store._manifest_checksum(manifest)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _milvus_vector_index(vector_index: dict) -> dict:
    """The build's FAISS index kind, in Milvus's terms, so both search alike."""
    kind = vector_index.get("kind", "flat")
    if kind == "hnsw":
        return {"index_type": "HNSW", "params": {"M": int(vector_index.get("M", dense.HNSW_M)),
                                                  "efConstruction": int(vector_index.get("efConstruction", 80))},
                "search": {"ef": max(int(vector_index.get("efSearch", 0)), dense.DEFAULT_EF_SEARCH)}}
    if kind == "ivf":
        return {"index_type": "IVF_FLAT", "params": {"nlist": int(vector_index.get("nlist", 128))},
                "search": {"nprobe": int(vector_index.get("nprobe", dense.DEFAULT_NPROBE))}}
    return {"index_type": "FLAT", "params": {}, "search": {}}


# ---------------------------------------------------------------- searching


def filter_expression(filters: Filters) -> str:
    """Filters as a Milvus boolean expression over the scalar fields (Filters.allows' semantics)."""
    parts = []
    if filters.authorities:
        parts.append(f"array_contains_any(authority, {_strings(filters.authorities)})")
    if filters.regions:
        parts.append(f"region in {_strings(r.lower() for r in filters.regions)}")
    if filters.year_from or filters.year_to:
        parts.append("year > 0")  # a document of no known year is outside every range
        if filters.year_from:
            parts.append(f"year >= {int(filters.year_from)}")
        if filters.year_to:
            parts.append(f"year <= {int(filters.year_to)}")
    if filters.grades:
        grades = ['grade like "requires improvement%"' if g.startswith("requires improvement")
                  else f"grade == {json.dumps(g)}" for g in filters.grades]
        parts.append("(" + " or ".join(grades) + ")")
    if filters.kinds:
        parts.append(f"type in {_strings(filters.kinds)}")
    return " and ".join(parts)


def _strings(values) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def scope_expression(scope: Scope | None) -> str | None:
    """The Milvus filter for a scope: "" for the whole collection, None for an empty scope."""
    if scope is None:
        return ""
    if not scope.mask.any():
        return None
    parts = [filter_expression(scope.filters)] if scope.filters is not None and scope.filters.active else []
    if scope.documents is not None or not parts:  # named documents (or a scope given only as a mask)
        chosen = scope.documents if scope.documents is not None else scope.mask
        parts.append(f"doc in {np.flatnonzero(chosen).tolist()}")
    return " and ".join(p for p in parts if p)


class MilvusSource:
    """The retriever's candidates from Milvus (see qa/search/candidates.py)."""

    kind = "milvus"
    scores_every_chunk = False  # the best lexical_depth: the candidates' own scores are asked for

    def __init__(self, index: LoadedIndex, engine: dict, *, lexical_depth: int = LEXICAL_DEPTH):
        self.uri = resolve_uri(engine["uri"], index.folder.parent.parent)
        self._client = connect(self.uri)
        self._sentences, self._chunks = engine["collections"]["sentences"], engine["collections"]["chunks"]
        self._n_sentences, self._n_chunks = len(index.sentences), len(index.chunks)
        self._dense_search = _milvus_vector_index(index.manifest.get("vector_index") or {})["search"]
        self.lexical_depth = lexical_depth
        try:
            missing = [n for n in (self._sentences, self._chunks) if not self._client.has_collection(n)]
            if missing:
                raise IndexDamaged(
                    f"The index at {index.folder.parent.parent} searches Milvus collections that are not at "
                    f"{self.uri}: {', '.join(missing)}; rebuild it with `python -m qa build --engine milvus`."
                )
            for name in (self._sentences, self._chunks):
                self._client.load_collection(name)
            fields = {f["name"] for f in self._client.describe_collection(self._sentences)["fields"]}
        except QAError:
            raise
        except Exception as e:
            raise EngineUnavailable(f"Milvus at {self.uri} did not load the index's collections ({_reason(e)}).") from e
        # (collections written before `exact` existed search a scope by `vector`, filtered)
        self._scoped_field = EXACT_FIELD if EXACT_FIELD in fields else "vector"

    def dense_sentences(self, qvec: np.ndarray, k: int, scope: Scope | None = None) -> np.ndarray:
        expression = scope_expression(scope)
        k = min(k, self._n_sentences, MAX_TOPK)
        if expression is None or k <= 0:
            return np.zeros(0, dtype=np.int64)
        field, params = "vector", dict(self._dense_search)
        if scope is not None and self._scoped_field == EXACT_FIELD:
            field, params = EXACT_FIELD, {}
        elif "ef" in params:
            params["ef"] = max(params["ef"], k)
        hits = self._search(self._sentences, [np.asarray(qvec, dtype=np.float32).tolist()], field, k, expression,
                            {"metric_type": "IP", "params": params})
        return np.array([h["id"] for h in hits], dtype=np.int64)

    def lexical_chunks(self, terms: list[str], k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        expression = scope_expression(scope)
        k = min(max(k, self.lexical_depth), self._n_chunks, MAX_TOPK)
        if expression is None or not terms or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        try:
            return _bm25_search(self._client, self._chunks, terms, k, expression)
        except Exception as e:
            raise EngineUnavailable(f"Milvus at {self.uri} could not search {self._chunks} ({_reason(e)}).") from e

    def lexical_scores(self, terms: list[str], chunk_ids: np.ndarray) -> np.ndarray:
        """BM25 searches limited to these chunks' ids, MAX_TOPK ids at a time."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        scores = np.zeros(len(chunk_ids), dtype=np.float32)
        if not terms or not len(chunk_ids):
            return scores
        position = {int(c): i for i, c in enumerate(chunk_ids)}
        try:
            for start in range(0, len(chunk_ids), MAX_TOPK):
                batch = chunk_ids[start:start + MAX_TOPK]
                ids, found = _bm25_search(self._client, self._chunks, terms, len(batch),
                                          f"id in {batch.tolist()}")
                scores[[position[int(i)] for i in ids]] = found
        except Exception as e:
            raise EngineUnavailable(f"Milvus at {self.uri} could not search {self._chunks} ({_reason(e)}).") from e
        return scores

    def _search(self, collection: str, data: list, field: str, k: int, expression: str, params: dict) -> list[dict]:
        try:
            result = self._client.search(collection, data=data, anns_field=field, limit=k, filter=expression,
                                         search_params=params, output_fields=[])
        except Exception as e:
            raise EngineUnavailable(f"Milvus at {self.uri} could not search {collection} ({_reason(e)}).") from e
        return list(result[0])


def _bm25_search(client, collection: str, terms: list[str], k: int, expression: str) -> tuple[np.ndarray, np.ndarray]:
    """Ids and BM25 (bm25s's scale) of the k best chunks for these terms."""
    result = client.search(collection, data=[" ".join(terms)], anns_field="sparse", limit=k, filter=expression,
                           search_params={"metric_type": "BM25"}, output_fields=[])
    hits = list(result[0])
    ids = np.array([h["id"] for h in hits], dtype=np.int64)
    # milvus-lite reports BM25 negated (as a distance), a server as the score; Milvus's is (k1 + 1) times bm25s's
    scores = np.array([abs(h["distance"]) for h in hits], dtype=np.float32) / np.float32(BM25_K1 + 1)
    return ids, scores


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.index.milvus_engine",
                                description="Write an index's live build into Milvus and record it as its engine.")
    p.add_argument("--index", type=Path, required=True, help="index folder")
    p.add_argument("--uri", default=None,
                   help=f"Milvus URI (default: {DEFAULT_URI} inside the index folder, milvus-lite)")
    p.add_argument("--embedded", action="store_true", help="record the embedded engine instead (collections kept)")
    args = p.parse_args(argv)
    try:
        with store.build_lock(args.index):
            target = None if args.embedded else target_for("milvus", args.uri, store.read_index_manifest(args.index))
            summary = attach(args.index, target)
            prune(args.index)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(summary or {"unchanged": True}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
