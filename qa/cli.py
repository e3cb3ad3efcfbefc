"""Command line: python -m qa build | search | ask | eval.

The contract in DESIGN.md; outside evaluation scripts call it, so options
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
    b.add_argument("--model", default=None, help="embedding model name or folder (default all-MiniLM-L6-v2)")
    b.add_argument("--manifest", type=Path, help="CSV of document metadata (Ofsted manifest format)")
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

    e = sub.add_parser("eval", help="retrieval metrics on a question file")
    e.add_argument("--questions", type=Path, required=True, help="JSONL: id, question, expected_doc, expected_quote")
    _index_arg(e)
    e.add_argument("--json", action="store_true")
    e.add_argument("--k", type=int, default=10)
    e.add_argument("--calibrate", action="store_true",
                   help="also print the abstention threshold that best separates answerable from unanswerable")
    e.set_defaults(handler=_eval)
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
    from .filters import Filters
    from .gazetteer import load_gazetteer

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
    from .build import build_index
    from .embed import DEFAULT_MODEL, SentenceTransformerEmbedder

    docs = args.docs or [Path(DEFAULT_DOCS)]
    embedder = SentenceTransformerEmbedder(args.model or DEFAULT_MODEL)
    progress = _progress_printer() if sys.stderr.isatty() and not args.json else None
    report = build_index(docs, args.index, embedder=embedder, manifest=args.manifest, progress=progress)
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
                    "seconds": round(report.seconds, 2),
                },
                ensure_ascii=False,
            )
        )
    else:
        print(report.summary())
    return 0


def _progress_printer():
    started = time.perf_counter()

    def show(done: int, total: int, name: str) -> None:
        rate = done / max(1e-6, time.perf_counter() - started)
        left = (total - done) / rate if rate else 0
        print(
            f"\rloading {done}/{total} ({rate:.1f} docs/s, {left:.0f} s left) {name[:40]:<40}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show


def _load_retriever(index_dir: Path):
    from .embed import SentenceTransformerEmbedder
    from .retrieve import Retriever
    from .store import load_index

    index = load_index(index_dir)
    return Retriever(index, SentenceTransformerEmbedder(index.manifest["model"]))


def _questions(args: argparse.Namespace) -> list[tuple[str | None, str]]:
    from .questions import read_queries

    if args.queries and args.question:
        raise QAError("Give either a QUESTION or --queries FILE, not both.")
    if args.queries:
        return [(item.id, item.question) for item in read_queries(args.queries)]
    if args.question is None:
        raise QAError("Give a QUESTION (in quotes) or --queries FILE.jsonl.")
    return [(None, args.question)]


def _search(args: argparse.Namespace) -> int:
    from .retrieve import RetrievalSettings

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
    from .answer import ask

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
            print(answer.text)
            for p in answer.citations:
                print(f"  [{p.rank}] {p.citation}")
            for p in answer.closest:
                print(f"  (closest, not an answer) {' '.join(p.quote.split())}\n     — {p.citation}")
            print()
    return status


def _emit_error(args: argparse.Namespace, qid: str, question: str, error: QAError) -> None:
    print(f"error: question {qid}: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps({"id": qid, "error": str(error)}, ensure_ascii=False))


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import (
        DEFAULT_CONFIGS,
        abstention,
        calibrate,
        evaluate_configs,
        evaluate_naive_paragraphs,
        format_table,
    )
    from .questions import read_queries

    items = read_queries(args.questions)
    retriever = _load_retriever(args.index)
    runs = evaluate_configs(retriever, items, DEFAULT_CONFIGS, k=args.k)
    runs.append(evaluate_naive_paragraphs(retriever, items, k=args.k))
    has_negatives = any(not it.answerable for it in items)
    abstain = abstention(retriever, items) if has_negatives else None
    calibrated = calibrate(retriever, items) if args.calibrate and has_negatives else None
    if args.json:
        print(
            json.dumps(
                {
                    "questions": str(args.questions),
                    "retrievers": {r.name: r.metrics() for r in runs},
                    "per_query": {r.name: r.first_hit for r in runs},
                    "abstention": None
                    if abstain is None
                    else {
                        "min_evidence": abstain.threshold,
                        "answered_when_answerable": abstain.answered_when_answerable,
                        "abstained_when_unanswerable": abstain.abstained_when_unanswerable,
                    },
                }
            )
        )
    else:
        print(format_table(runs))
        if abstain:
            print(abstain.format())
        if calibrated:
            print("best on this set: " + calibrated.format())
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
