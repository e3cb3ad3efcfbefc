"""Benchmark: the build of a collection next to its floor, and queries.

The floor is the least any build must do: extract the files' text and pass
all of it through the same model once, nothing else. Queries: `search` and
`ask` latency in a warm process (p50, p95; encoding, lexical search, vector
search and quote selection timed apart), the time from starting a `qa ask`
process to its answer, peak memory serving, index size. Each phase runs in
its own process so its peak memory is its own.

    python -m qa bench --docs ../shared/corpus/ofsted [--out bench/bench.json]
        [--encoder E] [--also-encoders E2,E3] [--keep-index DIR]
    python -m qa bench --index DIR --skip-build      (queries only, on a built index)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.ingest.load import SUPPORTED_SUFFIXES, discover
from qa.search.timing import record

FLOOR_WINDOW_WORDS = 180  # fits the model's 256-token window


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_floor(docs: Path) -> dict:
    """Extract every file's text (PDFium for PDFs) and encode it in windows."""
    import pypdfium2 as pdfium

    from qa.index.embed import SentenceTransformerEmbedder

    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    loaded = time.perf_counter()
    windows: list[str] = []
    for path in discover(docs):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.suffix.lower() in (".html", ".htm", ".docx"):
            continue
        try:
            if path.suffix.lower() == ".pdf":
                pdf = pdfium.PdfDocument(str(path))
                text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
                pdf.close()
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
        except Exception:  # the build reports these; the floor just skips them
            continue
        words = text.split()
        windows += [" ".join(words[i : i + FLOOR_WINDOW_WORDS]) for i in range(0, len(words), FLOOR_WINDOW_WORDS)]
    extracted = time.perf_counter()
    windows.sort(key=len)
    embedder.encode(windows)
    done = time.perf_counter()
    return {
        "seconds": done - loaded, "model_load_seconds": loaded - started,
        "extract_seconds": extracted - loaded, "encode_seconds": done - extracted,
        "windows": len(windows), "peak_mb": peak_mb(),
    }


def phase_build(docs: Path, index: Path, encoder: str | None = None) -> dict:
    from qa.index.build import build_index
    from qa.index.embed import DEFAULT_MODEL, make_embedder

    started = time.perf_counter()
    embedder = make_embedder(DEFAULT_MODEL, encoder=encoder)  # (the floor's model: the packaged one)
    loaded = time.perf_counter()
    report = build_index([docs], index, embedder=embedder)
    done = time.perf_counter()
    size = sum(p.stat().st_size for p in report.index_folder.rglob("*") if p.is_file()) if report.index_folder else 0
    return {
        "seconds": done - loaded, "model_load_seconds": loaded - started, "documents": len(report.indexed),
        "embedded": len(report.embedded), "embedded_files": report.embedded[:5], "skipped": report.skipped,
        "sentences": report.sentences, "chunks": report.chunks, "index_mb": size / 2**20, "peak_mb": peak_mb(),
        "stage_seconds": report.stage_seconds, "encoder": embedder.encoder_info,
    }


QUESTION_FILES = ("tests/data/seed_questions.jsonl", "eval/seed_holdout.jsonl", "tests/data/report_questions.jsonl")
STAGES = ("encode", "lexical", "vector", "rank", "quote")


def percentiles(values: list[float]) -> dict:
    import numpy as np

    return {"p50_ms": float(np.percentile(values, 50)) * 1000, "p95_ms": float(np.percentile(values, 95)) * 1000}


def timed_searches(retriever, questions: list[str], *, k: int) -> tuple[dict, list[list]]:
    """`search` p50/p95 over the questions, and per stage (encode, lexical,
    vector, rank, quote) as the retriever recorded them for each call; and the passages each returned."""
    total, stages, found = [], {s: [] for s in STAGES}, []
    for q in questions:
        with record() as spent:
            t = time.perf_counter()
            found.append(retriever.search(q, k=k))
            total.append(time.perf_counter() - t)
        for s in STAGES:
            stages[s].append(spent.get(s, 0.0))
    return {"search": percentiles(total), "stages": {s: percentiles(v) for s, v in stages.items()}}, found


def benchmark_questions() -> list[str]:
    """The questions of the repository's three question sets, in order."""
    from qa.evaluate.judgments import read_queries

    root = Path(__file__).resolve().parents[2]
    return [it.question for f in QUESTION_FILES if (root / f).is_file() for it in read_queries(root / f)]


def phase_queries(index: Path, questions: list[str]) -> dict:
    """search and ask in one warm process: latency per question and per stage."""
    from qa.answer.verdict import ask
    from qa.index.embed import embedder_for_index
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    started = time.perf_counter()
    loaded = load_index(index)
    retriever = Retriever(loaded, embedder_for_index(loaded.manifest))
    load_seconds = time.perf_counter() - started
    for q in questions[:3]:  # warm-up: first calls pay for lazy initialisation
        retriever.search(q, k=5)
    search, _ = timed_searches(retriever, questions, k=5)
    ask_total = []
    for q in questions:
        t = time.perf_counter()
        ask(retriever, q)
        ask_total.append(time.perf_counter() - t)
    return {
        "questions": len(questions), "load_seconds": load_seconds,
        "sentences": int(loaded.vectors.ntotal), "chunks": len(loaded.chunks), "documents": len(loaded.documents),
        "vector_index": loaded.manifest.get("vector_index"),
        **search, "ask": percentiles(ask_total),
        "peak_mb": peak_mb(),
    }


