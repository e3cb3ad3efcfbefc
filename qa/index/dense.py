"""Vector search over unit vectors with FAISS (inner product = cosine).

Functions take and return arrays; the model never enters this module.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Index kinds and the search settings worth measuring for each (qa.scale).
VECTOR_INDEX_KINDS = ("flat", "hnsw", "ivf")
SEARCH_SETTINGS = {
    "flat": [{}],
    "hnsw": [{"efSearch": e} for e in (32, 64, 128, 256, 512)],
    "ivf": [{"nprobe": n} for n in (16, 32, 64, 128, 256)],
}
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80


def build_vector_index(vectors: np.ndarray, *, kind: str = "flat") -> faiss.Index:
    """An inner-product index over unit vectors: exact ("flat"), a graph
    ("hnsw") or inverted lists ("ivf"). Every kind can give back its stored
    vectors (reconstruct), which ranking needs."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, d = vectors.shape
    if kind == "flat" or n == 0:
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = DEFAULT_EF_SEARCH
    elif kind == "ivf":
        nlist = max(1, min(n // 39, int(4 * np.sqrt(n))))  # faiss wants >= 39 training points per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(n, min(n, 64 * nlist), replace=False)]
        index.train(sample)
        index.nprobe = DEFAULT_NPROBE
    else:
        raise ValueError(f"Unknown vector index kind {kind!r}; use one of {', '.join(VECTOR_INDEX_KINDS)}.")
    if n:
        index.add(vectors)
    if kind == "ivf" and n:
        index.make_direct_map()  # reconstruct by id
    return index


# Up to this many vectors exact search is fast enough; beyond it a graph index
# keeps search fast at no measured loss. Exact search grows with the vectors
# (one pass over them per question): on the full shared collection (170,514
# sentence vectors, two cores) the vector stage took 35 ms at p50 against 7 ms
# with HNSW, and search 66-67 ms against 40-42 ms; the answering passage's rank
# was the same with either on every dev and test question (top one / five /
# twenty 0.770 / 0.945 / 0.970 and 0.719 / 0.892 / 0.941). Below 100,000 exact
# search costs under about 20 ms and nothing is approximate.
EXACT_MAX_VECTORS = 100_000
# The retriever asks for 400 neighbours and faiss's HNSW keeps max(efSearch, k)
# candidates, so only values above 400 widen the search. End to end at 1M chunks
# (python -m qa.bench.scale_end_to_end), the product's top 10 quotes matched exact
# search's at 0.946 with 128, 0.979 with 800 and 0.982 with 1600, at the same
# p50 (56-59 ms): 800.
DEFAULT_EF_SEARCH = 800
DEFAULT_NPROBE = 32


def choose_kind(n: int, requested: str = "auto") -> str:
    """The index kind for n vectors: `requested`, or by size when "auto"."""
    if requested != "auto":
        if requested not in VECTOR_INDEX_KINDS:
            raise ValueError(f"Unknown vector index kind {requested!r}; use auto, {', '.join(VECTOR_INDEX_KINDS)}.")
        return requested
    return "flat" if n <= EXACT_MAX_VECTORS else "hnsw"


def apply_search_settings(index: faiss.Index, params: dict) -> None:
    for name, value in params.items():
        faiss.ParameterSpace().set_index_parameter(index, name, value)


def describe(index: faiss.Index) -> dict:
    """What the manifest records about the vector index."""
    out: dict = {"kind": "flat", "vectors": int(index.ntotal)}
    if isinstance(index, faiss.IndexHNSWFlat):
        out.update(kind="hnsw", M=HNSW_M, efConstruction=int(index.hnsw.efConstruction),
                   efSearch=int(index.hnsw.efSearch))
    elif isinstance(index, faiss.IndexIVFFlat):
        out.update(kind="ivf", nlist=int(index.nlist), nprobe=int(index.nprobe))
    return out


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) per query row; ids are -1 where fewer than k exist."""
    k = max(1, min(k, index.ntotal)) if index.ntotal else 1
    if index.ntotal == 0:
        n = len(queries)
        return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


def vectors_of(index: faiss.Index, ids: np.ndarray) -> np.ndarray:
    """The stored vectors of the given rows (for scoring sentences of a chunk)."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_batch(ids)


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path, description: dict | None = None) -> faiss.Index:
    """Read an index; search settings are not stored in the file, so they come from its description."""
    index = faiss.read_index(str(path))
    description = description or {}
    if description.get("kind") == "hnsw":
        # A search-time setting: a build recorded with a narrower search (older
        # defaults) is searched at least as wide as the current default.
        index.hnsw.efSearch = max(int(description.get("efSearch", DEFAULT_EF_SEARCH)), DEFAULT_EF_SEARCH)
    elif description.get("kind") == "ivf":
        index.nprobe = int(description.get("nprobe", DEFAULT_NPROBE))
        index.make_direct_map()
    return index
