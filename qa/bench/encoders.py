"""What encoding costs, lever by lever, measured side by side in one process.

    python -m qa.bench.encoders --docs ../shared/corpus/ofsted [--sample 20] [--rounds 3] [--out FILE]
    python -m qa.bench.encoders --counts-index DIR         (the levers' counts on a built index, no timing)
    python -m qa.bench.encoders --reencode DIR --encoder onnx-int8 --out-index COPY
    python -m qa.bench.encoders --stand-ins DIR --out-index COPY

The timed configurations run on the same texts (the sentences of `--sample`
reports of the collection, spread over it), interleaved: every round times
each configuration once, so a neighbour's load falls on all of them alike;
the median of the rounds is reported with each round's time. On a machine
others use the figures are noisy: compare within one run only.

  every-sentence  the encoding of the build before the levers: every sentence, batch 32, torch
  plan-bN         the build's encoding plan (each text once, stock text as its first occurrence), batch N
  plan-1-thread   the same on one core (what threads set to the cores is worth)
  <encoder>-bN    another encoder on the plan's texts; its cosine to torch's vectors beside it

`--reencode` writes a copy of an index whose sentence and document vectors are
those of another encoder (questions are then encoded with it: `qa eval --index
COPY`); `--stand-ins` a copy in which each stock sentence has the vector of
its words' first occurrence, as the build's plan gives it, with no encoding:
comparing `qa eval` on it with the original shows whether that lever changes
retrieval.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np


def sample_documents(docs: Path, n: int) -> list:
    """n reports spread evenly over the collection (by path order), loaded as the build loads them."""
    from qa.index.build import _discover_sources
    from qa.ingest.gazetteer import load_gazetteer
    from qa.ingest.load import load_document
    from qa.ingest.manifest import find_row

    files, rows = _discover_sources([docs], None, [])
    files = [(root, p) for root, p in files if p.suffix.lower() == ".pdf"] or files
    picked = [files[round(i * (len(files) - 1) / max(1, n - 1))] for i in range(min(n, len(files)))]
    gazetteer = load_gazetteer()
    out = []
    for root, path in dict.fromkeys(picked):
        rel = path.relative_to(root).as_posix()
        doc, _ = load_document(path, root, gazetteer=gazetteer, manifest_row=find_row(rows, rel))
        out.append(doc)
    return out


def plan_counts(documents: list, sentences: list) -> dict:
    """How many texts each lever leaves to encode."""
    from qa.index.build import PreviousVectors, encoding_plan, repeated_sentences

    texts = [documents[s.doc_index].text[s.start : s.end] for s in sentences]
    repeated = repeated_sentences(documents, sentences)
    _, encode, _ = encoding_plan(documents, sentences, texts, PreviousVectors())
    distinct = set(texts)
    return {
        "documents": len(documents), "sentences": len(texts), "distinct_texts": len(distinct),
        "stock_sentences": int(repeated.sum()),
        "stock_distinct_texts": len({t for t, r in zip(texts, repeated, strict=True) if r}),
        "to_encode": len(encode),
        "characters": {"every_sentence": sum(map(len, texts)), "distinct": sum(map(len, distinct)),
                       "to_encode": sum(map(len, encode))},
        "saved_share": 1 - len(encode) / max(1, len(texts)),
    }


def _index_sentences(index_dir: Path) -> tuple[list, list]:
    from qa.index.store import load_index
    from qa.records import Sentence

    loaded = load_index(index_dir)
    return loaded.documents, [Sentence(*row) for row in loaded.sentences.tolist()]


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _cosines(a: np.ndarray, b: np.ndarray) -> dict:
    c = np.sum(a * b, axis=1)
    return {"mean": round(float(c.mean()), 5), "min": round(float(c.min()), 5),
            "p01": round(float(np.percentile(c, 1)), 5)}


def measure(docs: Path, *, sample: int, rounds: int, encoders: list[str], batches: list[int],
            encoder_batches: list[int]) -> dict:
    import torch

    from qa.index.build import PreviousVectors, encoding_plan
    from qa.index.embed import cpu_threads, default_model, make_embedder
    from qa.ingest.chunk import sentences_of

    documents = sample_documents(docs, sample)
    sentences = [s for i, d in enumerate(documents) for s in sentences_of(d, i)]
    texts = sorted((d.text[s.start : s.end] for s in sentences for d in (documents[s.doc_index],)), key=len)
    _, plan, _ = encoding_plan(documents, sentences, [documents[s.doc_index].text[s.start : s.end]
                                                      for s in sentences], PreviousVectors())
    plan.sort(key=len)  # as the build sorts them
    model = default_model()
    cores = cpu_threads()
    torch_embedder = make_embedder(model, encoder="torch", threads=cores)
    others = {e: make_embedder(model, encoder=e, threads=cores) for e in encoders if e != "torch"}

    def one_thread():
        torch.set_num_threads(1)
        try:
            torch_embedder.encode(plan, batch_size=32)
        finally:
            torch.set_num_threads(cores)

    configs = {"every-sentence": lambda: torch_embedder.encode(texts, batch_size=32)}
    for b in batches:
        configs[f"plan-b{b}"] = partial(torch_embedder.encode, plan, batch_size=b)
    if cores > 1:
        configs["plan-1-thread"] = one_thread
    for name, embedder in others.items():
        for b in encoder_batches:
            configs[f"{name}-b{b}"] = partial(embedder.encode, plan, batch_size=b)
    times: dict[str, list[float]] = {k: [] for k in configs}
    load = [os.getloadavg()[0]]
    for _ in range(rounds):
        for name, fn in configs.items():
            times[name].append(_timed(fn))
        load.append(os.getloadavg()[0])
    reference = torch_embedder.encode(plan, batch_size=32)
    agreement = {f"plan-b{b}": _cosines(torch_embedder.encode(plan, batch_size=b), reference) for b in batches}
    for name, embedder in others.items():
        agreement[name] = _cosines(embedder.encode(plan, batch_size=32), reference)
    baseline = statistics.median(times["every-sentence"])
    result = {
        "collection": str(docs), "model": model, "cores": cores, "rounds": rounds,
        "load_average_per_round": [round(x, 2) for x in load],
        "note": "interleaved rounds in one process; on a shared machine the times are noisy",
        "texts": {**plan_counts(documents, sentences), "every_sentence": len(texts), "plan": len(plan)},
        "configs": {},
        "encoders": {name: e.encoder_info for name, e in {"torch": torch_embedder, **others}.items()},
    }
    for name, spent in times.items():
        n = len(texts) if name == "every-sentence" else len(plan)
        median = statistics.median(spent)
        result["configs"][name] = {
            "seconds": [round(x, 2) for x in spent], "median_seconds": round(median, 2),
            "texts_per_second": round(n / median, 1), "speed_vs_every_sentence": round(baseline / median, 2),
            **({"cosine_to_torch": agreement[name.rsplit("-b", 1)[0]]}
               if name.rsplit("-b", 1)[0] in agreement else {}),
            **({"cosine_to_torch_b32": agreement[name]} if name in agreement else {}),
        }
    return result


def _copy_index(src: Path, out: Path) -> Path:
    """A copy of an index's live build as the only build of `out`; its folder."""
    from qa.index import store

    folder = store.current_build(src)
    if folder is None:
        raise SystemExit(f"error: {src} holds no built index.")
    if out.exists():
        shutil.rmtree(out)
    (out / "builds").mkdir(parents=True)
    target = out / "builds" / folder.name
    shutil.copytree(folder, target)
    (out / "CURRENT").write_text(folder.name, encoding="utf-8")
    return target


