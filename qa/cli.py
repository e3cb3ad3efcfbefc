"""Command line: python -m qa build | search | ask | eval.

The contract in docs/architecture.md ("The design note"); outside evaluation scripts call it, so options
and JSON shapes stay stable. Errors go to stderr with exit code 2 (usage or
input the user can fix) or 1 (anything else).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from qa.evaluate.metrics import DEFAULT_METRICS
from qa.index.embed import DEFAULT_ENCODER, ENCODERS

from .errors import QAError

DEFAULT_DOCS = "seeds"
DEFAULT_INDEX = "index"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the previous index, if any, is unchanged.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m qa", description="Cited question answering over inspection reports.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="build or update the index from document folders")
    b.add_argument("--docs", action="append", type=Path, help=f"documents folder (repeatable; default {DEFAULT_DOCS}/)")
    _index_arg(b)
    b.add_argument("--model", default=None, help="embedding model name or folder (default: the adapted model "
                   "if `make models` has trained it, else all-MiniLM-L6-v2)")
    b.add_argument("--encoder", choices=list(ENCODERS), default=None,
                   help=f"what runs the model: sentence-transformers' torch path, or the model exported here to ONNX "
                        f"Runtime (float32 or int8 weights) or OpenVINO, which need `make setup-cluster` (default "
                        f"{DEFAULT_ENCODER}; docs/choices.md, \"Encoders\")")
    b.add_argument("--manifest", type=Path, help="CSV of document metadata (Ofsted manifest format)")
    b.add_argument("--vector-index", choices=["auto", "flat", "hnsw", "ivf"], default="auto",
                   help="FAISS index kind (default auto: exact up to 100,000 sentences, HNSW beyond)")
    b.add_argument("--engine", choices=["embedded", "milvus"], default=None,
                   help="search engine: FAISS and BM25 in the process (embedded), or Milvus (docs/engines.md); "
                        "default: the live build's, embedded for a new index")
    b.add_argument("--engine-uri", default=None, metavar="URI",
                   help="Milvus: a milvus-lite file (default milvus.db inside the index folder) or "
                        "http://host:19530 for a server or cluster")
    b.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="parse and embed on Ray: a local instance, or the cluster at ADDRESS (e.g. ray://host:10001); "
                        "needs the optional extra (`make setup-cluster`)")
    b.add_argument("--ray-workers", type=int, default=None, metavar="N",
                   help="with --ray: encoder workers, one model each (default and at most: the cluster's CPUs)")
    b.add_argument("--json", action="store_true", help="print the build report as JSON")
    b.set_defaults(handler=_build)

    s = sub.add_parser("search", help="ranked verbatim passages with citations")
    _question_args(s)
    s.add_argument("--k", type=int, default=5, help="passages per question (default 5)")
    s.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    s.set_defaults(handler=_search)

    a = sub.add_parser("ask", help="an answer made of quotes, or a plain 'not in the collection'")
    _question_args(a)
    a.set_defaults(handler=_ask)

    e = sub.add_parser("eval", help="retrieval metrics on a question file or a BEIR dataset")
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--questions", type=Path, help="question file with judgments (.jsonl, .yaml)")
    source.add_argument("--beir", type=Path, help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    e.add_argument("--index", type=Path, default=None,
                   help=f"index folder (default {DEFAULT_INDEX}/; with --beir, index-beir/<dataset>, "
                        "built from its corpus if missing or out of date)")
    e.add_argument("--split", default="test", help="BEIR qrels split (default test)")
    e.add_argument("--level", choices=["passage", "document"],
                   help="judge passages (evidence spans) or documents (default: passage when judgments have spans)")
    e.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated ranx metric names")
    e.add_argument("--k", type=int, default=100, help="results per question in each run (default 100)")
    e.add_argument("--compare", action="store_true",
                   help="also run fusion only (ranker off), dense, lexical and rrf (and naive paragraphs) with "
                   "paired significance tests")
    e.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE",
                   help="exit 1 when the product's METRIC is below VALUE (repeatable), e.g. ndcg@10=0.7")
    e.add_argument("--run-out", type=Path, help="write the product's run as a TREC run file")
    e.add_argument("--qrels-out", type=Path, help="write the judgments as a TREC qrels file")
    e.add_argument("--report", type=Path, help="write a Markdown report (and a PNG chart with --compare)")
    e.add_argument("--model", default=None, help="embedding model when building a BEIR index")
    e.add_argument("--json", action="store_true")
    e.add_argument("--check", action="store_true",
                   help="only check the question file: every expected quote is in its document exactly once")
    e.add_argument("--calibrate", action="store_true",
                   help="also print the abstention threshold that best separates answerable from unanswerable")
    e.set_defaults(handler=_eval)

    t = sub.add_parser("adapt", help="fine-tune all-MiniLM-L6-v2 on the project's own questions "
                       "(CPU, about an hour on 2 cores)")
    t.add_argument("--docs", action="append", type=Path, help="folder of the reports the questions name "
                   "(repeatable; default ../shared/corpus/ofsted)")
    t.add_argument("--questions", action="append", type=Path,
                   help="training question file (repeatable; default eval/ofsted/train.jsonl)")
    t.add_argument("--manifest", type=Path, help="CSV of document metadata (Ofsted manifest format)")
    t.add_argument("--out", type=Path, default=None, help="model folder (default models/all-MiniLM-L6-v2-ofsted)")
    t.add_argument("--epochs", type=int, default=None, help="passes over the examples (default 2)")
    t.set_defaults(handler=_adapt)

    r = sub.add_parser("train-ranker", help="fit the learned ranker on training questions over a full index")
    r.add_argument("--index", type=Path, required=True, help="index of the collection the questions were written on")
    r.add_argument("--questions", action="append", type=Path,
                   help="training question file (repeatable; default eval/ofsted/train.jsonl)")
    r.add_argument("--out", type=Path, default=None, help="weights file (default qa/search/ranker_weights.json)")
    r.set_defaults(handler=_train_ranker)

    x = sub.add_parser("learn-expansions", help="learn which report words go with the words staff use, "
                       "from the training questions (seconds)")
    x.add_argument("--questions", action="append", type=Path,
                   help="training question file (repeatable; default eval/ofsted/train.jsonl)")
    x.add_argument("--out", type=Path, default=None, help="table file (default qa/search/expansions.json)")
    x.set_defaults(handler=_learn_expansions)

    from qa.bench import benchmark as bench

    m = sub.add_parser("bench", help="build, floor and query benchmark (JSON, Markdown table, plot)")
    bench.add_arguments(m)
    m.set_defaults(handler=bench.run_from_args)
    return p


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=Path(DEFAULT_INDEX), help=f"index folder (default {DEFAULT_INDEX}/)")


def _question_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="?", help="the question (or use --queries)")
    p.add_argument("--queries", type=Path, help='JSONL file: one {"id", "question"} per line')
    _index_arg(p)
    p.add_argument("--json", action="store_true", help="JSON output (one object per line with --queries)")
    f = p.add_argument_group("filters")
    f.add_argument("--authority", action="append", default=[], help="local authority (repeatable)")
    f.add_argument("--region", action="append", default=[], help="region, e.g. 'London' (repeatable)")
    f.add_argument("--year-from", type=int, help="inspections or articles from this year on")
    f.add_argument("--year-to", type=int, help="up to and including this year")
    f.add_argument("--grade", action="append", default=[], help="overall effectiveness grade (repeatable)")
    f.add_argument("--type", action="append", default=[], choices=["report", "article"], help="document type")


def _filters(args: argparse.Namespace):
    from qa.ingest.gazetteer import load_gazetteer
    from qa.search.filters import Filters

    gazetteer = load_gazetteer()
    authorities = []
    for name in args.authority:
        canonical = gazetteer.resolve(name)
        if canonical is None:
            raise QAError(f"Unknown local authority {name!r}: use its name as in local_authorities.csv, e.g. 'Leeds'.")
        authorities.append(canonical)
    return Filters(
        authorities=tuple(authorities), regions=tuple(args.region), year_from=args.year_from,
        year_to=args.year_to, grades=tuple(g.lower() for g in args.grade), kinds=tuple(args.type),
    )


# ------------------------------------------------------------------ handlers


def _build(args: argparse.Namespace) -> int:
    from qa.index.build import build_index
    from qa.index.embed import default_model, make_embedder

    docs = args.docs or [Path(DEFAULT_DOCS)]
    model = args.model or default_model()
    on_ray = None
    if args.ray is not None and args.encoder not in (None, "torch"):
        raise QAError("--encoder goes without --ray: the Ray workers encode with torch.")
    if args.ray is not None:  # files read and sentences encoded on Ray (qa/index/ray_build.py)
        from qa.index.ray_build import RayBuild

        on_ray = RayBuild(args.ray or None, model=model, index_dir=args.index, workers=args.ray_workers,
                          encoder=args.encoder)
        embedder, read_files = on_ray.embedder, on_ray.read_files
    elif args.ray_workers is not None:
        raise QAError("--ray-workers goes with --ray.")
    else:
        embedder, read_files = make_embedder(model, encoder=args.encoder), None
    progress = _progress_printer() if sys.stderr.isatty() and not args.json else None
    try:
        report = build_index(
            docs, args.index, embedder=embedder, manifest=args.manifest, progress=progress,
            vector_index=args.vector_index, engine=args.engine, engine_uri=args.engine_uri, read_files=read_files,
        )
    finally:
        if on_ray:
            on_ray.close()
    if progress:
        print(file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {
                    "index": str(report.index_folder),
                    "up_to_date": report.up_to_date,
                    "indexed": report.indexed,
                    "embedded": report.embedded,
                    "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
                    "warnings": report.warnings,
                    "sentences": report.sentences,
                    "chunks": report.chunks,
                    "engine": _engine_of(args.index),
                    "seconds": round(report.seconds, 2),
                },
                ensure_ascii=False,
            )
        )
    else:
        print(report.summary())
    return 0


def _engine_of(index_dir: Path) -> dict:
    """The live build's search engine, as its manifest records it (no credentials are recorded)."""
    from qa.index.store import read_index_manifest

    return (read_index_manifest(index_dir) or {}).get("engine") or {"kind": "embedded"}


