"""Load: simultaneous browser sessions asking questions of one server process.

Runs bench/load_test.py as a subprocess (one `streamlit run app.py`, Debian's Chromium via
Playwright, one browser context per session) against the repo's index of the seeds; the script
builds index/ first if it has never been built. The default run is a small bound; the full
default (16 sessions x 3 questions) is marked slow. Two broken apps check that the script does
report an exception and a timeout instead of passing.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "load_test.py"
ARTIFACTS = ROOT / "artifacts"


def _run(tmp_path: Path, *args: str, timeout: float = 1500) -> tuple[subprocess.CompletedProcess, dict]:
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is missing: run `make test` (it installs Debian's chromium) or apt-get install chromium")
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--out", str(out), "--server-log", str(tmp_path / "server.log")],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    assert out.is_file(), f"no JSON written (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc, json.loads(out.read_text())


def _check_clean(proc: subprocess.CompletedProcess, result: dict, sessions: int, questions: int) -> None:
    detail = f"{proc.stdout}\n{proc.stderr[-3000:]}"
    assert result["errors"] == [], detail
    assert result["error_count"] == 0
    assert proc.returncode == 0, detail
    expected = sessions * questions
    assert result["sessions"] == sessions and result["questions_per_session"] == questions
    assert result["questions_asked"] == expected, detail
    assert result["questions_answered"] == expected, detail  # every question has a measured latency
    assert len(result["asked"]) == expected
    for a in result["asked"]:
        assert a["outcome"] in ("answered", "not_in_collection"), a
        assert isinstance(a["latency_s"], float) and 0 < a["latency_s"] < 180, a
    # Realistic questions about the seeds are mostly answered with quotes.
    assert result["outcomes"].get("answered", 0) >= expected // 2, result["outcomes"]
    lat = result["latency_s"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"], lat
    assert result["server_peak_rss_mib"] and result["server_peak_rss_mib"] >= result["server_peak_rss_ready_mib"] > 0
    assert result["wall_s"] > 0
    assert "latency p95" in proc.stdout  # the printed table


def test_load_small_bound(tmp_path):
    """4 simultaneous sessions x 2 questions each: no errors, every question answered."""
    proc, result = _run(tmp_path, "--sessions", "4", "--questions", "2")
    _check_clean(proc, result, 4, 2)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load_small.json").write_text(json.dumps(result, indent=1))


@pytest.mark.slow
def test_load_full_default(tmp_path):
    """The script's full default: 16 simultaneous sessions x 3 questions."""
    proc, result = _run(tmp_path)
    _check_clean(proc, result, 16, 3)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load_full.json").write_text(json.dumps(result, indent=1))


BROKEN_APPS = {
    "exception": (
        "import streamlit as st\n"
        "q = st.chat_input('Ask')\n"
        "if q:\n"
        "    raise RuntimeError('broken under load')\n"
    ),
    "timeout": (
        "import time\n"
        "import streamlit as st\n"
        "q = st.chat_input('Ask')\n"
        "if q:\n"
        "    time.sleep(60)\n"
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_APPS))
def test_load_script_reports_failures(tmp_path, kind):
    """The harness is not a rubber stamp: an exception or a hung answer gives exit 1 and a message."""
    app = tmp_path / "broken_app.py"
    app.write_text(BROKEN_APPS[kind])
    proc, result = _run(tmp_path, "--sessions", "2", "--questions", "1", "--app", str(app), "--no-build",
                        "--index", str(tmp_path / "no-index"), "--answer-timeout", "8", timeout=300)
    assert proc.returncode == 1, proc.stdout
    assert result["error_count"] >= 2, result["errors"]  # one per session at least
    assert result["questions_answered"] == 0
    assert result["latency_s"]["p95"] is None
    if kind == "exception":
        assert any("exception shown" in e and "broken under load" in e for e in result["errors"]), result["errors"]
        assert any(e.startswith("server log") and "RuntimeError: broken under load" in e for e in result["errors"])
    else:
        assert sum(a["outcome"] == "timeout" for a in result["asked"]) == 2, result["asked"]
    assert "ERROR session" in proc.stdout
