"""End-to-end search at a million chunks: the real collection tiled.

`qa.scale` measures the vector and lexical parts alone at 1M and 5M rows.
This runs the product's whole query path (parsing, encoding with the real
model, BM25, the vector index, candidate scoring, quote selection) on an
index of about a million chunks, made from a built index of real reports:
its documents, sentences, chunks and BM25 matrix repeated `copies` times,
and its sentence vectors repeated with a little noise per copy (each copy's
vector keeps a cosine of about 0.96 with the original), so copies are near
neighbours of each other, as stock phrasing across years of reports is,
but never identical. The same tiled index is searched through an HNSW
graph (what `qa build` chooses past 100,000 vectors) and through exact
search; recall@10 is the share of exact search's ten quotes (document and
offsets) that the HNSW path also returns, for each HNSW search width asked.

    python -m qa.bench.scale_end_to_end --index /tmp/full-index --chunks 1000000 --out bench/scale-e2e-1m.json

Needs about 14 GB of memory at 1M chunks (the vectors held by both indexes).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.index import dense
from qa.index.lexical import LexicalIndex
from qa.index.store import LoadedIndex, load_index

from .benchmark import STAGES, benchmark_questions, peak_mb, timed_searches

NOISE_PER_DIMENSION = 0.015  # noise norm about 0.29 in 384 dimensions: cosine about 0.96 to the original
K = 10


def tiled_vectors(vectors: np.ndarray, copies: int, *, seed: int) -> np.ndarray:
    """`vectors` once as they are, then copies-1 more times with noise, renormalised."""
    rng = np.random.default_rng(seed)
    n, d = vectors.shape
    out = np.empty((n * copies, d), dtype=np.float32)
    out[:n] = vectors
    for c in range(1, copies):
        noisy = vectors + rng.normal(0, NOISE_PER_DIMENSION, (n, d)).astype(np.float32)
        out[c * n : (c + 1) * n] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out


def tiled_lexical(lexical: LexicalIndex, copies: int) -> LexicalIndex:
    """The BM25 score matrix (chunks by terms, as bm25s stores it) with its rows repeated."""
    import copy

    import scipy.sparse as sp

    model = lexical._model
    s = model.scores
    n = int(s["num_docs"])
    matrix = sp.csc_matrix((s["data"], s["indices"], s["indptr"]), shape=(n, len(s["indptr"]) - 1))
    tiled = sp.vstack([matrix] * copies, format="csc")
    big = copy.copy(model)
    big.scores = {
        "data": tiled.data.astype(np.asarray(s["data"]).dtype),
        "indices": tiled.indices.astype(np.asarray(s["indices"]).dtype),
        "indptr": tiled.indptr.astype(np.asarray(s["indptr"]).dtype),
        "num_docs": n * copies,
    }
    return LexicalIndex(big)


def tiled_index(real: LoadedIndex, copies: int, vector_index, *, seed: int = 0) -> LoadedIndex:
    """`real` repeated `copies` times, searched through the given faiss index over tiled vectors."""
    n_docs, n_sentences = len(real.documents), len(real.sentences)
    documents = [d if c == 0 else replace(d, doc_id=f"{d.doc_id}~{c}") for c in range(copies) for d in real.documents]
    sentences = np.concatenate([real.sentences + [c * n_docs, 0, 0, 0] for c in range(copies)])
    chunks = np.concatenate([real.chunks + [c * n_docs, 0, 0, c * n_sentences, c * n_sentences]
                             for c in range(copies)])
    document_vectors = tiled_vectors(real.document_vectors, copies, seed=seed + 1)
    return LoadedIndex(
        real.folder, {**real.manifest, "vector_index": dense.describe(vector_index)}, documents, sentences, chunks,
        vector_index, tiled_lexical(real.lexical, copies), np.tile(real.repeated, copies), document_vectors,
        tiled_lexical(real.document_lexical, copies),
    )


def _quotes_found(timing: dict, passages: list[list]) -> tuple[dict, list[set]]:
    """Each search's quotes as (document, start, end), to compare two searches by."""
    return timing, [{(p.doc_id, p.start, p.end) for p in found} for found in passages]


