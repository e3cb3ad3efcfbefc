"""HTML and DOCX loaders: the stored text is what a reader sees, spans are
valid, and every bad input ends as UnsupportedDocument."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import docx
import pytest
from conftest import zip_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import UnsupportedDocument
from qa.ingest import html as qa_html
from qa.ingest.docx import parse_docx
from qa.ingest.html import parse_html
from qa.records import Parsed

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Council children’s services rated inadequate | Community Care</title>
<meta property="og:title" content="Council children’s services rated inadequate">
<meta property="og:site_name" content="Community Care">
<meta property="article:published_time" content="2023-05-17T09:00:00+00:00">
<script>var tracking = "SCRIPT_IN_HEAD"; console.log(tracking);</script>
<style>.STYLE_RULE { color: red; }</style>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/jobs">Jobs</a></li></ul></nav>
<main><article>
<h1>Council children’s services rated inadequate</h1>
<p class="byline">By Jane Smith</p>
<p>Inspectors rated the council’s children’s services inadequate after finding that too many children were
left in situations of risk for too long.</p>
<p>Ofsted said social workers had high caseloads and that management oversight was weak.</p>
<script>document.write("SCRIPT_IN_BODY")</script>
<h2>Leadership changes</h2>
<p>The council said it accepted the findings and had appointed a new director of children’s services.</p>
<p>Read More</p>
<p><a href="/other">Council tax to rise by five per cent</a></p>
<p>“We are determined to make the changes needed quickly,” the council leader said on Wednesday.</p>
</article>
<aside><h3>Read More</h3><ul><li><a href="/a">Another council praised for early help</a></li>
<li><a href="/b">Social worker pay rises agreed</a></li></ul></aside></main>
<footer><p>© 2021 Community Care. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


def assert_valid(parsed: Parsed) -> None:
    """Blocks lie inside the text, in order, without overlap, and block 0 is the title."""
    assert parsed.blocks and parsed.blocks[0].kind == "title"
    end = 0
    for b in parsed.blocks:
        assert end <= b.start < b.end <= len(parsed.text)
        assert parsed.text[b.start : b.end] == parsed.text[b.start : b.end].strip()
        end = b.end


def block_text(parsed: Parsed, kind: str) -> list[str]:
    return [parsed.text[b.start : b.end] for b in parsed.blocks if b.kind == kind]


# ---------------------------------------------------------------- HTML


def test_news_page_metadata_and_text() -> None:
    parsed = parse_html(NEWS_PAGE.encode("utf-8"), "news.html")
    assert_valid(parsed)
    assert parsed.title == "Council children’s services rated inadequate"
    assert parsed.text.startswith(parsed.title + "\n\n")
    assert parsed.date == "2023-05-17"
    assert parsed.publisher == "Community Care"
    assert parsed.meta.get("author") == "Jane Smith"
    body = " ".join(block_text(parsed, "body"))
    assert "caseloads and that management oversight was weak." in body
    assert "the council leader said on Wednesday." in body
    assert "Leadership changes" in block_text(parsed, "heading")
    for furniture in ("Home", "Jobs", "Privacy", "All rights reserved", "Social worker pay rises agreed"):
        assert furniture not in parsed.text
    # "Read More" and the linked headline after it may survive extraction, but are never quotable.
    assert not any("Read More" in t or "Council tax" in t for t in block_text(parsed, "body"))


def test_script_and_style_never_in_text() -> None:
    page = NEWS_PAGE.replace("<p>Ofsted said", "<p><script>alert('SCRIPT_IN_P')</script>Ofsted said")
    page += "<script>unclosed('SCRIPT_UNCLOSED')"
    parsed = parse_html(page.encode(), "news.html")
    for leak in ("SCRIPT_IN_HEAD", "SCRIPT_IN_BODY", "SCRIPT_IN_P", "SCRIPT_UNCLOSED", "STYLE_RULE", "console.log"):
        assert leak not in parsed.text
    assert "management oversight was weak." in parsed.text


def test_escaped_markup_stays_literal_text() -> None:
    page = NEWS_PAGE.replace(
        "<p>Ofsted said", "<p>The letter quoted &lt;script&gt;alert(1)&lt;/script&gt; as an example.</p><p>Ofsted said"
    )
    parsed = parse_html(page.encode(), "news.html")
    assert "The letter quoted <script>alert(1)</script> as an example." in parsed.text
    assert_valid(parsed)


def test_dateline_and_title_fallbacks() -> None:
    """No metadata: headline from <h1>, publisher from the <title> suffix, date from the printed dateline,
    never from the footer's copyright year."""
    page = """<html><head><title>Ofsted praises early help in Leeds - The Local Gazette</title></head><body>
    <div id="menu"><a href="/">Home</a> | <a href="/news">News</a></div>
    <h1>Ofsted praises early help in Leeds</h1><div>Posted on Tuesday 3 October 2017 at 10:15am</div>
    <p>Leeds City Council has been praised by inspectors for the quality of its early help for families.</p>
    <p>The report found that children were seen quickly and that their views shaped the plans made for them.</p>
    <div class="footer">© 2021 The Local Gazette Ltd.</div></body></html>"""
    parsed = parse_html(page.encode(), "leeds.html")
    assert parsed.title == "Ofsted praises early help in Leeds"
    assert parsed.publisher == "The Local Gazette"
    assert parsed.date == "2017-10-03"
    no_dateline = parse_html(page.replace("Posted on Tuesday 3 October 2017 at 10:15am", "").encode(), "x.html")
    assert no_dateline.date is None  # htmldate's extensive search would say 2021-01-01


