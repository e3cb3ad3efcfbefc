"""Scale simulation: vector and lexical search at sizes the shared collection
does not reach (1M, 5M chunks), with synthetic data shaped like real data.

Vectors: each synthetic vector mixes two real sentence vectors from an index
(one weighted 1, the other 0.6) and Gaussian noise, so neighbourhoods look
like those of real text: topics blend into each other and a query's nearest
neighbours come from many sources (noise around single sources makes tight
clusters that any approximate index finds trivially; uniform noise has no
structure at all). Queries are made the same way. Exact search is the
reference for recall@10.

Lexical: BM25 as bm25s stores it, a sparse term-by-chunk matrix of
precomputed scores; a query sums the columns of its terms. Chunk lengths and
a Zipf vocabulary are drawn to match the collection's.

    python -m qa.bench.scale --sizes 1000000,5000000 --index index --out bench/scale.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SECOND_SOURCE_WEIGHT = 0.6
NOISE_PER_DIMENSION = 0.03  # noise norm about 0.6 in 384 dimensions
QUERIES = 200
K = 10
STOP_WORDS = 30  # the commonest ranks of the synthetic vocabulary


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_vectors(sources: np.ndarray, n: int, *, seed: int) -> np.ndarray:
    """n unit vectors, each a blend of two random sources plus noise (built in blocks to bound memory)."""
    rng = np.random.default_rng(seed)
    d = sources.shape[1]
    out = np.empty((n, d), dtype=np.float32)
    for lo in range(0, n, 200_000):
        m = min(n, lo + 200_000) - lo
        block = (
            sources[rng.integers(0, len(sources), m)]
            + SECOND_SOURCE_WEIGHT * sources[rng.integers(0, len(sources), m)]
            + rng.normal(0, NOISE_PER_DIMENSION, (m, d))
        )
        out[lo : lo + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _latency_ms(search, queries: np.ndarray) -> tuple[float, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        search(q[None, :])
        times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 50_000) -> np.ndarray:
    """The reference for recall: each query's k best rows by inner product,
    computed here with numpy, independently of FAISS, so that an exact FAISS
    index is checked against something other than itself."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for lo in range(0, len(vectors), block):  # in blocks: the score matrix of millions of rows would not fit
        scores = np.concatenate([best_scores, queries @ vectors[lo : lo + block].T], axis=1)
        ids = np.concatenate([best_ids, np.broadcast_to(np.arange(lo, min(lo + block, len(vectors))),
                                                        (len(queries), min(block, len(vectors) - lo)))], axis=1)
        keep = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best_scores, best_ids = np.take_along_axis(scores, keep, 1), np.take_along_axis(ids, keep, 1)
    return best_ids


def vector_phase(kind: str, n: int, sources_path: Path) -> dict:
    """Build one index kind over n synthetic vectors; time, memory, latency, recall@10."""
    from qa.index import dense

    sources = np.load(sources_path)
    vectors = synthetic_vectors(sources, n, seed=1)
    queries = synthetic_vectors(sources, QUERIES, seed=2)
    truth = exact_top_k(vectors, queries, K)
    baseline = _rss_mb() - vectors.nbytes / 2**20  # the process without the data
    started = time.perf_counter()
    index = dense.build_vector_index(vectors, kind=kind)
    build_seconds = time.perf_counter() - started
    del vectors
    index_mb = _rss_mb() - baseline
    results = []
    for params in dense.SEARCH_SETTINGS[kind]:
        dense.apply_search_settings(index, params)
        _, found = index.search(queries, K)
        p50, p95 = _latency_ms(lambda q: index.search(q, K), queries)
        results.append({"params": params, "recall_at_10": _recall(found, truth), "p50_ms": p50, "p95_ms": p95})
    return {"kind": kind, "n": n, "build_seconds": build_seconds, "memory_mb": index_mb, "search": results,
            "describe": dense.describe(index)}