# What each stage of a build counts (qa.build calls progress(done, total, stage)).
_PROGRESS_UNITS = {"loading": "docs", "embedding": "sentences"}


def _progress_printer():
    """A one-line progress display; the rate and time left are per stage, in that stage's unit."""
    current = {"stage": None, "started": time.perf_counter()}

    def show(done: int, total: int, stage: str) -> None:
        if stage != current["stage"]:
            if current["stage"] is not None:
                print(file=sys.stderr)  # keep the finished stage's last line
            current.update(stage=stage, started=time.perf_counter())
        rate = done / max(1e-6, time.perf_counter() - current["started"])
        left = (total - done) / rate if rate else 0
        unit = _PROGRESS_UNITS.get(stage, "items")
        print(f"\r{stage} {done}/{total} ({rate:.1f} {unit}/s, {left:.0f} s left)    ", end="", file=sys.stderr,
              flush=True)

    return show


def _load_retriever(index_dir: Path):
    from qa.index.embed import embedder_for_index
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    index = load_index(index_dir)
    return Retriever(index, embedder_for_index(index.manifest))


def _questions(args: argparse.Namespace) -> list[tuple[str | None, str]]:
    from qa.evaluate.judgments import read_queries

    if args.queries and args.question:
        raise QAError("Give either a QUESTION or --queries FILE, not both.")
    if args.queries:
        return [(item.id, item.question) for item in read_queries(args.queries)]
    if args.question is None:
        raise QAError("Give a QUESTION (in quotes) or --queries FILE.jsonl.")
    return [(None, args.question)]


