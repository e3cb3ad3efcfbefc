"""End to end in a real browser: Debian's Chromium driven by Playwright
against `streamlit run app.py` on a local port.

Saves screenshots (artifacts/screenshots/) and the measured timings to
artifacts/ (git-ignored).
"""
from __future__ import annotations

import io
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
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"
LAPTOP = {"width": 1366, "height": 768}  # the smallest common laptop screen
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
    yield url, started, docs, root / "index"
    proc.terminate()
    proc.wait(timeout=20)


def test_ask_follow_up_and_inert_document(server):
    from playwright.sync_api import sync_playwright

    url, started, *_ = server
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
            page.get_by_role("button", name="CSV (a row per quote and record)").click()
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


# ---------------------------------------------------------------- how an answer is laid out (qa/app/views.py)

DORSET_CARE_LEAVERS = "What did inspectors say about care leavers in Dorset?"
def _screenshot(page, name: str, **kwargs) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **kwargs)


def _chat(pw, url: str, viewport: dict = LAPTOP):
    """(browser, page, chat box) of a new session, the page ready for a question."""
    browser = _browser(pw)
    page = browser.new_page(viewport=viewport)
    page.goto(url)
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=300_000)  # the first start builds the index
    return browser, page, box


def _ask(page, box, question: str, ready: str):
    """Ask, then wait for the last answer to hold `ready` (a CSS selector); that answer's locator."""
    asked = page.get_by_test_id("stChatMessage").count()
    box.fill(question)
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(asked + 1)
    answer.locator(ready).first.wait_for(timeout=120_000)
    page.wait_for_timeout(300)  # the rest of the run's elements arrive with it
    return answer


def _scroll_to(page, answer) -> None:
    """The answer's top just under the page's header bar (for its screenshot)."""
    answer.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.mouse.move(800, 400)
    page.mouse.wheel(0, -100)
    page.wait_for_timeout(300)


def _yellow(image):
    """Where an RGB image has the highlight's translucent yellow over paper (a boolean array)."""
    import numpy as np

    a = np.asarray(image).astype(int)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    return (r > 200) & (g > 170) & (b < 200) & (r - b > 40)


def _pixels(rect, scale: float, pad: float = 0.0) -> tuple[slice, slice]:
    x0, y0, x1, y1 = rect
    return (slice(round((y0 - pad) * scale), round((y1 + pad) * scale)),
            slice(round((x0 - pad) * scale), round((x1 + pad) * scale)))


def test_a_quote_opened_on_its_page_is_highlighted_where_its_words_are(server):
    """The page view: the page drawn, the yellow boxes where the answer's highlight
    says, and the words under those boxes (read by pdfplumber, not PDFium) the quote's."""
    import pdfplumber
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from qa.evaluate.highlight_check import read_back, reads_as_quote
    from qa.index.store import load_index
    from qa.records import PageHighlight

    url, _, docs, index_dir = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url)
        answer = _ask(page, box, DORSET_CARE_LEAVERS, ".st-key-src-0-q-1")
        with page.expect_download(timeout=30_000) as download:  # the answer as the app exports it
            page.get_by_role("button", name="JSON (a row per quote and record)").click()
        row = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))[0]
        assert row["rank"] == 1 and row["highlight"], row
        answer.locator(".st-key-src-0-q-1").get_by_role("button", name="Show on page").click()
        dialog = page.get_by_role("dialog")
        images = dialog.locator("[data-testid=stImage] img")
        images.first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        highlight = [PageHighlight(h["page"], tuple(tuple(r) for r in h["rects"])) for h in row["highlight"]]
        assert images.count() == len(highlight)
        assert images.first.is_visible()
        assert images.first.get_attribute("alt").startswith(f"Page {highlight[0].page} of ")
        assert f"Page {highlight[0].page}: the quote is highlighted" in dialog.inner_text()
        _screenshot(page, "page-view")
        shown = [Image.open(io.BytesIO(page.request.get(img.get_attribute("src")).body())).convert("RGB")
                 for img in images.all()]
        browser.close()

    doc = load_index(index_dir).document(row["doc_id"])
    with pdfplumber.open(docs / row["source"]) as pdf:
        read = read_back(pdf, highlight)
        had_markers = any(row["start"] <= offset <= row["end"] for offset, _ in doc.markers)
        assert reads_as_quote(read, row["quote"], had_markers=had_markers), (read, row["quote"])
        for h, image in zip(highlight, shown, strict=True):
            scale = image.width / float(pdf.pages[h.page - 1].width)
            yellow = _yellow(image)
            boxes = yellow & False
            for rect in h.rects:  # each line's box is drawn in yellow ...
                assert yellow[_pixels(rect, scale)].mean() > 0.5, (h.page, rect)
                boxes[_pixels(rect, scale, pad=3)] = True
            assert yellow[~boxes].sum() <= 0.01 * yellow[boxes].sum()  # ... and nowhere else on the page


