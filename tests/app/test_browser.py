"""End to end in a real browser: Debian's Chromium driven by Playwright
against `streamlit run app.py` on a local port.

Saves a screenshot and the measured timings to artifacts/ (git-ignored).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
HOSTILE = (
    "<html><head><title>Torbay fostering</title></head><body><article><h1>Torbay fostering panels praised</h1>"
    "<p>Inspectors said the Torbay fostering panel &lt;script&gt;alert('owned')&lt;/script&gt; met weekly and "
    "[approved carers](http://evil.example/) quickly, which helped children settle.</p>"
    "<p>Torbay fostering panels were praised for clear decisions and careful matching of children.</p>"
    "</article></body></html>"
)
# A file whose name and title are markup: both must show as text.
HOSTILE_NAME = "<img src=x onerror=alert('name')>.txt"
HOSTILE_TITLE = (
    "<b>Torbay adoption</b> <img src=x onerror=alert('title')>\n\n"
    "Adoption panels in Torbay met every month and inspectors praised their careful matching of children.\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(docs: Path, index: Path):
    """`streamlit run app.py` on a free local port; (process, url, start time)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make test` (it installs Debian's chromium) or apt-get install chromium")
    port = _free_port()
    env = {**os.environ, "QA_DOCS": str(docs), "QA_INDEX": str(index)}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 120 s")
    return proc, url, started


def _browser(pw):
    return pw.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    docs = root / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    (docs / "torbay.html").write_text(HOSTILE, encoding="utf-8")
    (docs / HOSTILE_NAME).write_text(HOSTILE_TITLE, encoding="utf-8")
    proc, url, started = _start(docs, root / "index")
    yield url, started
    proc.terminate()
    proc.wait(timeout=20)


def test_ask_follow_up_and_inert_document(server):
    from playwright.sync_api import sync_playwright

    url, started = server
    ARTIFACTS.mkdir(exist_ok=True)
    timings = {}
    with sync_playwright() as pw:
        browser = _browser(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        box = page.get_by_test_id("stChatInputTextArea")
        box.wait_for(timeout=300_000)  # the first start builds the index

        def ask(question: str, expect: str) -> float:
            t = time.monotonic()
            box.fill(question)
            box.press("Enter")
            page.get_by_text(expect, exact=False).last.wait_for(timeout=120_000)
            return time.monotonic() - t

        timings["first_question_s"] = ask("What did inspectors say about Rotherham supervision?",
                                          "beginning to deliver more regular supervision")
        timings["start_to_first_answer_s"] = time.monotonic() - started
        page.screenshot(path=str(ARTIFACTS / "browser-first-answer.png"), full_page=True)
        page.locator("text=Community Care >> visible=true").first.wait_for(timeout=10_000)  # the citation
        timings["follow_up_s"] = ask("And what about Sheffield?", "Understood as")
        page.locator("text=Sheffield >> visible=true").last.wait_for(timeout=10_000)
        timings["third_question_s"] = ask("Torbay fostering panel weekly", "alert('owned')")
        ask("Torbay adoption panels careful matching of children", "careful matching of children")
        page.get_by_text("onerror=alert('title')", exact=False).last.wait_for(timeout=10_000)  # title as text
        page.wait_for_timeout(500)
        assert dialogs == []  # no script ran
        assert page.locator("img[src='x']").count() == 0  # neither name nor title became an element
        links = page.locator("a[href^='http://evil.example']")
        assert links.count() == 0, links.first.evaluate("a => a.parentElement.outerHTML")  # no link was made
        assert page.locator("script:has-text('owned')").count() == 0
        page.screenshot(path=str(ARTIFACTS / "browser.png"), full_page=True)
        with page.expect_download(timeout=30_000) as download:  # made on click, from every answer so far
            page.get_by_role("button", name="CSV (one row per quote)").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert download.value.suggested_filename == "answers.csv"
        assert "beginning to deliver more regular supervision" in exported and "alert('owned')" in exported
        browser.close()
    (ARTIFACTS / "browser_timings.json").write_text(json.dumps(timings, indent=1))


def test_upload_indexes_a_file_and_says_why_another_is_rejected(tmp_path):
    from playwright.sync_api import sync_playwright

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds" / "reports" / "80428_bedford", docs / "bedford")
    good, empty = tmp_path / "torbay adoption.txt", tmp_path / "empty.txt"
    good.write_text("Torbay adoption news\n\nInspectors said adoption support in Torbay was swift and kind.\n")
    empty.write_bytes(b"")
    proc, url, _ = _start(docs, tmp_path / "index")
    try:
        with sync_playwright() as pw:
            browser = _browser(pw)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url)
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=300_000)
            page.locator("input[type=file]").set_input_files([str(good), str(empty)])
            page.get_by_role("button", name="Add to the collection").click()
            page.get_by_text("Indexed 1 new document", exact=False).wait_for(timeout=120_000)
            page.get_by_text("the file is empty", exact=False).wait_for(timeout=10_000)
            box.fill("adoption support in Torbay")
            box.press("Enter")
            page.get_by_text("swift and kind", exact=False).last.wait_for(timeout=60_000)
            with page.expect_download(timeout=30_000) as download:  # the uploaded file itself, read on click
                page.get_by_role("button", name="Source file").last.click()
            assert Path(download.value.path()).read_bytes() == good.read_bytes()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert sorted(p.name for p in (docs / "uploads").iterdir()) == ["torbay adoption.txt"]