def _search(args: argparse.Namespace) -> int:
    from qa.search.retrieve import RetrievalSettings

    if args.k < 1:
        raise QAError("--k must be at least 1.")
    questions = _questions(args)
    filters = _filters(args)
    retriever = _load_retriever(args.index)
    settings = RetrievalSettings(mode=args.mode)
    status = 0
    for qid, question in questions:
        try:
            passages = retriever.search(question, k=args.k, settings=settings, filters=filters)
        except QAError as e:
            if qid is None:
                raise
            _emit_error(args, qid, question, e)
            status = 2
            continue
        if args.json:
            key = {"id": qid} if qid is not None else {"query": question}
            print(json.dumps({**key, "results": [p.to_json() for p in passages]}, ensure_ascii=False))
        else:
            print(f"Q: {question}" if qid is None else f"[{qid}] {question}")
            for p in passages:
                print(f"  {p.rank}. ({p.score:.3f}) {' '.join(p.quote.split())}\n     — {p.citation}")
            if not passages:
                print("  (no passages: the index is empty)")
    return status


def _ask(args: argparse.Namespace) -> int:
    from qa.answer.verdict import ask

    questions = _questions(args)
    filters = _filters(args)
    retriever = _load_retriever(args.index)
    status = 0
    for qid, question in questions:
        try:
            answer = ask(retriever, question, filters=filters)
        except QAError as e:
            if qid is None:
                raise
            _emit_error(args, qid, question, e)
            status = 2
            continue
        if args.json:
            out = answer.to_json()
            if qid is not None:
                out = {"id": qid, **{k: v for k, v in out.items() if k != "question"}}
            print(json.dumps(out, ensure_ascii=False))
        else:
            print(f"Q: {question}" if qid is None else f"[{qid}] {question}")
            for note in answer.notes:
                print(f"({note})")
            print(answer.text)
            for p in answer.citations:
                print(f"  [{p.rank}] {p.citation}")
            for p in answer.closest:
                print(f"  (closest, not an answer) {' '.join(p.quote.split())}\n     — {p.citation}")
            print()
    return status