def test_four_quotes_fit_on_a_laptop_screen(server):
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url)
        answer = _ask(page, box, DORSET_CARE_LEAVERS, ".st-key-src-0-q-4")
        answer.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        first = answer.locator(".st-key-src-0-q-1").bounding_box()
        fourth = answer.locator(".st-key-src-0-q-4").bounding_box()
        # What is seen: below the page's header bar, above the question box at its foot.
        top = page.get_by_test_id("stHeader").bounding_box()
        chat_input = page.get_by_test_id("stBottom").bounding_box()
        _screenshot(page, "four-quotes")
        assert first["y"] >= top["y"] + top["height"], (first, top)
        assert fourth["y"] + fourth["height"] <= min(LAPTOP["height"], chat_input["y"]), (fourth, chat_input)
        # one header for the document, and each quote's line with its actions
        assert answer.get_by_role("button", name="Show on page").count() == 4
        assert answer.get_by_role("link", name="Open source").count() == 1
        answer.get_by_role("button", name="Copy citation").first.click()
        code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
        code.wait_for(timeout=10_000)
        assert "Ofsted" in code.inner_text() and "p. " in code.inner_text()
        browser.close()


def test_report_card(server):
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url, {"width": 1366, "height": 1100})
        answer = _ask(page, box, "Summarise the latest Dorset inspection", "[data-testid=stTable]")
        heading = answer.locator("h3").first.inner_text()
        assert "Dorset" in heading and "2025" in heading, heading
        table = answer.get_by_test_id("stTable").first.inner_text()
        assert "Overall effectiveness" in table and "Outstanding" in table
        assert answer.locator("ol li").count() >= 1  # what needs to improve, quoted
        assert answer.get_by_role("button", name="Show on page").count() >= 1  # the quotes, compact
        _scroll_to(page, answer)
        _screenshot(page, "report-card")
        browser.close()


def test_grades_over_time_as_a_table_and_a_chart(server):
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url, {"width": 1366, "height": 1100})
        answer = _ask(page, box, "How has Dorset's grade changed since 2014?", "[data-testid=stVegaLiteChart]")
        table = answer.get_by_test_id("stTable").first.inner_text()
        assert "2021" in table and "2025" in table and "Good" in table and "Outstanding" in table
        chart = answer.get_by_test_id("stVegaLiteChart").first
        chart.locator("svg, canvas").first.wait_for(timeout=30_000)
        described = chart.get_attribute("aria-label")  # the chart's description: its accessible name
        assert described.startswith("Grades by report date") and "outstanding (9 May 2025)" in described, described
        _scroll_to(page, answer)
        _screenshot(page, "grade-timeline")
        browser.close()


def test_who_improved_is_a_table_across_authorities_with_its_chart(server):
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url, {"width": 1366, "height": 1100})
        answer = _ask(page, box, "Which authorities improved at their last inspection?",
                      "[data-testid=stVegaLiteChart]")
        table = answer.get_by_test_id("stTable").first.inner_text()
        # in the sample reports: BCP inadequate -> good, Isle of Wight requires improvement -> good,
        # Dorset good -> outstanding
        for authority in ("Bournemouth", "Isle of Wight", "Dorset"):
            assert authority in table, table
        assert "improved" in table.lower()
        chart = answer.get_by_test_id("stVegaLiteChart").first
        chart.locator("svg, canvas").first.wait_for(timeout=30_000)
        assert chart.get_attribute("aria-label"), "the chart has no description"
        chart.evaluate("el => el.scrollIntoView({block: 'start'})")  # the chart, then its table under it
        page.wait_for_timeout(500)
        _screenshot(page, "cross-report-chart")
        browser.close()