@pytest.mark.parametrize(
    ("encoded", "declared"),
    [
        ("utf-8", '<meta charset="utf-8">'),
        ("cp1252", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'),
        ("cp1252", '<meta charset="iso-8859-1">'),  # browsers read "latin-1" as Windows-1252
        ("cp1252", ""),  # undeclared and not UTF-8
        ("utf-16", ""),  # with a BOM
    ],
)
def test_charsets(encoded: str, declared: str) -> None:
    page = f"""<html><head>{declared}<title>Café report – “good”</title></head><body><article>
    <h1>Café report – “good”</h1><p>Inspectors said the café’s staff were “kind” and the children safe.</p>
    <p>Leaders know their services well and act quickly when something goes wrong for children.</p>
    </article></body></html>"""
    parsed = parse_html(page.encode(encoded), "cafe.html")
    assert parsed.title == "Café report – “good”"
    assert "the café’s staff were “kind”" in parsed.text


def test_fragment_without_html_element() -> None:
    """trafilatura rejects a lone top element; it is retried inside a page."""
    fragment = b"<div><h2>Early help</h2><p>Inspectors found that children were safe and well cared for.</p></div>"
    parsed = parse_html(fragment, "bit.html")
    assert parsed.title == "Early help"
    assert block_text(parsed, "body") == ["Inspectors found that children were safe and well cared for."]
    assert_valid(parsed)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\t ",
        random.Random(7).randbytes(4000),
        b"<html><head><script>var a = 'only scripts';</script></head><body><script>b()</script></body></html>",
        b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
        b"<div>" * 5000 + b"<p>Deep text that is a sentence of words.</p>" + b"</div>" * 5000,
        b"<html><body>" + b"<ul><li>" * 5000 + b"deep" + b"</li></ul>" * 5000 + b"</body></html>",
        b"\x00\x01\x02<html>\x00</html>",
    ],
    ids=["empty", "whitespace", "random", "scripts", "navigation", "nested-div", "nested-list", "nul"],
)
def test_bad_html_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedDocument, match=r"^bad\.html: .*;"):
        parse_html(data, "bad.html")


def test_library_failures_become_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(qa_html.trafilatura, "bare_extraction", explode)
    with pytest.raises(UnsupportedDocument, match="could not be read"):
        parse_html(NEWS_PAGE.encode(), "news.html")