def run(index_dir: Path, target_chunks: int, questions: list[str], ef_searches: list[int]) -> dict:
    from qa.index.embed import embedder_for_index
    from qa.search.retrieve import Retriever

    real = load_index(index_dir)
    copies = max(1, math.ceil(target_chunks / len(real.chunks)))
    vectors = tiled_vectors(real.vectors.reconstruct_n(0, real.vectors.ntotal), copies, seed=0)
    t = time.perf_counter()
    hnsw = dense.build_vector_index(vectors, kind="hnsw")
    hnsw_seconds = time.perf_counter() - t
    exact = dense.build_vector_index(vectors, kind="flat")
    del vectors
    embedder = embedder_for_index(real.manifest)
    tiled = tiled_index(real, copies, hnsw)
    approximate_path = Retriever(tiled, embedder)
    # The same tiled collection (one copy of its BM25 matrices and documents), searched exactly.
    exact_path = Retriever(
        replace(tiled, vectors=exact, manifest={**tiled.manifest, "vector_index": dense.describe(exact)}), embedder
    )
    result = {
        "source_index": str(index_dir), "copies": copies, "documents": len(approximate_path.index.documents),
        "chunks": len(approximate_path.index.chunks), "sentence_vectors": int(hnsw.ntotal),
        "hnsw_build": {k: v for k, v in dense.describe(hnsw).items() if k != "efSearch"},  # efSearch: per run
        "hnsw_build_seconds": hnsw_seconds, "questions": len(questions),
    }
    for q in questions[:3]:  # warm-up
        approximate_path.search(q, k=K)
        exact_path.search(q, k=K)
    result["exact"], truth = _quotes_found(*timed_searches(exact_path, questions, k=K))
    # The retriever asks the vector index for 4 x 100 neighbours, and faiss's HNSW
    # search keeps max(efSearch, k) candidates: efSearch matters above 400.
    result["hnsw_runs"] = []
    for ef in ef_searches:
        dense.apply_search_settings(hnsw, {"efSearch": ef})
        timing, found = _quotes_found(*timed_searches(approximate_path, questions, k=K))
        recalls = [len(t & f) / len(t) for t, f in zip(truth, found, strict=True) if t]
        result["hnsw_runs"].append({"efSearch": ef, **timing, "recall_at_10": float(np.mean(recalls))})
    result["peak_mb"] = peak_mb()
    return result


def format_result(r: dict) -> str:
    def row(name: str, x: dict, recall: str) -> str:
        # (a run from before a stage was timed has no figure for it)
        st = " / ".join(f"{s} {x['stages'][s]['p50_ms']:.1f}" for s in STAGES if s in x["stages"])
        return f"| {name} | {recall} | {x['search']['p50_ms']:.1f} | {x['search']['p95_ms']:.1f} | {st} |"

    return "\n".join([
        f"{r['documents']:,} documents, {r['chunks']:,} chunks, {r['sentence_vectors']:,} sentence vectors "
        f"({r['copies']} copies of {r['source_index']}); {r['questions']} questions; HNSW built in "
        f"{r['hnsw_build_seconds']:.0f} s; peak memory {r['peak_mb']:,.0f} MB",
        "",
        "| vector index | recall@10 against exact | search p50 ms | p95 ms | stages p50 ms |",
        "|---|---:|---:|---:|---|",
        *(row(f"hnsw, efSearch {x['efSearch']}", x, f"{x['recall_at_10']:.3f}") for x in r["hnsw_runs"]),
        row("exact", r["exact"], "1.000"),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.bench.scale_end_to_end", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="a built index of real documents to tile")
    p.add_argument("--chunks", type=int, default=1_000_000, help="at least this many chunks (default 1,000,000)")
    p.add_argument("--questions", type=int, default=0, help="use only the first N questions (default all)")
    p.add_argument("--ef-search", default="128,800,1600",
                   help="HNSW efSearch values to measure, comma-separated (default 128,800,1600)")
    p.add_argument("--out", type=Path, help="write the result as JSON here")
    args = p.parse_args(argv)
    questions = benchmark_questions()
    ef_searches = [int(x) for x in args.ef_search.split(",")]
    result = run(args.index, args.chunks, questions[: args.questions or None], ef_searches)
    print(format_result(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
