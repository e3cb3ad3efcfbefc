"""Build benchmark: the real build of a collection next to its floor.

The floor is the least any build must do: extract the files' text and pass
all of it through the same model once, nothing else. Each phase runs in its
own process so its peak memory is its own.

    python -m qa.bench --docs ../shared/corpus/ofsted [--out bench/build.json]
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

from .load import SUPPORTED_SUFFIXES, discover

FLOOR_WINDOW_WORDS = 180  # fits the model's 256-token window


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_floor(docs: Path) -> dict:
    """Extract every file's text (PDFium for PDFs) and encode it in windows."""
    import pypdfium2 as pdfium

    from .embed import SentenceTransformerEmbedder

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
        "windows": len(windows), "peak_mb": _peak_mb(),
    }


def phase_build(docs: Path, index: Path) -> dict:
    from .build import build_index
    from .embed import SentenceTransformerEmbedder

    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    loaded = time.perf_counter()
    report = build_index([docs], index, embedder=embedder)
    done = time.perf_counter()
    size = sum(p.stat().st_size for p in report.index_folder.rglob("*") if p.is_file()) if report.index_folder else 0
    return {
        "seconds": done - loaded, "model_load_seconds": loaded - started, "documents": len(report.indexed),
        "embedded": len(report.embedded), "embedded_files": report.embedded[:5], "skipped": report.skipped,
        "sentences": report.sentences, "chunks": report.chunks, "index_mb": size / 2**20, "peak_mb": _peak_mb(),
    }


def _run_phase(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "qa.bench", "--phase", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchmark phase {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(docs: Path, out: Path | None) -> dict:
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
        build = _run_phase("build", str(linked), str(index))
        last = next(p for p in reversed(files) if p.suffix.lower() == ".pdf")
        moved = work / "held-out.pdf"
        shutil.move(linked / last.relative_to(docs), moved)
        removed = _run_phase("build", str(linked), str(index))
        shutil.move(moved, linked / last.relative_to(docs))
        added = _run_phase("build", str(linked), str(index))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "collection": str(docs), "cores": os.cpu_count(), "floor": floor, "build": build,
        "ratio": build["seconds"] / floor["seconds"] if floor["seconds"] else None,
        "rebuild_one_removed": removed, "rebuild_one_added": added, "held_out_file": str(last.relative_to(docs)),
    }
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return result


def format_result(r: dict) -> str:
    b, f = r["build"], r["floor"]
    rows = [
        ("documents indexed / skipped", f"{b['documents']} / {len(b['skipped'])}"),
        ("sentences / chunks", f"{b['sentences']:,} / {b['chunks']:,}"),
        ("build time (model loaded)", f"{b['seconds']:.0f} s"),
        ("floor: extract + encode", f"{f['seconds']:.0f} s ({f['extract_seconds']:.0f} + {f['encode_seconds']:.0f} s)"),
        ("build / floor", f"{r['ratio']:.2f}"),
        ("throughput", f"{b['documents'] / b['seconds']:.2f} docs/s, {b['sentences'] / b['seconds']:.0f} sentences/s"),
        ("index size on disk", f"{b['index_mb']:.0f} MB"),
        ("peak memory: build / floor", f"{b['peak_mb']:.0f} MB / {f['peak_mb']:.0f} MB"),
        ("rebuild, one report removed", f"{r['rebuild_one_removed']['seconds']:.0f} s, "
                                        f"{r['rebuild_one_removed']['embedded']} embedded"),
        ("rebuild, that report added back", f"{r['rebuild_one_added']['seconds']:.0f} s, "
                                            f"{r['rebuild_one_added']['embedded']} embedded"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"| {k:<{width}} | {v} |" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=Path, default=Path("../shared/corpus/ofsted"))
    p.add_argument("--out", type=Path)
    p.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:
        kind, *rest = args.phase
        result = phase_floor(Path(rest[0])) if kind == "floor" else phase_build(Path(rest[0]), Path(rest[1]))
        print(json.dumps(result, default=str))
        return 0
    if not args.docs.is_dir():
        print(f"error: {args.docs} is not a folder; pass the collection with --docs.", file=sys.stderr)
        return 2
    print(format_result(run(args.docs, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