def lexical_phase(n: int, *, vocabulary: int = 60_000, words_per_chunk: int = 45) -> dict:
    """BM25 scoring as bm25s does it (column sums of a sparse score matrix) at n chunks."""
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    before = _rss_mb()
    started = time.perf_counter()
    ranks = np.arange(1, vocabulary + 1)
    p = 1.0 / ranks
    p /= p.sum()
    lengths = np.clip(rng.poisson(words_per_chunk, n), 5, None)
    # Distinct terms per chunk (BM25 needs term frequencies; repeats are rare at this length).
    total = int(lengths.sum())
    terms = rng.choice(vocabulary, size=total, p=p).astype(np.int32)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    counts = sp.csr_matrix((np.ones(total, dtype=np.float32), (rows, terms)), shape=(n, vocabulary))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=vocabulary)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    k1, b = 1.2, 0.75
    length_norm = (k1 * (1 - b + b * lengths / lengths.mean())).astype(np.float32)
    tf = counts.data
    counts.data = idf[counts.indices] * tf * (k1 + 1) / (tf + np.repeat(length_norm, np.diff(counts.indptr)))
    scores = counts.tocsc()
    del counts, terms, rows
    build_seconds = time.perf_counter() - started
    memory_mb = _rss_mb() - before
    # Query words follow the same Zipf law, less the commonest (stop words, which queries drop),
    # so some are frequent words with long posting lists, as in real questions.
    content = np.arange(STOP_WORDS, vocabulary)
    weights = p[STOP_WORDS:] / p[STOP_WORDS:].sum()
    queries = [rng.choice(content, size=5, replace=False, p=weights) for _ in range(QUERIES)]

    def query(term_ids):
        total_scores = np.asarray(scores[:, term_ids].sum(axis=1)).ravel()
        top = np.argpartition(-total_scores, K)[:K]
        return top[np.argsort(-total_scores[top])]

    times = []
    for q in queries:
        t = time.perf_counter()
        query(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"n": n, "build_seconds": build_seconds, "memory_mb": memory_mb,
            "matrix_mb": (scores.data.nbytes + scores.indices.nbytes + scores.indptr.nbytes) / 2**20,
            "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def _run_phase(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "qa.bench.scale", "--phase", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"scale phase {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(sizes: list[int], index_dir: Path, kinds: list[str], work: Path) -> dict:
    """Each (kind, size) in its own process, so memory figures are its own."""
    from qa.index import dense
    from qa.index.store import load_index

    index = load_index(index_dir)
    sources = dense.vectors_of(index.vectors, np.arange(index.vectors.ntotal))
    work.mkdir(parents=True, exist_ok=True)
    sources_path = work / "sources.npy"
    np.save(sources_path, sources)
    out: dict = {"sources": str(index_dir), "source_vectors": len(sources), "vector": [], "lexical": []}
    for n in sizes:
        for kind in kinds:
            print(f"vectors: {kind} at {n:,}", file=sys.stderr, flush=True)
            out["vector"].append(_run_phase("vector", kind, str(n), str(sources_path)))
        print(f"lexical at {n:,}", file=sys.stderr, flush=True)
        out["lexical"].append(_run_phase("lexical", str(n)))
    return out


def format_table(results: list[dict]) -> str:
    """Markdown: one row per (size, index kind, search setting), then the lexical side."""
    lines = ["| rows | index | search setting | recall@10 | p50 ms | p95 ms | build s | memory MB |",
             "|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for v in r["vector"]:
            for x in v["search"]:
                setting = ", ".join(f"{k} {val}" for k, val in x["params"].items()) or "exact"
                lines.append(f"| {v['n']:,} | {v['kind']} | {setting} | {x['recall_at_10']:.3f} | {x['p50_ms']:.2f} | "
                             f"{x['p95_ms']:.2f} | {v['build_seconds']:.0f} | {v['memory_mb']:,.0f} |")
    lines += ["", "| chunks | lexical (BM25 score matrix) | p50 ms | p95 ms | build s | memory MB |",
              "|---:|---|---:|---:|---:|---:|"]
    for r in results:
        for x in r["lexical"]:
            lines.append(f"| {x['n']:,} | {x['matrix_mb']:,.0f} MB matrix | {x['p50_ms']:.1f} | {x['p95_ms']:.1f} | "
                         f"{x['build_seconds']:.0f} | {x['memory_mb']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.bench.scale", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000000,5000000")
    p.add_argument("--kinds", default="flat,hnsw,ivf")
    p.add_argument("--index", type=Path, default=Path("index"), help="index whose sentence vectors seed the data")
    p.add_argument("--out", type=Path)
    p.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:
        kind, *rest = args.phase
        if kind == "vector":
            result = vector_phase(rest[0], int(rest[1]), Path(rest[2]))
        else:
            result = lexical_phase(int(rest[0]))
        print(json.dumps(result))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    result = run(sizes, args.index, args.kinds.split(","), Path("/tmp/qa-scale"))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(format_table([result]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
