"""Load test: many simultaneous browser sessions asking questions of one Streamlit server.

Starts one `streamlit run app.py` process on a free local port, waits for /_stcore/health,
then opens N browser sessions at once (one Chromium, one browser context per session, so each
is its own Streamlit session). Once every session's page is ready, all of them start together
and each asks Q questions one after another, timing each from pressing Enter in the chat input
to the answer appearing (one more assistant message, holding a cited passage or a notice, and
Streamlit's running indicator gone).

Errors: a Streamlit exception element, an error or warning alert in the answer, a page error,
a console error (with the failing URL and the question it came during, timed from Enter), a
timeout, a question without an answer, or an uncaught exception in the server's log.

Also reported: latency p50/p95/max, the server's peak RSS (VmHWM) once all pages are ready and
at the end, wall times, the load average, and the CPU seconds the server, the browser and this
script used while the questions were asked (the browser shares the machine with the server, so
on a small machine the latency includes the browser's own rendering).

    .venv/bin/python bench/load_test.py                      # 16 sessions x 3 questions, index/ from seeds/
    .venv/bin/python bench/load_test.py --sessions 4 --questions 2 --out artifacts/load.json
    QA_DOCS=../shared/corpus/ofsted QA_INDEX=/tmp/full-index .venv/bin/python bench/load_test.py

Prints a table, writes JSON with --out; exit status 1 if any error occurred. Uses Debian's
Chromium (/usr/bin/chromium); never downloads a browser.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from local_server import free_port, start_server, wait_healthy  # bench/, beside this script

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FOLLOW_UP = "follow-up"

# Realistic questions about the seed collection (the articles name Rotherham and Sheffield, the
# reports Dorset, Bedford, Cumberland, Isle of Wight, BCP, North Northamptonshire, B&NES).
# A follow-up is never a session's first question, so it always follows an earlier one.
QUESTIONS: list[tuple[str, str | None]] = [
    ("What did inspectors say about supervision in Rotherham?", None),
    ("How well are care leavers supported in Bedford?", None),
    ("What is the impact of leaders in Dorset?", None),
    ("And what about Sheffield?", FOLLOW_UP),
    ("How are care leavers helped into education, employment or training in Cumberland?", None),
    ("How effective is early help on the Isle of Wight?", None),
    ("What needs to improve there?", FOLLOW_UP),
    ("How strong is leadership in Bournemouth, Christchurch and Poole?", None),
    ("How well do managers supervise social workers in Cumberland?", None),
    ("What is the weather forecast for Mars next Tuesday?", None),  # not in the collection
    ("How stable is the social work workforce in North Northamptonshire?", None),
    ("Are personal advisers in touch with care leavers in Dorset?", None),
    ("What did inspectors find about children in care in Bath and North East Somerset?", None),
    ("What did Ofsted find about management oversight in Sheffield?", None),
]

# Resolves when the question is answered (or an exception is shown): the assistant messages
# outnumber `before`, the newest holds a cited passage (a quote container keyed
# src-<turn>-q-<n>) or a notice (stAlert), and the script run is over (no running indicator).
ANSWERED_JS = """
([before]) => {
  if (document.querySelector('[data-testid="stException"]')) return 'exception';
  const msgs = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
    .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
  if (msgs.length <= before) return false;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
  const last = msgs[msgs.length - 1];
  if (last.querySelector('[data-testid="stAlertContentWarning"], [data-testid="stAlertContentError"]'))
    return 'problem';
  // "Not in the collection" is a notice, then perhaps the closest passages (also with citations).
  if (last.querySelector('[data-testid="stAlertContentInfo"]')) return 'not_in_collection';
  // each quote is a container keyed src-<turn>-q-<n> (qa/app/views.py), its citation one click away
  if (last.querySelector('[class*="st-key-src-"][class*="-q-"]')) return 'answered';
  return false;
}
"""
ASSISTANT_COUNT_JS = """
() => [...document.querySelectorAll('[data-testid="stChatMessage"]')]
  .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]')).length
