"""The embedded engine against Milvus on the same build: the same passages, the same recall, and how fast.

    python -m qa.bench.engines --index /tmp/work/full7 --milvus-index /tmp/work/full7-milvus \\
        --questions eval/ofsted/dev.jsonl --questions eval/ofsted/test.jsonl [--repeat 3] [--limit N] [--out FILE]

`--milvus-index` is a copy of `--index` whose manifest names Milvus (`python -m
qa.index.milvus_engine --index COPY`); without it, the one index is searched
both ways. Per question file: the share of questions whose top five passages
(source and quote offsets) are the same, also with the question's authority as
a filter (questions that name one); hit rate at 1 / 5 / 20 and MRR@10 of each
engine (what `qa eval` computes); and `search` latency (encoding included) of
each, in one process, the two interleaved question by question, `--repeat` times.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

METRICS = ("hit_rate@1", "hit_rate@5", "hit_rate@20", "mrr@10")
STAGES = ("encode", "lexical", "vector", "rank", "quote")


def _top5(passages) -> list[tuple[str, int, int]]:
    return [(p.source, p.start, p.end) for p in passages[:5]]


def agreement(embedded, milvus, items, authorities: dict[str, str]) -> dict:
    """How many questions get the same five passages from both (and with the
    authority the question is about as a filter), and which do not."""
    from qa.errors import InvalidQuestion
    from qa.search.filters import Filters

    same = total = same_filtered = total_filtered = 0
    differing = []
    for it in items:
        try:
            a, b = _top5(embedded.search(it.question, k=5)), _top5(milvus.search(it.question, k=5))
        except InvalidQuestion:
            continue
        total += 1
        same += a == b
        if a != b:
            first = next(i for i in range(5) if i >= min(len(a), len(b)) or a[i] != b[i])
            differing.append({"id": it.id, "question": it.question, "same_set": set(a) == set(b),
                              "first_difference_at_rank": first + 1})
        authority = embedded.gazetteer.resolve(authorities[it.id]) if authorities.get(it.id) else None
        if authority:
            f = Filters(authorities=(authority,))
            total_filtered += 1
            same_filtered += _top5(embedded.search(it.question, k=5, filters=f)) == _top5(
                milvus.search(it.question, k=5, filters=f))
    return {"questions": total, "same_top5": same, "same_top5_share": same / max(total, 1),
            "filtered_questions": total_filtered, "filtered_same_top5": same_filtered,
            "filtered_same_top5_share": same_filtered / max(total_filtered, 1), "differing": differing}


def recall(embedded, milvus, items, name: str) -> dict:
    from qa.evaluate.metrics import score_runs
    from qa.evaluate.suite import DEFAULT_SETTINGS, question_vectors, run_configuration, suite_from_questions

    suite = suite_from_questions(embedded.index, items, name=name)
    vectors = question_vectors(embedded, suite)
    runs = {"embedded": run_configuration(embedded, suite, DEFAULT_SETTINGS, vectors=vectors),
            "milvus": run_configuration(milvus, suite, DEFAULT_SETTINGS, vectors=vectors)}
    return {s.name: {m: round(s.means[m], 4) for m in METRICS}
            for s in score_runs(suite.qrels, runs, METRICS)} | {"judged": len(suite.questions)}


def latency(embedded, milvus, questions: list[str], repeat: int) -> dict:
    """search p50 / p95 (and per stage) of each engine, interleaved: each question
    asked of one then the other, the order alternating, `repeat` times over."""
    from qa.bench.benchmark import percentiles
    from qa.search.timing import record

    times = {"embedded": [], "milvus": []}
    stages = {name: {s: [] for s in STAGES} for name in times}
    for q in questions[:3]:  # warm-up
        embedded.search(q, k=5)
        milvus.search(q, k=5)
    for r in range(repeat):
        for i, q in enumerate(questions):
            order = [("embedded", embedded), ("milvus", milvus)]
            for name, retriever in order if (i + r) % 2 == 0 else order[::-1]:
                with record() as spent:
                    t = time.perf_counter()
                    retriever.search(q, k=5)
                    times[name].append(time.perf_counter() - t)
                for s in STAGES:
                    stages[name][s].append(spent.get(s, 0.0))
    return {name: {"search": percentiles(times[name]), "calls": len(times[name]),
                   "stages": {s: percentiles(v) for s, v in stages[name].items()}} for name in times}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.bench.engines", description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, required=True, help="the build, searched embedded")
    p.add_argument("--milvus-index", type=Path, default=None, help="the same build with Milvus as its engine")
    p.add_argument("--questions", type=Path, action="append", required=True)
    p.add_argument("--repeat", type=int, default=3, help="passes over the questions for latency (default 3)")
    p.add_argument("--lexical-depth", type=int, default=None, help="lexical candidates asked of Milvus per ask")
    p.add_argument("--limit", type=int, default=None,
                   help="only the first N questions of each file (Milvus Lite takes about a second a search)")
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = p.parse_args(argv)

    from qa.evaluate.judgments import read_queries
    from qa.index.embed import embedder_for_index
    from qa.index.store import load_index
    from qa.search.candidates import EmbeddedSource
    from qa.search.retrieve import Retriever

    index = load_index(args.index)
    milvus_index = load_index(args.milvus_index) if args.milvus_index else index
    if (milvus_index.manifest.get("engine") or {}).get("kind") != "milvus":
        raise SystemExit(f"{args.milvus_index or args.index} does not name Milvus as its engine: "
                         f"python -m qa.index.milvus_engine --index {args.milvus_index or args.index}")
    embedder = embedder_for_index(index.manifest)  # its model on the encoder it was built with
    embedded = Retriever(index, embedder, source=EmbeddedSource(index))
    milvus = Retriever(milvus_index, embedder)
    if args.lexical_depth:
        milvus.source.lexical_depth = args.lexical_depth
    out = {"index": str(args.index), "milvus_index": str(args.milvus_index or args.index),
           "milvus_uri": milvus.source.uri, "lexical_depth": milvus.source.lexical_depth,
           "sentences": len(index.sentences), "chunks": len(index.chunks), "sets": {}}
    questions = []
    for path in args.questions:
        items = read_queries(path)[:args.limit]
        questions += [it.question for it in items]
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if (
            path.suffix == ".jsonl") else []
        authorities = {row["id"]: row.get("authority") for row in rows if "id" in row}
        out["sets"][path.name] = {"agreement": agreement(embedded, milvus, items, authorities),
                                  "recall": recall(embedded, milvus, items, path.name)}
    out["latency"] = latency(embedded, milvus, questions, args.repeat)
    out["note"] = "one shared 2-core machine: timings are noisy"
    text = json.dumps(out, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    summary = {k: v for k, v in out.items() if k != "sets"} | {
        name: {"same_top5_share": round(s["agreement"]["same_top5_share"], 4),
               "filtered_same_top5_share": round(s["agreement"]["filtered_same_top5_share"], 4),
               "differing": len(s["agreement"]["differing"]), **s["recall"]} for name, s in out["sets"].items()}
    print(json.dumps(summary, indent=1, ensure_ascii=False, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

