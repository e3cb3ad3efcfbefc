import numpy as np
import pytest

from qa.index import dense


def test_faiss_top_k_matches_numpy_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.normal(size=(20, 32)).astype(np.float32)
    index = dense.build_vector_index(vectors)
    scores, ids = dense.search(index, queries, 10)
    brute = queries @ vectors.T
    expected = np.argsort(-brute, axis=1)[:, :10]
    assert (ids == expected).all()
    assert np.allclose(scores, np.take_along_axis(brute, expected, axis=1), atol=1e-5)
    assert np.allclose(dense.vectors_of(index, np.array([3, 7])), vectors[[3, 7]])


def test_k_larger_than_index():
    index = dense.build_vector_index(np.eye(3, dtype=np.float32))
    _, ids = dense.search(index, np.eye(3, dtype=np.float32)[:1], 10)
    assert sorted(ids[0].tolist()) == [0, 1, 2]


def _clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, d))
    v = centres[rng.integers(0, 50, n)] + rng.normal(0, 0.3, (n, d))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_indexes_find_what_exact_search_finds(kind, tmp_path):
    vectors, queries = _clustered(5000), _clustered(50, seed=1)
    _, exact = dense.search(dense.build_vector_index(vectors), queries, 10)
    index = dense.build_vector_index(vectors, kind=kind)
    dense.save(index, tmp_path / "v.faiss")
    loaded = dense.load(tmp_path / "v.faiss", dense.describe(index))
    assert dense.describe(loaded)["kind"] == kind
    _, found = dense.search(loaded, queries, 10)
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
    assert recall >= 0.9, recall
    assert np.allclose(dense.vectors_of(loaded, np.array([3, 4999])), vectors[[3, 4999]])  # ranking reads vectors back


def test_index_kind_is_chosen_by_size_unless_asked():
    assert dense.choose_kind(1000) == "flat"
    assert dense.choose_kind(dense.EXACT_MAX_VECTORS + 1) == "hnsw"
    assert dense.choose_kind(10, "ivf") == "ivf"
    with pytest.raises(ValueError, match="auto, flat, hnsw, ivf"):
        dense.choose_kind(10, "annoy")
