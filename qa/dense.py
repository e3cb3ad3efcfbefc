"""Vector search over unit vectors with FAISS (inner product = cosine).

Functions take and return arrays; the model never enters this module.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


def build_vector_index(vectors: np.ndarray) -> faiss.Index:
    """An exact inner-product index. Exact search is the right choice up to
    hundreds of thousands of sentences on one machine (see README, Scale)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    return index


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


def load(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))
