"""What an evaluation prints and writes: a terminal table, JSON, a Markdown
report with a chart of per-query differences, TREC run and qrels files."""

from __future__ import annotations

import string
from pathlib import Path

from .metrics import Qrels, Run
from .suite import Evaluation

_SUPERSCRIPT = str.maketrans(string.ascii_lowercase[:10], "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲ")


def _letters(evaluation: Evaluation) -> dict[str, str]:
    return {s.name: string.ascii_lowercase[i] for i, s in enumerate(evaluation.scores)}


def _better_than(evaluation: Evaluation, name: str, metric: str) -> str:
    """Letters of the configurations this one beats significantly on a metric."""
    c = evaluation.comparison
    if c is None:
        return ""
    letters = _letters(evaluation)
    mean = {s.name: s.means[metric] for s in evaluation.scores}
    return "".join(sorted(
        letters[other] for other, p in c.p_values.get(name, {}).items()
        if p[metric] < c.max_p and mean[name] > mean[other]
    ))


def format_table(evaluation: Evaluation) -> str:
    suite = evaluation.suite
    metrics = evaluation.metrics
    letters = _letters(evaluation)
    width = max([len(s.name) + 4 for s in evaluation.scores] + [14])
    lines = [
        f"{suite.name}: {len(suite.questions)} judged questions, {suite.level}-level judgments",
        f"{'retriever':<{width}}" + "".join(f"{m:>11}   " for m in metrics),
    ]
    for s in evaluation.scores:
        cells = []
        for m in metrics:
            sig = _better_than(evaluation, s.name, m)
            cells.append(f"{s.means[m]:>11.3f}{sig.translate(_SUPERSCRIPT):<3}")
        label = f"{letters[s.name]}) {s.name}" if evaluation.comparison else s.name
        lines.append(f"{label:<{width}}" + "".join(cells))
    if evaluation.comparison:
        c = evaluation.comparison
        lines.append(f"superscripts: significantly better than that row (paired {c.stat_test} test, p < {c.max_p})")
    kinds = evaluation.by_kind()
    if len(kinds) > 1:
        lines.append(f"{evaluation.product.name} by kind of question:")
        for kind, (n, means) in kinds.items():
            lines.append(f"{'  ' + kind + f' ({n})':<{width}}" + "".join(f"{means[m]:>11.3f}   " for m in metrics))
    if evaluation.abstention:
        lines.append(evaluation.abstention.format())
    return "\n".join(lines)


def to_json(evaluation: Evaluation) -> dict:
    suite = evaluation.suite
    out = {
        "suite": suite.name,
        "level": suite.level,
        "questions": len(suite.questions),
        "metrics": list(evaluation.metrics),
        "retrievers": {s.name: s.means for s in evaluation.scores},
        "per_query": {s.name: s.per_query for s in evaluation.scores},
        "abstention": evaluation.abstention.to_json() if evaluation.abstention else None,
        "by_kind": {kind: {"questions": n, **means} for kind, (n, means) in evaluation.by_kind().items()},
    }
    if evaluation.comparison:
        c = evaluation.comparison
        out["significance"] = {"test": c.stat_test, "max_p": c.max_p, "p_values": c.p_values}
    return out


def write_markdown(evaluation: Evaluation, path: Path, *, command: str = "") -> Path | None:
    """A Markdown report; with several configurations, a PNG chart beside it of
    the per-query differences between the product and each other one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metric = evaluation.metrics[0]
    suite = evaluation.suite
    letters = _letters(evaluation)
    lines = [f"# Retrieval evaluation: {suite.name}", ""]
    if command:
        lines += [f"`{command}`", ""]
    lines += [
        f"{len(suite.questions)} judged questions, {suite.level}-level judgments; metrics computed by ranx.",
        "",
        "| retriever | " + " | ".join(evaluation.metrics) + " |",
        "|---|" + "---:|" * len(evaluation.metrics),
    ]
    for s in evaluation.scores:
        cells = []
        for m in evaluation.metrics:
            sig = _better_than(evaluation, s.name, m)
            cells.append(f"{s.means[m]:.3f}" + (f"<sup>{sig}</sup>" if sig else ""))
        lines.append(f"| {letters[s.name]}) {s.name} | " + " | ".join(cells) + " |")
    if evaluation.comparison:
        c = evaluation.comparison
        lines += ["", f"Superscripts: significantly better than that row (paired {c.stat_test} test, p < {c.max_p})."]
    if evaluation.abstention:
        lines += ["", evaluation.abstention.format().capitalize() + "."]
    chart = None
    if len(evaluation.scores) > 1:
        chart = path.with_suffix(".png")
        _per_query_chart(evaluation, metric, chart)
        lines += [
            "",
            f"Per-query {metric}: {evaluation.product.name} minus each other retriever "
            "(above zero: the product does better on that question).",
            "",
            f"![per-query differences]({chart.name})",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return chart


def _per_query_chart(evaluation: Evaluation, metric: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: write a file
    import matplotlib.pyplot as plt

    product = evaluation.product
    others = evaluation.scores[1:]
    fig, axes = plt.subplots(len(others), 1, figsize=(9, 2.2 * len(others)), sharex=True, squeeze=False)
    for ax, other in zip(axes[:, 0], others, strict=True):
        diffs = sorted(
            (product.per_query[metric][q] - other.per_query[metric].get(q, 0.0) for q in product.per_query[metric]),
            reverse=True,
        )
        colours = ["#2a7" if d > 0 else "#c33" if d < 0 else "#999" for d in diffs]
        ax.bar(range(len(diffs)), diffs, color=colours, width=1.0)
        ax.axhline(0, color="black", linewidth=0.6)
        wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
        ax.set_ylabel(f"vs {other.name}", fontsize=8)
        ax.set_title(f"{product.name} − {other.name}: better on {wins}, worse on {losses} questions", fontsize=9)
    axes[-1, 0].set_xlabel(f"questions, sorted by difference in {metric}")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_trec_run(run: Run, path: Path, *, tag: str) -> None:
    """TREC run format: qid Q0 docid rank score tag."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for qid, results in run.items():
            ranked = sorted(results.items(), key=lambda kv: -kv[1])
            for rank, (label, score) in enumerate(ranked, 1):
                f.write(f"{_trec_id(qid)} Q0 {_trec_id(label)} {rank} {score:g} {tag}\n")


def write_trec_qrels(qrels: Qrels, path: Path) -> None:
    """TREC qrels format: qid 0 docid relevance."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for qid, judged in qrels.items():
            for label, grade in judged.items():
                f.write(f"{_trec_id(qid)} 0 {_trec_id(label)} {grade}\n")


def _trec_id(text: str) -> str:
    """TREC files are split on white space: ids must not contain any."""
    return "_".join(str(text).split())
