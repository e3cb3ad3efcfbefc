import numpy as np

from qa import dense


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
