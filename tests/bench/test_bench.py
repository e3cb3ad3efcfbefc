"""The benchmark commands run and report what they claim to (figures are
measured by running them, not asserted here)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from qa.bench import scale

ROOT = Path(__file__).resolve().parents[2]


def test_query_benchmark_on_a_built_index(seed_index_dir, tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, "-m", "qa", "bench", "--skip-build", "--index", str(seed_index_dir), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert r.returncode == 0, r.stderr
    q = json.loads(out.read_text())["queries"]
    assert q["questions"] >= 100 and q["documents"] == 2
    for name in ("search", "ask", *(f"stages/{s}" for s in ("encode", "lexical", "vector", "quote"))):
        row = q["stages"][name.split("/")[1]] if "/" in name else q[name]
        assert 0 < row["p50_ms"] <= row["p95_ms"], (name, row)
    # The stages are parts of a search: together they cannot take longer than it.
    assert sum(q["stages"][s]["p50_ms"] for s in ("lexical", "vector", "quote")) < q["search"]["p95_ms"]
    assert len(q["first_answer_seconds"]) == 3 and q["peak_mb"] > 0 and q["index_mb_on_disk"] > 0
    assert "search p50 / p95" in out.with_suffix(".md").read_text()
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_scale_phases_at_a_small_size(tmp_path):
    rng = np.random.default_rng(0)
    sources = rng.normal(size=(300, 32)).astype(np.float32)
    sources /= np.linalg.norm(sources, axis=1, keepdims=True)
    np.save(tmp_path / "sources.npy", sources)
    flat = scale.vector_phase("flat", 20_000, tmp_path / "sources.npy")
    assert flat["search"][0]["recall_at_10"] == 1.0  # FAISS's exact search against numpy's (scale.exact_top_k)
    hnsw = scale.vector_phase("hnsw", 20_000, tmp_path / "sources.npy")
    recalls = [s["recall_at_10"] for s in hnsw["search"]]
    assert recalls[-1] >= recalls[0] and recalls[-1] >= 0.9  # a wider search finds more
    lexical = scale.lexical_phase(50_000)
    assert lexical["n"] == 50_000 and lexical["p50_ms"] > 0 and lexical["matrix_mb"] > 0


def test_tiled_index_is_the_collection_repeated(seed_docs, tmp_path, fake_embedder):
    """The end-to-end scale run searches copies of a real index: each copy must be whole and
    consistent (its chunks' sentences in its documents, its BM25 scores those of the original)."""
    from qa.bench.scale_end_to_end import NOISE_PER_DIMENSION, tiled_index, tiled_vectors
    from qa.index import dense
    from qa.index.build import build_index
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    real = load_index(tmp_path / "index")
    copies = 3
    vectors = tiled_vectors(real.vectors.reconstruct_n(0, real.vectors.ntotal), copies, seed=0)
    big = tiled_index(real, copies, dense.build_vector_index(vectors, kind="flat"))
    n, m = len(real.sentences), len(real.chunks)
    assert len(big.documents) == copies * len(real.documents) and len(big.chunks) == copies * m
    assert len({d.doc_id for d in big.documents}) == len(big.documents)
    # every chunk's first and last sentences lie in the chunk's own document
    assert np.array_equal(big.sentences[big.chunks[:, 3], 0], big.chunks[:, 0])
    assert np.array_equal(big.sentences[big.chunks[:, 4], 0], big.chunks[:, 0])
    assert np.array_equal(big.chunks[2 * m :, 3:] - 2 * n, real.chunks[:, 3:])
    query = "supervision of social workers"
    assert np.allclose(big.lexical.scores(query), np.tile(real.lexical.scores(query), copies))
    cosines = np.einsum("ij,ij->i", vectors[n : 2 * n], vectors[:n])  # copy 1 against the original
    expected = 1 / np.sqrt(1 + NOISE_PER_DIMENSION**2 * vectors.shape[1])  # near copies, never identical
    assert abs(cosines.mean() - expected) < 0.01 and cosines.max() < 0.9999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    for p in Retriever(big, fake_embedder).search(query, k=10):
        assert big.document(p.doc_id).text[p.start : p.end] == p.quote  # verbatim in every copy


def test_the_held_out_document_is_the_last_report_else_the_last_document():
    from qa.bench.benchmark import file_to_hold_out

    assert file_to_hold_out([Path("a.pdf"), Path("b.txt"), Path("c.PDF"), Path("d.html")]) == Path("c.PDF")
    assert file_to_hold_out([Path("a.txt"), Path("b.docx")]) == Path("b.docx")  # no PDF: not a StopIteration


def test_a_folder_with_nothing_to_build_is_refused_before_any_phase_runs(tmp_path, capsys):
    from qa.bench.benchmark import add_arguments, run_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    (tmp_path / "notes.xyz").write_text("not a document")
    assert run_from_args(parser.parse_args(["--docs", str(tmp_path)])) == 2
    assert "holds no document" in capsys.readouterr().err


def test_the_recall_reference_is_the_true_top_k():
    rng = np.random.default_rng(3)
    vectors, queries = rng.normal(size=(1000, 16)).astype(np.float32), rng.normal(size=(7, 16)).astype(np.float32)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    assert np.array_equal(scale.exact_top_k(vectors, queries, 10, block=128), truth)  # blocks change nothing