def test_comparison_has_a_column_per_authority(server):
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url, {"width": 1366, "height": 1100})
        answer = _ask(page, box, "Compare Dorset and Bournemouth, Christchurch and Poole",
                      "[data-testid=stColumn]")
        columns = answer.get_by_test_id("stColumn")
        assert columns.count() >= 2
        text = [columns.nth(i).inner_text() for i in range(columns.count())]
        assert any("Dorset" in t for t in text) and any("Bournemouth" in t for t in text), text
        _scroll_to(page, answer)
        _screenshot(page, "comparison")
        browser.close()


# ---------------------------------------------------------------- accessibility (WCAG 2.2 AA)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _serious_violations(page) -> list[tuple[str, str, list]]:
    """axe-core's WCAG A/AA rules on the page as it stands: the serious and critical failures.
    axe-core (4.12, from npm) comes inside the axe-playwright-python package and is injected here."""
    from axe_playwright_python.sync_playwright import Axe

    # Streamlit dims the last answer's elements while a run is on: check the page once it is idle.
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')",
                           timeout=120_000)
    page.wait_for_timeout(800)
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [(v["id"], v["impact"], [(n["target"], n["html"][:160]) for n in v["nodes"]][:3])
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


# Elements Tab stops at, in document order (what the browser's sequential focus order follows).
_TABBABLE = """[...document.querySelectorAll('a[href], button, input, textarea, select, [tabindex]')]
  .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length)"""


def _assert_skip_link_lands_in_question_box(page) -> None:
    """The page's first Tab stop is the skip link, and Enter on it puts the cursor in the question box."""
    first = page.evaluate(f"{_TABBABLE}[0].textContent")
    assert first == "Skip to the question box"
    page.get_by_test_id("stSkipToContent").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('data-testid')") == "stChatInputTextArea"


def test_no_serious_accessibility_failures_and_the_question_box_two_keys_away(server):
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser, page, box = _chat(pw, url)
        page.wait_for_timeout(1000)
        assert _serious_violations(page) == [], "empty chat"
        # From the top: Tab to the skip link, Enter: the question box.
        for key in ("Tab", "Enter"):
            page.keyboard.press(key)
        assert page.evaluate("document.activeElement.getAttribute('data-testid')") == "stChatInputTextArea"

        _ask(page, box, DORSET_CARE_LEAVERS, ".st-key-src-0-q-1")
        assert _serious_violations(page) == [], "an answer"
        _assert_skip_link_lands_in_question_box(page)  # the answer's buttons are not in the way
        _ask(page, box, "What is the annual budget for children's services in Dorset?",
             "[data-testid=stAlertContentInfo]")
        assert _serious_violations(page) == [], "not in the reports"
        _ask(page, box, "Summarise the latest Dorset inspection", "[data-testid=stTable]")
        assert _serious_violations(page) == [], "a report card"
        _ask(page, box, "How has Dorset's grade changed since 2014?", "[data-testid=stVegaLiteChart]")
        chart = page.get_by_test_id("stVegaLiteChart").last
        assert chart.get_attribute("aria-label"), "a chart without its description"
        assert _serious_violations(page) == [], "a chart and its table"
        page.get_by_role("button", name="Show on page").first.click()
        page.get_by_role("dialog").get_by_role("img").first.wait_for(timeout=60_000)
        # the page scrolls in its drawer: that box takes keyboard focus once the image is in
        page.get_by_role("dialog").get_by_label("The report's page; scroll with the arrow keys").wait_for(
            timeout=15_000)
        assert _serious_violations(page) == [], "the page view"
        _screenshot(page, "accessibility-page-view")
        browser.close()


def test_usable_at_200_percent_zoom(server):
    """At 200% zoom a 1366 x 768 screen is 683 x 384 CSS pixels: nothing scrolls sideways and the
    question box and an answer's quotes are on screen."""
    from playwright.sync_api import sync_playwright

    url, *_ = server
    with sync_playwright() as pw:
        browser = _browser(pw)
        page = browser.new_page(viewport={"width": 683, "height": 384}, device_scale_factor=2)
        page.goto(url)
        box = page.get_by_test_id("stChatInputTextArea")
        box.wait_for(timeout=300_000)
        assert box.is_visible()
        answer = _ask(page, box, DORSET_CARE_LEAVERS, ".st-key-src-0-q-1")
        quote = answer.locator(".st-key-src-0-q-1").first
        quote.scroll_into_view_if_needed()
        assert quote.is_visible() and box.is_visible()
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, f"the page scrolls {wide}px sideways at 200%"
        _screenshot(page, "zoom-200")
        browser.close()