def _learn_expansions(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from qa.evaluate.judgments import read_queries
    from qa.ingest.gazetteer import load_gazetteer
    from qa.search import expansion

    paths = args.questions or [TRAINING_QUESTIONS]
    items = [item for path in paths for item in read_queries(path)]
    settings = expansion.ExpansionSettings()
    table = expansion.learn(items, load_gazetteer(), settings)
    out = args.out or expansion.EXPANSIONS_FILE
    expansion.save(table, about={"questions": [str(p) for p in paths], **asdict(settings)}, path=out)
    print(f"{len(table)} question words expanded, from {len(items)} questions: {out}")
    return 0


def _emit_error(args: argparse.Namespace, qid: str, question: str, error: QAError) -> None:
    print(f"error: question {qid}: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps({"id": qid, "error": str(error)}, ensure_ascii=False))


TRAINING_QUESTIONS = Path("eval/ofsted/train.jsonl")
NAIVE_UP_TO = 50_000  # sentences: --compare adds naive paragraphs on collections up to this size
SHARED_REPORTS = Path("../shared/corpus/ofsted")


def _adapt(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from qa.index.adapt import AdaptSettings, adapt
    from qa.index.embed import ADAPTED_MODEL, MODELS_DIR

    settings = AdaptSettings() if args.epochs is None else replace(AdaptSettings(), epochs=args.epochs)
    out = args.out or MODELS_DIR / ADAPTED_MODEL
    card = adapt(args.docs or [SHARED_REPORTS], args.questions or [TRAINING_QUESTIONS], out,
                 manifest=args.manifest, settings=settings, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps({"model": str(out), **card}, indent=1))
    return 0


def _train_ranker(args: argparse.Namespace) -> int:
    from qa.evaluate.judgments import read_queries
    from qa.evaluate.suite import suite_from_questions
    from qa.search import ranker

    retriever = _load_retriever(args.index)
    items = [item for path in args.questions or [TRAINING_QUESTIONS] for item in read_queries(path)]
    # The judged spans, checked against the index as evaluation checks them.
    suite = suite_from_questions(retriever.index, items, name="training questions", level="passage")
    spans = {qid: [(d, start, end) for d, start, end, _ in found] for qid, found in suite.spans.items()}
    groups = ranker.examples(retriever, items, spans=spans)
    fitted = ranker.fit(groups)
    model = retriever.index.manifest["model"]
    about = {"questions": [str(p) for p in args.questions or [TRAINING_QUESTIONS]], "examples": len(groups),
             "model_fingerprint": retriever.index.manifest.get("model_fingerprint")}
    ranker.save_ranker(fitted, model, about=about, path=args.out or ranker.WEIGHTS_FILE)
    print(json.dumps({"model": model, "questions": len(groups), "weights": dict(
        zip(ranker.FEATURES, (round(float(w), 4) for w in fitted.weights), strict=True))}, indent=1))
    return 0


def _check_questions(args: argparse.Namespace) -> int:
    from qa.evaluate.judgments import read_queries
    from qa.evaluate.suite import check_judgments
    from qa.index.store import load_index

    if not args.questions:
        raise QAError("--check needs --questions FILE.")
    items = read_queries(args.questions)
    problems = check_judgments(load_index(args.index or Path(DEFAULT_INDEX)), items)
    for p in problems:
        print(p)
    spans = sum(len(it.expected) for it in items)
    print(f"{len(items)} questions, {spans} judgments checked: {len(problems)} problem(s).")
    return 1 if problems else 0


def _eval(args: argparse.Namespace) -> int:
    from qa.evaluate import report as eval_report
    from qa.evaluate.metrics import parse_gate
    from qa.evaluate.suite import ABSTENTION_GATES, COMPARE_CONFIGS, FUSION_ONLY, PRODUCT, calibrate, evaluate
    from qa.evaluate.testing import open_suite

    metrics = tuple(m.strip().lower() for m in args.metrics.split(",") if m.strip())
    if args.k < 1:
        raise QAError("--k must be at least 1.")
    try:
        gates = [parse_gate(g, metrics + ABSTENTION_GATES) for g in args.min]
    except ValueError as e:
        raise QAError(str(e)) from None
    if args.beir and args.level == "passage":
        raise QAError("BEIR judgments name documents: evaluate them with --level document (the default).")
    if args.check:
        return _check_questions(args)
    progress = _progress_printer() if sys.stderr.isatty() else None
    suite, retriever = open_suite(
        args.questions, beir=args.beir, index=args.index, split=args.split, level=args.level, model=args.model,
        progress=progress,
    )
    configs = COMPARE_CONFIGS if args.compare else {PRODUCT: COMPARE_CONFIGS[PRODUCT]}
    if suite.level == "document":  # the learned ranker orders passages only: "fusion only" would repeat the hybrid
        configs = {name: s for name, s in configs.items() if name != FUSION_ONLY}
    try:
        evaluation = evaluate(
            retriever, suite, configs=configs, metrics=metrics, depth=args.k,
            # (the naive baseline embeds every paragraph again: too slow past the small collections)
            naive=args.compare and suite.level == "passage" and len(retriever.index.sentences) <= NAIVE_UP_TO,
            significance=args.compare,
        )
    except (ValueError, KeyError) as e:  # ranx's message for an unknown metric name
        raise QAError(f"Cannot compute the metrics {args.metrics!r} ({e}); use ranx names such as ndcg@10.") from None
    if args.run_out:
        eval_report.write_trec_run(evaluation.runs[PRODUCT], args.run_out, tag=f"qa-{PRODUCT}")
    if args.qrels_out:
        eval_report.write_trec_qrels(suite.qrels, args.qrels_out)
    if args.report:
        eval_report.write_markdown(evaluation, args.report, command="python -m qa " + " ".join(sys.argv[1:]))
    calibrated = calibrate(retriever, suite.items) if args.calibrate and evaluation.abstention else None
    failures = [
        f"{name} is {value:.4f}, below the minimum {minimum:g}"
        for name, minimum in gates
        for value in [evaluation.gate_values().get(name, float("nan"))]
        if not value >= minimum
    ]
    if args.json:
        out = eval_report.to_json(evaluation)
        out["gates"] = [{"metric": n, "min": m, "passed": not any(f.startswith(n + " ") for f in failures)}
                        for n, m in gates]
        print(json.dumps(out))
    else:
        print(eval_report.format_table(evaluation))
        if calibrated:
            print("best on this set: " + calibrated.format())
    for failure in failures:
        print(f"gate failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