def _rewrite(folder: Path, vectors: np.ndarray, document_vectors: np.ndarray | None, manifest_update: dict) -> None:
    """Replace a build's vectors (the vector index rebuilt of the same kind) and reseal its manifest."""
    from qa.index import dense, store

    manifest = json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))
    kind = (manifest.get("vector_index") or {}).get("kind", "flat")
    index = dense.build_vector_index(vectors, kind=kind)
    dense.save(index, folder / "dense.faiss")
    if document_vectors is not None:
        np.save(folder / "document_vectors.npy", np.asarray(document_vectors, dtype=np.float32))
    manifest.update(manifest_update)
    manifest["vector_index"] = dense.describe(index)
    manifest["files"] = {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": store._file_sha256(p)}
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != store.MANIFEST
    }
    manifest["checksum"] = store._manifest_checksum(manifest)
    (folder / store.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def reencode(src: Path, encoder: str, out: Path) -> dict:
    """A copy of the index at `src` with every vector made by `encoder`, through the build's own plan."""
    from qa.index.build import BuildReport, PreviousVectors, _embed, _embed_documents
    from qa.index.embed import encoder_of, make_embedder
    from qa.index.store import read_index_manifest

    manifest = read_index_manifest(src) or {}
    documents, sentences = _index_sentences(src)
    embedder = make_embedder(manifest["model"], encoder=encoder)
    started = time.perf_counter()
    vectors = _embed(documents, sentences, embedder, PreviousVectors(), BuildReport())
    document_vectors = _embed_documents(documents, embedder, PreviousVectors())
    seconds = time.perf_counter() - started
    old = _stored_vectors(src)
    folder = _copy_index(src, out)
    _rewrite(folder, vectors, document_vectors, {"encoder": encoder_of(embedder)})
    return {"index": str(out), "encoder": encoder_of(embedder), "sentences": len(sentences),
            "encode_seconds": round(seconds, 1), "cosine_to_source": _cosines(vectors, old)}


def _stored_vectors(index_dir: Path) -> np.ndarray:
    from qa.index.store import reusable_vectors

    stored = reusable_vectors(index_dir)
    if stored is None:
        raise SystemExit(f"error: the vectors of {index_dir} cannot be read.")
    return stored.vectors


def stand_ins(src: Path, out: Path) -> dict:
    """A copy of the index at `src` in which each stock sentence takes the
    vector of its words' first occurrence, as the build's plan makes it."""
    from qa.index.build import PreviousVectors, encoding_plan

    documents, sentences = _index_sentences(src)
    vectors = _stored_vectors(src).copy()
    texts = [documents[s.doc_index].text[s.start : s.end] for s in sentences]
    _, encode, rows_of = encoding_plan(documents, sentences, texts, PreviousVectors())
    first_of_text = {t: i for i, t in reversed(list(enumerate(texts)))}
    changed = 0
    for text, rows in zip(encode, rows_of, strict=True):
        source = vectors[first_of_text[text]].copy()
        for i in rows:
            if texts[i] != text:
                changed += 1
            vectors[i] = source
    folder = _copy_index(src, out)
    _rewrite(folder, vectors, None, {})
    return {"index": str(out), "sentences": len(sentences), "given_a_stand_in": changed, "encoded_texts": len(encode)}


def main(argv: list[str] | None = None) -> int:
    from qa.index.embed import ENCODERS

    p = argparse.ArgumentParser(prog="python -m qa.bench.encoders", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=Path, default=Path("../shared/corpus/ofsted"), help="collection to sample")
    p.add_argument("--sample", type=int, default=20, help="reports whose sentences are encoded (default 20)")
    p.add_argument("--rounds", type=int, default=3, help="times each configuration is timed (default 3)")
    p.add_argument("--encoders", default=",".join(ENCODERS), help="comma-separated (default all)")
    p.add_argument("--batches", default="16,32,64,128", help="torch batch sizes (default 16,32,64,128)")
    p.add_argument("--encoder-batches", default="32", help="batch sizes of the other encoders (default 32)")
    p.add_argument("--counts-index", type=Path, help="only count what each lever saves on this built index")
    p.add_argument("--reencode", type=Path, metavar="INDEX", help="copy INDEX with --encoder's vectors to --out-index")
    p.add_argument("--stand-ins", type=Path, metavar="INDEX", help="copy INDEX with stock sentences' stand-in vectors")
    p.add_argument("--encoder", choices=ENCODERS, help="with --reencode")
    p.add_argument("--out-index", type=Path, help="with --reencode or --stand-ins: the copy's folder")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args(argv)
    if args.counts_index:
        result = plan_counts(*_index_sentences(args.counts_index))
    elif args.reencode or args.stand_ins:
        if not args.out_index or (args.reencode and not args.encoder):
            p.error("--reencode needs --encoder and --out-index; --stand-ins needs --out-index")
        result = reencode(args.reencode, args.encoder, args.out_index) if args.reencode \
            else stand_ins(args.stand_ins, args.out_index)
    else:
        if not args.docs.is_dir():
            p.error(f"{args.docs} is not a folder")
        ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
        result = measure(args.docs, sample=args.sample, rounds=args.rounds,
                         encoders=[e for e in args.encoders.split(",") if e], batches=ints(args.batches),
                         encoder_batches=ints(args.encoder_batches))
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
