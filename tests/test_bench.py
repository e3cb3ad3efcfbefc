"""The benchmark commands run and report what they claim to (figures are
measured by running them, not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from qa import scale

ROOT = Path(__file__).resolve().parent.parent


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
    assert flat["search"][0]["recall_at_10"] == 1.0  # exact search is its own reference
    hnsw = scale.vector_phase("hnsw", 20_000, tmp_path / "sources.npy")
    recalls = [s["recall_at_10"] for s in hnsw["search"]]
    assert recalls[-1] >= recalls[0] and recalls[-1] >= 0.9  # a wider search finds more
    lexical = scale.lexical_phase(50_000)
    assert lexical["n"] == 50_000 and lexical["p50_ms"] > 0 and lexical["matrix_mb"] > 0
