"""Time from `streamlit run app.py` to the first answer, and per question, in a real browser.

Uses the index already built under index/ (run `make index` first) and Debian's Chromium:
    .venv/bin/python bench/app_timing.py
Another collection (QA_DOCS, QA_INDEX as for the app), waiting only for each reply to appear:
    QA_DOCS=../shared/corpus/ofsted QA_INDEX=/tmp/full-index .venv/bin/python bench/app_timing.py --any-collection
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from local_server import free_port, start_server, wait_healthy  # bench/, beside this script
from playwright.sync_api import sync_playwright

QUESTIONS = [
    ("What did inspectors say about Rotherham supervision?", "beginning to deliver more regular supervision"),
    ("And what about Sheffield?", "Understood as"),
    ("How effective is early help in Dorset?", "Dorset"),
    ("What needs to improve there?", "Understood as: What needs to improve in Dorset"),
    ("How are care leavers supported in Bedford?", "Bedford"),
]


def main() -> None:
    any_collection = "--any-collection" in sys.argv[1:]
    questions = [(q, None if any_collection else expect) for q, expect in QUESTIONS]
    port = free_port()
    docs, index = Path(os.environ.get("QA_DOCS", "seeds")), Path(os.environ.get("QA_INDEX", "index"))
    started = time.monotonic()
    server = start_server(docs, index, port, subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server, timeout=120)
        out: dict = {"server_up_s": time.monotonic() - started}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            page.goto(url)
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=300_000)
            out["page_ready_s"] = time.monotonic() - started
            per_question = []
            for question, expect in questions:
                t = time.monotonic()
                shown = page.get_by_test_id("stChatMessage").count()
                box.fill(question)
                box.press("Enter")
                page.get_by_test_id("stChatMessage").nth(shown + 1).wait_for(timeout=60_000)
                if expect:
                    page.get_by_text(expect, exact=False).last.wait_for(timeout=60_000)
                per_question.append(round(time.monotonic() - t, 2))
                out.setdefault("start_to_first_answer_s", time.monotonic() - started)
            out["per_question_s"] = per_question
            browser.close()
    finally:
        server.terminate()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