"""
IDLE_JS = "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
# Server log lines that mean something went wrong on the server side.
LOG_ERROR_MARKERS = ("Traceback (most recent call last)", "Uncaught app exception", "Exception in thread")


def session_questions(session: int, count: int) -> list[str]:
    """`count` questions for one session: the shared list from a per-session offset, cycling."""
    out: list[str] = []
    i = (session * max(1, count)) % len(QUESTIONS)
    while len(out) < count:
        question, kind = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        if kind == FOLLOW_UP and not out:
            continue
        out.append(question)
    return out


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Asked:
    session: int
    question: str
    latency_s: float | None = None
    outcome: str = ""  # answered | not_in_collection | problem | exception | timeout | error


@dataclass
class Run:
    asked: list[Asked] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def vm_kib(pid: int, key: str) -> int | None:
    """A VmXXX line of /proc/<pid>/status, in KiB (None once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pids: set[int]) -> float:
    """utime + stime of these processes (those still running), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def descendants(root: int) -> set[int]:
    """Every process under `root` (not root itself)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = set(), [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def error_kind(message: str) -> str:
    """An error message without its session, question and timing, for counting alike errors."""
    text = re.sub(r"^session \d+: ", "", message)
    text = re.sub(r"\(/tmp/[^)]*\)", "", text)
    text = re.sub(r" (at question \d+|after answer \d+|after the last answer|loading|waiting for the start)"
                  r"( \(\+[\d.]+ s\))?", "", text)
    text = re.sub(r"/media/[0-9a-f]+", "/media/<id>", text)
    return re.sub(r"'[^']*'", "'…'", text)[:200]


def ensure_index(docs: Path, index: Path) -> float | None:
    """Build the index when it has never been built; seconds taken, or None if it was there.
    (The server itself brings an existing index up to date on start, before any session is ready.)"""
    if (index / "CURRENT").is_file():
        return None
    t = time.monotonic()
    subprocess.run([sys.executable, "-m", "qa", "build", "--docs", str(docs), "--index", str(index)],
                   cwd=ROOT, check=True)
    return time.monotonic() - t


async def run_sessions(url: str, sessions: int, questions: int, *, ready_timeout: float,
                       answer_timeout: float, run: Run, on_start=None, on_end=None) -> dict:
    """Open the sessions, start them together once all are ready, wait for all to finish.
    `on_start()` is called at that start (before the first question), `on_end()` once every
    session is done (before the browser closes)."""
    from playwright.async_api import async_playwright

    def error(session: int, message: str) -> None:
        run.errors.append(f"session {session}: {message}")

    def where(msg) -> str:
        url = (msg.location or {}).get("url", "")
        return f" ({url.replace(base, '')})" if url and not url.startswith(base + "/static/") else ""

    base = url
    start = asyncio.Event()
    ready_at: list[float] = []

    contexts = []  # closed after on_end(), so that their renderers' CPU time is still counted

    async def session(pw_browser, n: int) -> None:
        context = await pw_browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = await context.new_page()
        phase: list = ["loading", None]  # what the session was doing when an event came, since when

        def when() -> str:
            return phase[0] + (f" (+{time.monotonic() - phase[1]:.2f} s)" if phase[1] else "")

        def on_console(msg) -> None:
            if msg.type == "error":
                error(n, f"console error {when()}: {msg.text}{where(msg)}")

        page.on("pageerror", lambda exc: error(n, f"page error {when()}: {exc}"))
        page.on("console", on_console)
        page.on("crash", lambda _: error(n, f"page crashed {when()}"))
        mine = session_questions(n, questions)
        try:
            await page.goto(url, timeout=ready_timeout * 1000)
            box = page.get_by_test_id("stChatInputTextArea")
            await box.wait_for(timeout=ready_timeout * 1000)
            await page.wait_for_function(IDLE_JS, timeout=ready_timeout * 1000, polling=100)
            ready_at.append(time.monotonic())
        except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
            error(n, f"page not ready: {type(e).__name__}: {str(e).splitlines()[0]}")
            for q in mine:
                run.asked.append(Asked(n, q, outcome="error"))
            return
        phase[0] = "waiting for the start"
        await start.wait()
        for i, q in enumerate(mine, 1):
            asked = Asked(n, q)
            run.asked.append(asked)
            try:
                before = await page.evaluate(ASSISTANT_COUNT_JS)
                await box.fill(q)
                t = time.monotonic()
                phase[:] = [f"at question {i}", t]
                await box.press("Enter")
                handle = await page.wait_for_function(ANSWERED_JS, arg=[before],
                                                      timeout=answer_timeout * 1000, polling=50)
                elapsed = time.monotonic() - t
                phase[:] = [f"after answer {i}", time.monotonic()]
                asked.outcome = await handle.json_value()
                if asked.outcome in ("answered", "not_in_collection"):
                    asked.latency_s = round(elapsed, 3)
                elif asked.outcome == "exception":
                    text = await page.locator('[data-testid="stException"]').first.inner_text()
                    error(n, f"exception shown after {q!r}: {' '.join(text.split())[:300]}")
                    break
                else:
                    text = await page.locator('[data-testid="stAlertContainer"]').last.inner_text()
                    error(n, f"problem shown for {q!r}: {' '.join(text.split())[:300]}")
            except Exception as e:  # noqa: BLE001
                name = type(e).__name__
                asked.outcome = "timeout" if "Timeout" in name else "error"
                error(n, f"{asked.outcome} on {q!r}: {name}: {str(e).splitlines()[0]}")
                break
        phase[:] = ["after the last answer", time.monotonic()]
        await page.wait_for_timeout(300)  # late errors of the last answer still count

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                  "--disable-backgrounding-occluded-windows", "--disable-dev-shm-usage"],
        )
        try:
            opened = time.monotonic()

            tasks = [asyncio.create_task(session(browser, n)) for n in range(sessions)]

            async def release() -> None:
                # Start together once every session is ready (or has given up).
                while len(ready_at) + sum(t.done() for t in tasks) < sessions:
                    await asyncio.sleep(0.05)
                if on_start:
                    on_start()
                start.set()

            releaser = asyncio.create_task(release())
            for n, outcome in enumerate(await asyncio.gather(*tasks, return_exceptions=True)):
                if isinstance(outcome, BaseException):
                    error(n, f"session failed: {type(outcome).__name__}: {str(outcome).splitlines()[:1]}")
            releaser.cancel()
            done = time.monotonic()
            if on_end:
                on_end()
            for context in contexts:
                await context.close()
        finally:
            await browser.close()
    ready = max(ready_at) if ready_at else done
    return {"sessions_ready_s": round(ready - opened, 2), "questions_wall_s": round(done - ready, 2)}