def _page(title: str, first: str, second: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{first}</p><p>{second}</p>".encode()


_PAGES = st.builds(_page, st.text(max_size=80), st.text(max_size=300), st.text(max_size=300))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), _PAGES, _PAGES.map(lambda b: b[: len(b) // 2])))
def test_html_any_bytes(data: bytes) -> None:
    """Arbitrary bytes, and pages with arbitrary text (markup characters included): a Parsed or a clear refusal."""
    try:
        parsed = parse_html(data, "any.html")
    except UnsupportedDocument:
        return
    assert isinstance(parsed, Parsed)
    assert_valid(parsed)


# ---------------------------------------------------------------- DOCX


def make_docx(path: Path, *, title_style: bool = True) -> bytes:
    d = docx.Document()
    if title_style:
        d.add_paragraph("Inspection of Leeds children’s services", style="Title")
    d.add_heading("Summary of findings", level=1)
    d.add_paragraph("Children in Leeds receive good help from social workers who know them well.")
    d.add_paragraph("")
    d.add_paragraph("What needs to improve")  # unstyled short line: a heading
    d.add_paragraph("Leaders should make sure that plans for children are reviewed on time.", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for i, value in enumerate(["Judgement", "Grade", "Overall effectiveness", "Good"]):
        table.cell(i // 2, i % 2).text = value
    props = d.core_properties
    props.title, props.author = "Leeds ILACS 2022", "A. Inspector"
    props.created = dt.datetime(2022, 7, 1, 9, 30)
    d.save(path)
    return path.read_bytes()


def test_docx_structure(tmp_path: Path) -> None:
    parsed = parse_docx(make_docx(tmp_path / "report.docx"), "report.docx")
    assert_valid(parsed)
    kinds = [(b.kind, parsed.text[b.start : b.end]) for b in parsed.blocks]
    assert kinds == [
        ("title", "Inspection of Leeds children’s services"),
        ("heading", "Summary of findings"),
        ("body", "Children in Leeds receive good help from social workers who know them well."),
        ("heading", "What needs to improve"),
        ("body", "Leaders should make sure that plans for children are reviewed on time."),
        ("body", "Judgement"),
        ("body", "Grade"),
        ("body", "Overall effectiveness"),
        ("body", "Good"),
    ]
    assert "\n\n\n" not in parsed.text
    assert parsed.title == "Inspection of Leeds children’s services"  # what the reader sees beats core title
    assert parsed.date == "2022-07-01"
    assert parsed.meta == {"author": "A. Inspector"}


def test_docx_without_title_style(tmp_path: Path) -> None:
    parsed = parse_docx(make_docx(tmp_path / "r.docx", title_style=False), "r.docx")
    assert parsed.blocks[0].kind == "title"
    assert parsed.text[: parsed.blocks[0].end] == "Summary of findings"
    assert parsed.title == "Leeds ILACS 2022"  # core property, then first paragraph
    assert_valid(parsed)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zip_bytes({"notes.txt": "hello"}), "zip archive but not a Word document"),
        (zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<oops"}), "damaged Word"),
        (b"", "empty"),
        (random.Random(3).randbytes(3000), "not a valid Word .docx file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Word .doc"),
        (b"<html><body><p>a web page</p></body></html>", "not a valid Word .docx file"),
    ],
    ids=["renamed-zip", "broken-xml", "empty", "random", "doc97", "html"],
)
def test_bad_docx_is_unsupported(data: bytes, message: str) -> None:
    with pytest.raises(UnsupportedDocument, match=rf"^bad\.docx: .*{message}"):
        parse_docx(data, "bad.docx")


def test_truncated_and_textless_docx(tmp_path: Path) -> None:
    data = make_docx(tmp_path / "r.docx")
    with pytest.raises(UnsupportedDocument):
        parse_docx(data[: len(data) // 2], "r.docx")
    docx.Document().save(tmp_path / "blank.docx")
    with pytest.raises(UnsupportedDocument, match="no text"):
        parse_docx((tmp_path / "blank.docx").read_bytes(), "blank.docx")