def first_answer_seconds(index: Path, question: str, runs: int = 3) -> list[float]:
    """Wall time from starting `python -m qa ask` to its answer, a few times."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "qa", "ask", question, "--index", str(index)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"qa ask failed:\n{out.stderr[-2000:]}")
        times.append(time.perf_counter() - t)
    return times


def benchmark_queries(index: Path) -> dict:
    questions = benchmark_questions()
    queries = _run_phase("queries", str(index), json.dumps(questions))
    starts = first_answer_seconds(index, questions[0])
    from qa.index.store import current_build

    live = current_build(index)  # (the folder also keeps the build before it, for readers still on it)
    size = sum(p.stat().st_size for p in live.rglob("*") if p.is_file()) if live else 0
    return {**queries, "first_answer_seconds": starts, "index_mb_on_disk": size / 2**20}


def _run_phase(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "qa.bench.benchmark", "--phase", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchmark phase {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def file_to_hold_out(files: list[Path]) -> Path:
    """The document the rebuild measurements take out and put back: the last
    report (a PDF, what collections are made of), else the last document."""
    if not files:
        raise ValueError("no document to benchmark")
    return next((p for p in reversed(files) if p.suffix.lower() == ".pdf"), files[-1])


def run(docs: Path, out: Path | None, *, encoder: str | None = None, also_encoders: tuple[str, ...] = (),
        keep_index: Path | None = None) -> dict:
    """The floor, the build with `encoder` (and its rebuilds and queries), and
    a build with each of `also_encoders`, one after the other in this run."""
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        # A folder of links to the collection, so one file can be taken out and put back.
        linked = work / "docs"
        files = [p for p in discover(docs)]
        for p in files:
            target = linked / p.relative_to(docs)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(p.resolve(), target)
        index = work / "index"
        floor = _run_phase("floor", str(linked))
        build = _run_phase("build", str(linked), str(index), encoder or "")
        also = {e: _run_phase("build", str(linked), str(work / f"index-{e}"), e) for e in also_encoders}
        last = file_to_hold_out(files)
        moved = work / f"held-out{last.suffix}"
        shutil.move(linked / last.relative_to(docs), moved)
        removed = _run_phase("build", str(linked), str(index), encoder or "")
        shutil.move(moved, linked / last.relative_to(docs))
        added = _run_phase("build", str(linked), str(index), encoder or "")
        queries = benchmark_queries(index)
        if keep_index:  # the built indexes, for evaluating or comparing engines on them afterwards
            for name in ("index", *(f"index-{e}" for e in also_encoders)):
                target = keep_index.with_name(keep_index.name + name.removeprefix("index"))
                shutil.rmtree(target, ignore_errors=True)
                shutil.move(work / name, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "collection": str(docs), "cores": os.cpu_count(), "floor": floor, "build": build,
        "ratio": build["seconds"] / floor["seconds"] if floor["seconds"] else None,
        "also_encoders": {e: {**b, "ratio": b["seconds"] / floor["seconds"] if floor["seconds"] else None}
                          for e, b in also.items()},
        "rebuild_one_removed": removed, "rebuild_one_added": added, "held_out_file": str(last.relative_to(docs)),
        "queries": queries,
    }
    _write(result, out)
    return result


def _write(result: dict, out: Path | None) -> None:
    """JSON, plus a Markdown table and a plot of query latency beside it."""
    if not out:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    out.with_suffix(".md").write_text(format_result(result) + "\n", encoding="utf-8")
    if "queries" in result:
        _plot_latency(result["queries"], out.with_suffix(".png"))


def _plot_latency(q: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["search", "ask", *STAGES]
    rows = [q["search"], q["ask"], *(q["stages"][s] for s in STAGES)]
    x = range(len(names))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar([i - 0.2 for i in x], [r["p50_ms"] for r in rows], width=0.4, label="p50")
    ax.bar([i + 0.2 for i in x], [r["p95_ms"] for r in rows], width=0.4, label="p95")
    ax.set_xticks(list(x), ["search", "ask", *(f"search:\n{s}" for s in STAGES)], fontsize=8)
    ax.set_ylabel("ms per question")
    ax.set_title(f"Query latency, warm process: {q['sentences']:,} sentences, {q['documents']} documents", fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_result(r: dict) -> str:
    rows = _build_rows(r) if "build" in r else []
    if "queries" in r:
        rows += _query_rows(r["queries"])
    width = max(len(k) for k, _ in rows)
    return "\n".join([f"| {'measure':<{width}} | value |", f"|{'-' * (width + 2)}|---|"]
                     + [f"| {k:<{width}} | {v} |" for k, v in rows])


def _query_rows(q: dict) -> list[tuple[str, str]]:
    def pp(x: dict) -> str:
        return f"{x['p50_ms']:.1f} / {x['p95_ms']:.1f} ms"

    starts = sorted(q["first_answer_seconds"])
    return [
        ("collection served", f"{q['documents']} documents, {q['sentences']:,} sentences, {q['chunks']:,} chunks "
                              f"({(q.get('vector_index') or {}).get('kind', 'flat')} vector index)"),
        (f"search p50 / p95 ({q['questions']} questions)", pp(q["search"])),
        *((f"  {s}", pp(q["stages"][s])) for s in STAGES if s in q["stages"]),  # (older runs: no rank)
        ("ask p50 / p95", pp(q["ask"])),
        ("qa ask process: start to answer", f"{starts[len(starts) // 2]:.1f} s (median of {len(starts)})"),
        ("peak memory serving (load + all questions)", f"{q['peak_mb']:.0f} MB"),
        ("index size on disk", f"{q['index_mb_on_disk']:.0f} MB"),
    ]


def _build_rows(r: dict) -> list[tuple[str, str]]:
    b, f = r["build"], r["floor"]
    rows = [
        ("documents indexed / skipped", f"{b['documents']} / {len(b['skipped'])}"),
        ("sentences / chunks", f"{b['sentences']:,} / {b['chunks']:,}"),
        ("build time (model loaded)", f"{b['seconds']:.0f} s"),
        # (runs from before the build timed its stages have no such row, not a row of zeros)
        *([("build stages: load / embed / index", " / ".join(
            f"{b['stage_seconds'].get(k, 0):.0f} s" for k in ("loading", "embedding", "indexing")))]
          if b.get("stage_seconds") else []),
        ("floor: extract + encode", f"{f['seconds']:.0f} s ({f['extract_seconds']:.0f} + {f['encode_seconds']:.0f} s)"),
        ("build / floor", f"{r['ratio']:.2f}" + (f" ({b['encoder']['kind']} encoder)" if b.get("encoder") else "")),
        *((f"build with the {e} encoder: time, / floor", f"{x['seconds']:.0f} s "
           f"(embed {x['stage_seconds'].get('embedding', 0):.0f} s), {x['ratio']:.2f}")
          for e, x in (r.get("also_encoders") or {}).items()),
        ("throughput", f"{b['documents'] / b['seconds']:.2f} docs/s, {b['sentences'] / b['seconds']:.0f} sentences/s"),
        ("index size on disk", f"{b['index_mb']:.0f} MB"),
        ("peak memory: build / floor", f"{b['peak_mb']:.0f} MB / {f['peak_mb']:.0f} MB"),
        ("rebuild, one report removed", f"{r['rebuild_one_removed']['seconds']:.0f} s, "
                                        f"{r['rebuild_one_removed']['embedded']} embedded"),
        ("rebuild, that report added back", f"{r['rebuild_one_added']['seconds']:.0f} s, "
                                            f"{r['rebuild_one_added']['embedded']} embedded"),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa bench", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    p.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:
        kind, *rest = args.phase
        if kind == "floor":
            result = phase_floor(Path(rest[0]))
        elif kind == "build":
            result = phase_build(Path(rest[0]), Path(rest[1]), rest[2] if len(rest) > 2 and rest[2] else None)
        else:
            result = phase_queries(Path(rest[0]), json.loads(rest[1]))
        print(json.dumps(result, default=str))
        return 0
    return run_from_args(args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--docs", type=Path, default=Path("../shared/corpus/ofsted"), help="collection to build")
    p.add_argument("--index", type=Path, help="with --skip-build: the built index to query")
    p.add_argument("--skip-build", action="store_true", help="only the query measurements, on --index")
    p.add_argument("--out", type=Path, help="JSON results; a Markdown table (.md) and a plot (.png) beside it")
    p.add_argument("--encoder", help="the encoder the build runs on (torch, onnx, onnx-int8, openvino; default torch)")
    p.add_argument("--also-encoders", default="", help="comma-separated: also build with each of these, timed beside")
    p.add_argument("--keep-index", type=Path, help="keep the built index here (and DIR-<encoder> for --also-encoders)")


def run_from_args(args: argparse.Namespace) -> int:
    if args.skip_build:
        if not args.index:
            print("error: --skip-build measures queries on a built index: pass it with --index.", file=sys.stderr)
            return 2
        result = {"queries": benchmark_queries(args.index)}
        _write(result, args.out)
    else:
        if not args.docs.is_dir():
            print(f"error: {args.docs} is not a folder; pass the collection with --docs.", file=sys.stderr)
            return 2
        if not any(p.suffix.lower() in SUPPORTED_SUFFIXES for p in discover(args.docs)):
            print(f"error: {args.docs} holds no document to build (PDF, text, HTML or Word); pass a collection "
                  "with --docs.", file=sys.stderr)
            return 2
        result = run(args.docs, args.out, encoder=args.encoder,
                     also_encoders=tuple(e for e in args.also_encoders.split(",") if e), keep_index=args.keep_index)
    print(format_result(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