def report(result: dict) -> str:
    def s(v):
        return "-" if v is None else f"{v:.2f} s"

    lat = result["latency_s"]
    rows = [
        ("sessions", str(result["sessions"])),
        ("questions per session", str(result["questions_per_session"])),
        ("questions asked / answered", f"{result['questions_asked']} / {result['questions_answered']}"),
        ("  of which 'not in the collection'", str(result["outcomes"].get("not_in_collection", 0))),
        ("errors", str(result["error_count"])),
        ("latency p50", s(lat["p50"])),
        ("latency p95", s(lat["p95"])),
        ("latency max", s(lat["max"])),
        ("latency mean", s(lat["mean"])),
        ("server peak RSS (VmHWM) when ready", f"{result['server_peak_rss_ready_mib']} MiB"),
        ("server peak RSS (VmHWM) at end", f"{result['server_peak_rss_mib']} MiB"),
        ("server start to healthy", s(result["server_healthy_s"])),
        ("sessions open to all ready", s(result["sessions_ready_s"])),
        ("questions wall time", s(result["questions_wall_s"])),
        ("total wall time", s(result["wall_s"])),
        ("load average at start / end", f"{result['loadavg_start']} / {result['loadavg_end']} "
                                        f"({result['cpus']} CPUs)"),
    ]
    if cpu := result["cpu_during_questions_s"]:
        rows.append(("CPU s while asking: server/browser/script",
                     f"{cpu['server']} / {cpu['browser']} / {cpu['harness']}"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    for kind, count in sorted(result["error_kinds"].items(), key=lambda kv: -kv[1]):
        lines.append(f"ERRORS x{count}: {kind}")
    for e in result["errors"][:10]:
        lines.append(f"ERROR {e}")
    if result["error_count"] > 10:
        lines.append(f"... and {result['error_count'] - 10} more errors")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=16, help="simultaneous browser sessions (default 16)")
    parser.add_argument("--questions", type=int, default=3, help="questions asked by each session (default 3)")
    parser.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    parser.add_argument("--out", type=Path, help="write the result as JSON here")
    parser.add_argument("--docs", type=Path, default=Path(os.environ.get("QA_DOCS", "seeds")),
                        help="collection folder (default $QA_DOCS or seeds)")
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("QA_INDEX", "index")),
                        help="index folder (default $QA_INDEX or index)")
    parser.add_argument("--answer-timeout", type=float, default=180.0, help="seconds per question (default 180)")
    parser.add_argument("--ready-timeout", type=float, default=300.0,
                        help="seconds for the server and every page to be ready (default 300)")
    parser.add_argument("--server-log", type=Path, help="keep the server's output here (default: a temp file)")
    parser.add_argument("--no-build", action="store_true",
                        help="do not build a missing index first (the app then builds it on start)")
    parser.add_argument("--app", type=Path, default=ROOT / "app.py",
                        help="the Streamlit script (default app.py; the tests point it at broken apps)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.questions < 1:
        parser.error("--sessions and --questions must be at least 1")
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} is missing: apt-get install chromium (no browser is downloaded)")
    docs = args.docs if args.docs.is_absolute() else ROOT / args.docs
    index = args.index if args.index.is_absolute() else ROOT / args.index

    wall = time.monotonic()
    loadavg_start = round(os.getloadavg()[0], 2)
    build_s = None if args.no_build else ensure_index(docs, index)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    if args.server_log:
        log_path = args.server_log
    else:
        fd, name = tempfile.mkstemp(prefix="load-test-server-", suffix=".log")
        os.close(fd)  # reopened below by name
        log_path = Path(name)
    run = Run()
    timings: dict = {}
    peak_ready = peak = healthy_s = None
    cpu: dict[str, dict[str, float]] = {}
    with open(log_path, "wb") as log:
        t = time.monotonic()
        server = start_server(docs, index, port, log, args.app.resolve())
        try:
            wait_healthy(url, server, args.ready_timeout)
            healthy_s = time.monotonic() - t

            def cpu_now() -> dict[str, float]:
                server_tree = {server.pid} | descendants(server.pid)
                browser_tree = descendants(os.getpid()) - server_tree
                return {"server": cpu_seconds(server_tree), "browser": cpu_seconds(browser_tree),
                        "harness": sum(os.times()[:2])}

            def on_start() -> None:  # the server's peak RSS from start-up alone (model, index, pages)
                nonlocal peak_ready
                peak_ready = vm_kib(server.pid, "VmHWM")
                cpu["start"] = cpu_now()

            def on_end() -> None:
                cpu["end"] = cpu_now()

            timings = asyncio.run(run_sessions(url, args.sessions, args.questions, ready_timeout=args.ready_timeout,
                                               answer_timeout=args.answer_timeout, run=run,
                                               on_start=on_start, on_end=on_end))
            peak = vm_kib(server.pid, "VmHWM")
            if server.poll() is not None:
                run.errors.append(f"server: exited with status {server.returncode} during the run")
        except Exception as e:  # noqa: BLE001
            run.errors.append(f"harness: {type(e).__name__}: {e}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    log_text = re.sub(r"\x1b\[[0-9;]*m", "", log_path.read_text(errors="replace"))  # Rich colours
    for marker in LOG_ERROR_MARKERS:
        if marker in log_text:
            at = log_text.index(marker)
            last = re.search(r"^\s*(\w+(Error|Exception|Exit|Interrupt)\b.*)$", log_text[at:], re.M)
            what = last.group(1).strip() if last else log_text[at:at + 300].replace("\n", " | ")
            run.errors.append(f"server log ({log_path}): {log_text.count(marker)} x {marker!r}, "
                              f"the first: {what[:300]}")

    latencies = [a.latency_s for a in run.asked if a.latency_s is not None]
    outcomes: dict[str, int] = {}
    for a in run.asked:
        outcomes[a.outcome] = outcomes.get(a.outcome, 0) + 1
    expected = args.sessions * args.questions
    if len(run.asked) < expected or len(latencies) < expected:
        missing = expected - len(latencies)
        if not any("timeout" in e or "exception" in e or "not ready" in e for e in run.errors):
            run.errors.append(f"harness: {missing} of {expected} questions got no answer")
    kinds: dict[str, int] = {}
    for e in run.errors:
        kinds[error_kind(e)] = kinds.get(error_kind(e), 0) + 1
    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "docs": str(docs), "index": str(index), "url": url,
        "sessions": args.sessions, "questions_per_session": args.questions,
        "questions_asked": len(run.asked), "questions_answered": len(latencies),
        "outcomes": outcomes,
        "error_count": len(run.errors), "errors": run.errors,
        "latency_s": {
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "max": max(latencies) if latencies else None,
            "mean": round(sum(latencies) / len(latencies), 3) if latencies else None,
        },
        "error_kinds": kinds,
        # CPU seconds used while the questions were asked (all sessions started together until
        # all were done): the server process, the browser (Chromium's processes), this script.
        "cpu_during_questions_s": {k: round(cpu["end"][k] - cpu["start"][k], 1) for k in cpu["end"]}
        if "start" in cpu and "end" in cpu else None,
        "server_peak_rss_ready_mib": round(peak_ready / 1024) if peak_ready else None,
        "server_peak_rss_mib": round(peak / 1024) if peak else None,
        "index_build_s": round(build_s, 2) if build_s is not None else None,
        "server_healthy_s": round(healthy_s, 2) if healthy_s is not None else None,
        "sessions_ready_s": timings.get("sessions_ready_s"),
        "questions_wall_s": timings.get("questions_wall_s"),
        "wall_s": round(time.monotonic() - wall, 2),
        "loadavg_start": loadavg_start, "loadavg_end": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "server_log": str(log_path),
        "asked": [asdict(a) for a in run.asked],
    }
    print(report(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
