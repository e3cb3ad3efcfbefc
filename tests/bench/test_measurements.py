"""docs/measurements.md is what `python -m qa.bench.measurements` writes from
bench/*.json, and a changed figure in a JSON changes the page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qa.bench import measurements


def test_the_committed_page_is_what_the_results_give() -> None:
    written = measurements.PAGE.read_text(encoding="utf-8")
    assert written == measurements.render(measurements.read_results()), (
        "docs/measurements.md is out of date with bench/*.json: run `python -m qa.bench.measurements`."
    )


def _copy_results(tmp_path: Path) -> Path:
    bench = tmp_path / "bench"
    bench.mkdir()
    for name in measurements.SOURCES:
        shutil.copy(measurements.BENCH / name, bench / name)
    return bench


def test_a_changed_figure_changes_the_page_and_fails_the_check(tmp_path: Path, capsys) -> None:
    bench = _copy_results(tmp_path)
    page = tmp_path / "measurements.md"
    assert measurements.main(["--bench", str(bench), "--out", str(page)]) == 0
    assert measurements.main(["--bench", str(bench), "--out", str(page), "--check"]) == 0

    result = json.loads((bench / "bench.json").read_text(encoding="utf-8"))
    result["queries"]["search"]["p50_ms"] = 83.3
    (bench / "bench.json").write_text(json.dumps(result), encoding="utf-8")
    changed = measurements.render(measurements.read_results(bench))
    assert changed != page.read_text(encoding="utf-8")
    p95 = result["queries"]["search"]["p95_ms"]
    assert f"| search p50 / p95 (150 questions)           | 83.3 / {p95:.1f} ms |" in changed  # the table
    assert f"**search p50 83 ms, p95 {p95:.0f} ms**" in changed  # and the prose that quotes it

    assert measurements.main(["--bench", str(bench), "--out", str(page), "--check"]) == 1
    assert "run `python -m qa.bench.measurements`" in capsys.readouterr().err


def test_a_scale_figure_reaches_its_table(tmp_path: Path) -> None:
    bench = _copy_results(tmp_path)
    result = json.loads((bench / "scale-5m.json").read_text(encoding="utf-8"))
    result["lexical"][0]["p50_ms"] = 41.26
    (bench / "scale-5m.json").write_text(json.dumps(result), encoding="utf-8")
    page = measurements.render(measurements.read_results(bench))
    assert "| 5,000,000 | 1,474 MB matrix | 41.3 | 26.0 | 32 | 2,393 |" in page
    assert "1.5 GB score matrix and 41 ms a query" in " ".join(page.split())  # the prose
