"""Retrieval suites in an evaluator's own tests (pytest or any runner).

    from .testing import assert_retrieval

    def test_supervision_suite():
        assert_retrieval("suites/supervision.yaml", index="index", minimum={"recall@5": 0.9})

    def test_scifact():
        assert_retrieval(beir="data/scifact", minimum={"ndcg@10": 0.70})

The same evaluation as `python -m qa eval`; a shortfall fails with every
metric that fell short and the questions the product missed.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from qa.search.retrieve import Retriever

from .metrics import DEFAULT_METRICS
from .suite import ABSTENTION_GATES, PRODUCT, Evaluation, Suite, evaluate, suite_from_questions

BEIR_INDEX_ROOT = Path("index-beir")


def open_suite(
    questions: str | Path | None = None, *, beir: str | Path | None = None, index: str | Path | None = None,
    split: str = "test", level: str | None = None, model: str | None = None, progress=None,
) -> tuple[Suite, Retriever]:
    """A suite of judged questions and the retriever to run it on.

    With `questions`, the index at `index` (default index/) is used as it is.
    With `beir`, an index of the dataset's corpus is built at `index`
    (default index-beir/<dataset>), or reused when it holds exactly this corpus.
    """
    from qa.index.embed import DEFAULT_MODEL, embedder_for_index, make_embedder
    from qa.index.store import load_index

    from .judgments import read_queries

    if (questions is None) == (beir is None):
        raise ValueError("Give a question file or a BEIR folder (one of them).")
    if questions is not None:
        items = read_queries(Path(questions))
        loaded = load_index(Path(index or "index"))
        manifest = {**loaded.manifest, "model": model or loaded.manifest["model"]}
        retriever = Retriever(loaded, embedder_for_index(manifest))
        return suite_from_questions(loaded, items, name=str(questions), level=level), retriever

    from qa.index.build import build_index_from_documents

    from .beir import corpus_documents, read_beir

    folder = Path(beir)
    dataset = read_beir(folder, split=split)
    index_dir = Path(index) if index else BEIR_INDEX_ROOT / folder.resolve().name
    embedder = make_embedder(model or DEFAULT_MODEL)
    documents, skipped = corpus_documents(dataset.corpus_path)
    report = build_index_from_documents(
        documents, index_dir, embedder=embedder, source_signature=_file_hash(dataset.corpus_path), progress=progress,
    )
    if not report.up_to_date:
        print(f"indexed {len(documents)} documents of {folder} ({len(skipped)} skipped) in {report.seconds:.0f} s "
              f"-> {index_dir}", file=sys.stderr)
    # Judged documents that could not be indexed stay in the judgments: they count as misses.
    suite = Suite(str(folder), "document", dataset.queries, dataset.qrels)
    return suite, Retriever(load_index(index_dir), embedder)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assert_retrieval(
    questions: str | Path | None = None, *, beir: str | Path | None = None, index: str | Path | None = None,
    minimum: dict[str, float], metrics: tuple[str, ...] = DEFAULT_METRICS, level: str | None = None,
) -> Evaluation:
    """Evaluate the product's retriever; AssertionError when a metric is below its minimum."""
    suite, retriever = open_suite(questions, beir=beir, index=index, level=level)
    wanted = tuple(dict.fromkeys(metrics + tuple(m for m in minimum if m not in ABSTENTION_GATES)))
    evaluation = evaluate(retriever, suite, metrics=wanted)
    values = evaluation.gate_values()
    short = {m: values.get(m, float("nan")) for m, floor in minimum.items() if not values.get(m, -1.0) >= floor}
    if short:
        first = evaluation.metrics[0]
        missed = [q for q, v in evaluation.product.per_query[first].items() if v == 0.0]
        raise AssertionError(
            f"{suite.name} ({PRODUCT}): "
            + "; ".join(f"{m} = {v:.4f} < {minimum[m]}" for m, v in short.items())
            + f". {len(missed)} questions scored 0 on {first}: {', '.join(missed[:10])}"
        )
    return evaluation
