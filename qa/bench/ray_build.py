"""A build on Ray next to a single-process build of the same documents.

    python -m qa.bench.ray_build --docs DIR --workers 2 --repeat 3 [--model NAME] [--out FILE]

Each repetition builds a fresh index both ways, each in a process of its own
(`python -m qa.bench.ray_build --one single|ray ...`), in turn (which goes first
alternates), so that both pay the same start-up: the process, loading the model
or starting Ray and its workers. `seconds` is the wall time of that process.
Throughput per worker is the sentences each encoder actor encodes per second
while encoding (its model loaded), from which a cluster's is estimated: workers
x that, plus the start-up. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_build(kind: str, docs: Path, index: Path, *, model: str, workers: int) -> dict:
    """One build in this process; its figures."""
    started = time.perf_counter()
    if kind == "single":
        from qa.index.build import build_index
        from qa.index.embed import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(model)
        report = build_index([docs], index, embedder=embedder)
        extra: dict = {}
    else:
        from qa.index.build import build_index
        from qa.index.ray_build import ray_build

        with ray_build(None, model=model, index_dir=index, workers=workers) as rb:
            report = build_index([docs], index, embedder=rb.embedder, read_files=rb.read_files)
            e = rb.embedder
            extra = {
                "workers": workers, "ray_jobs": e.jobs, "encoded": e.encoded,
                "busy_seconds": round(e.busy_seconds, 2),
                "sentences_per_second_per_worker": round(e.encoded / e.busy_seconds, 1) if e.busy_seconds else None,
            }
    return {
        "kind": kind, "in_process_seconds": round(time.perf_counter() - started, 2),
        "build_seconds": round(report.seconds, 2),
        "stage_seconds": {k: round(v, 2) for k, v in report.stage_seconds.items()},
        "documents": len(report.indexed), "sentences": report.sentences, "chunks": report.chunks, **extra,
    }


def run(docs: Path, *, workers: int, repeat: int, model: str) -> dict:
    runs = []
    with tempfile.TemporaryDirectory(prefix="ray-bench-") as tmp:
        for r in range(repeat):
            order = ("single", "ray") if r % 2 == 0 else ("ray", "single")
            pair = {}
            for kind in order:
                index = Path(tmp) / f"{kind}-{r}"
                shutil.rmtree(index, ignore_errors=True)
                command = [sys.executable, "-m", "qa.bench.ray_build", "--one", kind, "--docs", str(docs),
                           "--index", str(index), "--workers", str(workers), "--model", model]
                t = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                seconds = time.perf_counter() - t
                if done.returncode != 0:
                    raise SystemExit(f"{kind} build failed:\n{done.stderr[-3000:]}")
                pair[kind] = {"seconds": round(seconds, 2), **json.loads(done.stdout.strip().splitlines()[-1])}
            pair["ratio"] = round(pair["ray"]["seconds"] / pair["single"]["seconds"], 3)
            runs.append(pair)
            print(json.dumps(pair), file=sys.stderr)
    ratios = [p["ratio"] for p in runs]
    sentences = runs[0]["single"]["sentences"]
    per_worker = [p["ray"]["sentences_per_second_per_worker"] for p in runs]
    return {
        "docs": str(docs), "model": model, "workers": workers, "repeat": repeat,
        "documents": runs[0]["single"]["documents"], "sentences": sentences,
        "single_seconds": [p["single"]["seconds"] for p in runs], "ray_seconds": [p["ray"]["seconds"] for p in runs],
        "ratios": ratios, "ratio_median": statistics.median(ratios),
        "single_sentences_per_second": [
            round(sentences / p["single"]["stage_seconds"]["embedding"], 1) for p in runs
        ],
        "sentences_per_second_per_worker": per_worker,
        "note": "shared 2-core machine: other work runs beside these builds, so the figures are noisy",
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.bench.ray_build", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=Path, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--model", default=None, help="default: the build's default model")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    p.add_argument("--one", choices=["single", "ray"], help=argparse.SUPPRESS)
    p.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.model is None:
        from qa.index.embed import default_model

        args.model = default_model()
    if args.one:
        print(json.dumps(one_build(args.one, args.docs, args.index, model=args.model, workers=args.workers)))
        return 0
    result = run(args.docs, workers=args.workers, repeat=args.repeat, model=args.model)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
