"""Retrieval settings side by side on a question file (how the defaults were chosen).

    .venv/bin/python bench/compare_settings.py tests/data/seed_questions.jsonl [--index DIR]

Prints Recall@1, Recall@5 and MRR@10 (passage level) for the default hybrid
retriever and for one change at a time: reciprocal rank fusion, other dense
weights, other lexical mixes, neighbour context, and no place preference.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from qa.evaluate.judgments import read_queries
from qa.evaluate.report import format_table
from qa.evaluate.suite import evaluate, suite_from_questions
from qa.index.embed import embedder_for_index
from qa.index.store import load_index
from qa.search.retrieve import RetrievalSettings, Retriever

DEFAULT = RetrievalSettings()
VARIANTS = {
    "hybrid (default)": DEFAULT,
    "rrf fusion": replace(DEFAULT, fusion="rrf"),
    "dense weight 0.5": replace(DEFAULT, dense_weight=0.5),
    "dense weight 0.6": replace(DEFAULT, dense_weight=0.6),
    "dense weight 0.8": replace(DEFAULT, dense_weight=0.8),
    "coverage 0.3": replace(DEFAULT, coverage_weight=0.3),
    "coverage 0.7": replace(DEFAULT, coverage_weight=0.7),
    "neighbour context 0.3": replace(DEFAULT, context_weight=0.3),
    "no place preference": replace(DEFAULT, place_boost=0.0),
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("questions", type=Path)
    p.add_argument("--index", type=Path, default=Path("index"))
    args = p.parse_args()
    index = load_index(args.index)
    retriever = Retriever(index, embedder_for_index(index.manifest))
    suite = suite_from_questions(index, read_queries(args.questions), name=str(args.questions))
    evaluation = evaluate(
        retriever, suite, configs=VARIANTS, metrics=("recall@1", "recall@5", "mrr@10"), with_abstention=False
    )
    print(format_table(evaluation))


if __name__ == "__main__":
    main()
