"""IR metrics and significance tests, computed by ranx (not by hand).

Judgments and runs are plain dicts here ({query: {item: grade or score}});
this is the only module that imports ranx, whose first use compiles its
metrics (numba, cached on disk after the first run).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

DEFAULT_METRICS = ("ndcg@10", "recall@1", "recall@5", "recall@10", "recall@100", "mrr@10", "hit_rate@5")
DEFAULT_STAT_TEST = "student"  # paired t-test over queries; ranx also offers "fisher" (randomisation) and "tukey"
DEFAULT_MAX_P = 0.05

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


@dataclass
class Scores:
    name: str
    means: dict[str, float]
    per_query: dict[str, dict[str, float]]  # metric -> query -> value


def _ranx(qrels: Qrels, runs: dict[str, Run]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety notes on first compile
        from ranx import Qrels as RQrels
        from ranx import Run as RRun
    # Every judged query appears in every run (empty when nothing was
    # retrieved), so means are over the same queries for every configuration.
    judged = {q: j for q, j in qrels.items() if any(g > 0 for g in j.values())}
    rq = RQrels(judged)
    rruns = [RRun({q: dict(run.get(q, {})) for q in judged}, name=name) for name, run in runs.items()]
    return rq, rruns


def score_runs(qrels: Qrels, runs: dict[str, Run], metrics: tuple[str, ...] = DEFAULT_METRICS) -> list[Scores]:
    """Mean and per-query metrics of each run against the judgments."""
    from ranx import evaluate

    rq, rruns = _ranx(qrels, runs)
    out = []
    for rr in rruns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            evaluate(rq, rr, list(metrics), make_comparable=True)
        per_query = {m: {q: float(v) for q, v in rr.scores[m].items()} for m in metrics}
        means = {m: float(sum(v.values()) / max(1, len(v))) for m, v in per_query.items()}
        out.append(Scores(rr.name, means, per_query))
    return out


@dataclass
class Comparison:
    stat_test: str
    max_p: float
    p_values: dict[str, dict[str, dict[str, float]]]  # run -> other run -> metric -> p


def compare_runs(
    qrels: Qrels, runs: dict[str, Run], metrics: tuple[str, ...] = DEFAULT_METRICS, *,
    stat_test: str = DEFAULT_STAT_TEST, max_p: float = DEFAULT_MAX_P,
) -> Comparison:
    """Paired significance test between every two runs, on every metric."""
    from ranx import compare

    rq, rruns = _ranx(qrels, runs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = compare(rq, rruns, metrics=list(metrics), stat_test=stat_test, max_p=max_p)
    raw = report.to_dict()
    p_values = {
        name: {other: {m: _p(p) for m, p in by_metric.items()} for other, by_metric in compared.items()}
        for name in raw["model_names"]
        for compared in [raw[name]["comparisons"]]
    }
    return Comparison(stat_test, max_p, p_values)


def _p(value: float) -> float:
    """A p-value; identical per-query scores give the t-test nothing to test (NaN): no difference, p = 1."""
    value = float(value)
    return 1.0 if math.isnan(value) else value


def parse_gate(text: str, metrics: tuple[str, ...]) -> tuple[str, float]:
    """'ndcg@10=0.7' -> ('ndcg@10', 0.7); the metric must be one being computed."""
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    try:
        threshold = float(value)
    except ValueError:
        threshold = None
    if not sep or threshold is None:
        raise ValueError(f"--min takes METRIC=VALUE, e.g. ndcg@10=0.7 (got {text!r}).")
    if name not in metrics:
        raise ValueError(f"--min {text}: {name} is not among the metrics computed ({', '.join(metrics)}).")
    return name, threshold
