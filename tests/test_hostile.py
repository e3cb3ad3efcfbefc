"""Hostile input: bad, odd and huge files beside good ones; fuzzed loaders and
questions. One bad file never stops a build, everything refused says why in
words a person can act on, memory stays bounded, and quotes stay verbatim.

Fuzz tests take their example counts from the Hypothesis profile loaded in
conftest.py: 300 per test by default, 5000 with HYPOTHESIS_PROFILE=heavy.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from conftest import SEED_ARTICLES, FakeEmbedder, zip_bytes
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from PIL import Image, ImageDraw
from pypdf.generic import DecodedStreamObject, NameObject, StreamObject

from qa.answer.verdict import ask
from qa.errors import InvalidQuestion, UnsupportedDocument
from qa.index.build import build_index
from qa.index.store import load_index
from qa.ingest.gazetteer import load_gazetteer
from qa.ingest.load import MAX_FILE_BYTES, MAX_TEXT_FILE_BYTES, load_document, parse_bytes
from qa.records import Parsed, Passage
from qa.search.query import MAX_QUESTION_CHARS, parse_question
from qa.search.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent
_SHARED_PDF = ROOT.parent / "shared/corpus/ofsted/80511_newham/children's services inspection - 25 march 2019.pdf"
_SEED_PDF = ROOT / "seeds/reports/2532283_dorset/children's services inspection - 19 november 2021.pdf"
REAL_PDF = _SHARED_PDF if _SHARED_PDF.exists() else _SEED_PDF  # the seed copy ships with the repository
MEMORY_BOUND_MB = 1500


# ---------------------------------------------------------------- making hostile files


def _article(n: int, title: str = "") -> str:
    """A short article, different for each n (identical files are indexed once)."""
    title = title or f"Inspection news item {n}"
    return (
        f"{title}\n\nInspectors visited team {n} and found that social workers knew the children well, "
        f"that supervision was regular and that plans were reviewed on time in team {n}.\n"
    )


def _encrypted_pdf(data: bytes) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _image_only_pdf() -> bytes:
    """A 'scanned' page: words drawn as pixels, no text layer."""
    image = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(image)
    for i in range(20):
        draw.text((40, 40 + 30 * i), "Inspectors found that supervision was regular.", fill="black")
    out = io.BytesIO()
    image.save(out, "PDF", resolution=72)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(out, "PNG")
    return out.getvalue()


def _small_pdf(pages: list[int], *, uncompressed: bool = False) -> bytes:
    """Pages of the real report, as a PDF of their own; uncompressed, mutations reach the text operators."""
    reader = pypdf.PdfReader(REAL_PDF)
    writer = pypdf.PdfWriter()
    for i in pages:
        writer.add_page(reader.pages[i])
    for n, obj in enumerate(writer._objects if uncompressed else []):
        if isinstance(obj, StreamObject) and obj.get("/Filter") == "/FlateDecode":
            plain = DecodedStreamObject()
            plain.update({NameObject(k): v for k, v in obj.items() if k not in ("/Filter", "/Length", "/DecodeParms")})
            plain.set_data(obj.get_data())
            writer._objects[n] = plain
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _word_document(n: int = 0) -> bytes:
    d = docx.Document()
    d.add_paragraph(f"Inspection of Leeds children’s services {n}", style="Title")
    d.add_heading("Summary of findings", level=1)
    d.add_paragraph("Children in Leeds receive good help from social workers who know them well.")
    d.add_paragraph("Leaders should make sure that plans for children are reviewed on time.", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for i, value in enumerate(["Judgement", "Grade", "Overall effectiveness", "Good"]):
        table.cell(i // 2, i % 2).text = value
    d.core_properties.author = "A. Inspector"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _with_part(zip_bytes: bytes, part: str, content: bytes) -> bytes:
    """The same .docx with one part replaced (and correct checksums: mutations reach the XML parser)."""
    src = zipfile.ZipFile(io.BytesIO(zip_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item.filename, content if item.filename == part else src.read(item.filename))
    return out.getvalue()


def _write_zip_bomb(path: Path, xml_mb: int) -> None:
    """A .docx whose document.xml unpacks to `xml_mb` MB of paragraphs (about 1 MB on disk)."""
    template = zipfile.ZipFile(io.BytesIO(_word_document()))
    head, tail = template.read("word/document.xml").decode().split("<w:body>")
    para = "<w:p><w:r><w:t>Inspectors found that supervision was regular.</w:t></w:r></w:p>" * 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in template.infolist():
            if item.filename != "word/document.xml":
                z.writestr(item.filename, template.read(item.filename))
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write((head + "<w:body>").encode())
            for _ in range(xml_mb * 2**20 // len(para)):
                f.write(para.encode())
            f.write(tail.encode())


def _news_page(text: str) -> bytes:
    """A saved news page around an article's text: head, menus, scripts, footer."""
    title, *paragraphs = [p for p in text.split("\n") if p.strip()]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Local News</title>
<meta property="og:site_name" content="Local News">
<meta property="article:published_time" content="2019-03-04T09:00:00+00:00">
<script>window.dataLayer = [{{"page": "article"}}];</script><style>p {{ margin: 0 }}</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<main><article><h1>{title}</h1><p class="byline">By A Reporter</p>
{body}
</article><aside><h3>Read More</h3><a href="/x">Another story</a></aside></main>
<footer>© 2021 Local News</footer></body></html>""".encode()


def _odd_names() -> list[str]:
    """Good files with names that break naive code: quotes, markup, shell syntax, scripts, emoji,
    a leading dash, control characters and a name of 255 bytes (the usual limit)."""
    return [
        "with spaces and 'single' and \"double\" quotes.txt",
        "café – naïve résumé 日本語 العربية кириллица.txt",
        "emoji 🎉📄👶🏽.txt",
        "🎉.txt",  # no letter or digit: the id falls back to a hash
        "<script>alert('x')</script>.txt",
        "<img src=x onerror=alert(1)>.md",
        "-leading-dash.txt",
        "--help.txt",
        "semi;colon & $(rm -rf ~) `tick` | pipe.txt",
        "percent %20 %s {brace} [bracket] #hash.txt",
        "back\\slash.txt",
        "tab\there.txt",
        "new\nline.txt",
        "carriage\rreturn.txt",
        "terminal \x1b[31mescape\x1b[0m.txt",
        "zero\u200bwidth\u202eright-to-left.txt",
        "a b.txt",
        "a-b.txt",  # the same id as "a b.txt": the build must keep both apart
        "UPPER CASE.TXT",
        "long " + "é" * 123 + ".txt",  # 255 bytes in UTF-8
        "sub folder 'x' & y/nested name.txt",
        "report's copy (1) – final ✓.pdf",  # a real report under an odd name
        "news page.html",
        "word file.docx",
    ]


def make_hostile_folder(folder: Path) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """Two seed articles, good files in awkward encodings and with odd names,
    and bad files. Returns (bad name -> words its skip reason must contain,
    names that must be indexed)."""
    folder.mkdir(parents=True, exist_ok=True)
    real_pdf = REAL_PDF.read_bytes()
    good: set[str] = set()
    bad: dict[str, tuple[str, ...]] = {}

    def put(name: str, data: bytes) -> bool:
        path = folder / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except (OSError, ValueError):  # a file system that refuses the name: nothing to test
            return False
        return True

    for f in SEED_ARTICLES:
        shutil.copy(f, folder / f.name)
        good.add(f.name)
    # Good content in awkward encodings.
    encodings = {
        "latin-1 café.txt": _article(1, "Café report on Sheffield").encode("latin-1"),
        "windows-1252 “quotes”.txt": _article(2, "“Smart” quotes – and dashes").encode("cp1252"),
        "utf-16 little-endian.txt": _article(3).encode("utf-16"),
        "utf-16 big-endian.txt": codecs.BOM_UTF16_BE + _article(4).encode("utf-16-be"),
        "utf-16 without mark.txt": _article(5).encode("utf-16-le"),
        "utf-32.txt": _article(6).encode("utf-32"),
        "utf-8 with mark.txt": codecs.BOM_UTF8 + _article(7).encode(),
        # copied from a web page or Word: non-breaking spaces between many words (once refused as binary)
        "non-breaking spaces.txt": _article(14).replace(" ", "\u00a0").replace("\u00a0", " ", 3).encode(),
        "windows line ends.txt": _article(8).replace("\n", "\r\n").encode(),
        "old mac line ends.txt": _article(9).replace("\n", "\r").encode(),
        "one paragraph of 2 MB.txt": (
            "A very long article\n\n"
            + " ".join(f"Sentence {i} says that supervision was regular." for i in range(40_000))
        ).encode(),
    }
    for name, data in encodings.items():
        put(name, data)
        good.add(name)
    for n, name in enumerate(_odd_names(), 100):
        if name.endswith(".pdf"):
            data = real_pdf
        elif name.endswith(".html"):
            data = _news_page(_article(n, "Ofsted praises fostering service"))
        elif name.endswith(".docx"):
            data = _word_document(n)
        else:
            data = _article(n).encode()
        if put(name, data):
            good.add(name)

    # Bad files, each with the words its reason must contain.
    rng = random.Random(2)
    bad_files: dict[str, tuple[bytes, tuple[str, ...]]] = {
        "truncated report.pdf": (real_pdf[: len(real_pdf) // 3], ("damaged or truncated", "download it again")),
        "encrypted report.pdf": (_encrypted_pdf(real_pdf), ("encrypted", "unprotected copy")),
        "zero bytes.pdf": (b"", ("empty",)),
        "scanned pages.pdf": (_image_only_pdf(), ("no text layer", "OCR")),
        "web page saved as report.pdf": (_news_page(_article(10)), ("web page", "download")),
        "photo saved as.txt": (_png(), ("binary", "original document")),
        "random bytes.txt": (random.Random(1).randbytes(20_000), ("binary",)),
        "random bytes, no zero byte.txt": (bytes(rng.randrange(1, 256) for _ in range(20_000)),
                                            ("does not look like text", "binary")),
        "broken utf-16.txt": (codecs.BOM_UTF16_LE + "Title\n\nText.".encode("utf-16-le") + b"\x00\xdc",
                              ("damaged UTF-16", "re-save it as UTF-8")),
        "empty.txt": (b"", ("empty",)),
        "only headings.md": (b"# A heading\n\nAnother heading\n\nA third", ("no prose",)),
        "deeply nested.html": (b"<div>" * 100_000 + b"<p>Deep text that is a sentence of words.</p>" +
                               b"</div>" * 100_000, ("nested", "deep", "copy its text")),
        "only navigation.html": (b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
                                 ("no article text", "save the article page")),
        "renamed zip.docx": (zip_bytes({"notes.txt": "hello", "data/x.xml": "<x/>"}),
                             ("zip archive but not a Word document", "re-save it from Word")),
        "old word 97.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), ("old Word .doc", "save it as .docx")),
        "copy of a seed.txt": (SEED_ARTICLES[0].read_bytes(), ("identical to",)),
        "picture.png": (_png(), ("not supported", "supported types")),
        "Makefile": (b"all:\n\techo hi\n", ("no extension", "not supported")),
        "invoice\u202etxt.exe": (b"MZ\x90\x00", ("'.exe' files are not supported",)),
    }
    for name, (data, words) in bad_files.items():
        if put(name, data):
            bad[name] = words
    # Too large: 50 MB of real sentences, and a 120 MB PDF (sparse: no disk used).
    with open(folder / "fifty megabytes.txt", "w", encoding="utf-8") as f:
        f.write("A text far too long to index\n\n")
        block = _article(11) * 2000
        for _ in range(50 * 2**20 // len(block) + 1):
            f.write(block)
    bad["fifty megabytes.txt"] = (f"over the {MAX_TEXT_FILE_BYTES // 2**20} MB limit", "split it")
    with open(folder / "huge scan.pdf", "wb") as f:
        f.write(real_pdf[:1024])
        f.truncate(120 * 2**20)
    bad["huge scan.pdf"] = ("over the 100 MB limit", "split the file")
    _write_zip_bomb(folder / "zip bomb.docx", xml_mb=120)
    bad["zip bomb.docx"] = ("unpacks to", "zip bomb", "save it again")
    # Neither a document nor an error: a pipe (reading it would block for ever), a broken link,
    # a link loop, hidden files, and a name that is not UTF-8.
    os.mkfifo(folder / "named pipe.txt")
    (folder / "broken link.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop").symlink_to(folder)
    put(".hidden.txt", _article(12).encode())
    try:
        with open(os.fsencode(folder) + b"/latin-1 name caf\xe9.txt", "wb") as f:
            f.write(_article(13).encode())
        bad["latin-1 name caf\ufffd.txt"] = ("not valid UTF-8", "rename")  # reported under a printable name
    except OSError:  # a file system that insists on UTF-8 names
        pass
    return bad, good


# The build runs in a child process, so that its peak memory is its own.
_BUILD_SCRIPT = r"""
import json, resource, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[3], sys.argv[4]]
from conftest import FakeEmbedder
from qa.index.build import build_index
started = time.perf_counter()
report = build_index([Path(sys.argv[1])], Path(sys.argv[2]), embedder=FakeEmbedder())
seconds = time.perf_counter() - started
try:
    with open("/proc/self/status") as f:
        peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
print(json.dumps({"indexed": report.indexed, "skipped": report.skipped, "warnings": report.warnings,
                  "seconds": seconds, "peak_mb": peak_kb / 1024}))
"""


def run_build(docs: Path, index_dir: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT, str(docs), str(index_dir), str(ROOT), str(ROOT / "tests")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert result.returncode == 0, f"the build failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    docs = tmp_path_factory.mktemp("hostile") / "docs"
    made = time.perf_counter()
    bad, good = make_hostile_folder(docs)
    made = time.perf_counter() - made
    index_dir = docs.parent / "index"
    result = run_build(docs, index_dir)
    print(f"\nhostile folder: {len(bad)} bad, {len(good)} good files, made in {made:.1f} s; "
          f"build {result['seconds']:.1f} s, peak memory {result['peak_mb']:.0f} MB")
    for name, reason in result["skipped"]:
        print(f"  skipped {name!r}: {reason}")
    yield {"bad": bad, "good": good, "result": result, "index": index_dir}
    shutil.rmtree(docs.parent, ignore_errors=True)  # 50 MB


def test_every_bad_file_is_skipped_with_a_reason_to_act_on(hostile):
    skipped = dict((name, reason) for name, reason in hostile["result"]["skipped"])
    for name, words in hostile["bad"].items():
        assert name in skipped, f"{name!r} was not reported as skipped: {hostile['result']['skipped']}"
        for word in words:
            assert word.lower() in skipped[name].lower(), f"{name!r}: {skipped[name]!r} lacks {word!r}"
        assert not skipped[name].startswith("could not be read ("), skipped[name]  # the build's catch-all: a crash
    unexpected = set(skipped) - set(hostile["bad"])
    assert not unexpected, {n: skipped[n] for n in unexpected}


def test_good_files_among_them_are_indexed(hostile):
    indexed = set(hostile["result"]["indexed"])
    assert hostile["good"] <= indexed, sorted(hostile["good"] - indexed)
    assert not indexed & set(hostile["bad"])
    assert not any(name.startswith(".") or name in ("named pipe.txt", "broken link.txt") for name in indexed)
    assert not any(name.startswith("loop/") for name in indexed)  # the link loop is not followed
    warnings = " ".join(hostile["result"]["warnings"])
    assert "latin-1 café.txt: not UTF-8: read as Windows-1252" in warnings
    assert "utf-16 without mark.txt: read as UTF-16" in warnings


def test_hostile_build_memory_is_bounded(hostile):
    peak = hostile["result"]["peak_mb"]
    print(f"peak memory of the hostile build: {peak:.0f} MB (bound {MEMORY_BOUND_MB} MB)")
    assert peak < MEMORY_BOUND_MB


def test_hostile_index_serves_verbatim_quotes(hostile):
    index = load_index(hostile["index"])
    docs = {d.doc_id: d for d in index.documents}
    assert len(docs) == len(index.documents)  # "a b.txt" and "a-b.txt" keep distinct ids
    by_source = {d.source: d for d in index.documents}
    assert by_source["latin-1 café.txt"].title == "Café report on Sheffield"
    assert by_source["windows-1252 “quotes”.txt"].title == "“Smart” quotes – and dashes"
    for name in ("utf-16 little-endian.txt", "utf-16 big-endian.txt", "utf-16 without mark.txt", "utf-32.txt"):
        assert by_source[name].text.startswith("Inspection news item"), name
    assert "\r" not in by_source["old mac line ends.txt"].text
    retriever = Retriever(index, FakeEmbedder())
    for question in ("supervision in team 103", "Café report on Sheffield", "fostering service", "Leeds"):
        passages = retriever.search(question, k=5)
        assert passages, question
        assert_verbatim(passages, docs)


@pytest.mark.parametrize(
    ("name", "size", "words"),
    [
        ("big.txt", MAX_TEXT_FILE_BYTES + 1, ("10 MB limit for one text file", "split it")),
        ("big.md", MAX_TEXT_FILE_BYTES + 1, ("10 MB limit for one text file", "split it")),
        ("big.html", MAX_TEXT_FILE_BYTES + 1, ("10 MB limit for a web page", "save the article page alone")),
        ("big.pdf", MAX_FILE_BYTES + 1, ("100 MB limit", "split the file")),
        ("big.docx", MAX_FILE_BYTES + 1, ("100 MB limit", "split the file")),
    ],
)
def test_size_limits_are_checked_before_reading(tmp_path, monkeypatch, name, size, words) -> None:
    path = tmp_path / name
    with open(path, "wb") as f:
        f.truncate(size)  # sparse
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(UnsupportedDocument) as e:
        load_document(path, tmp_path)
    assert all(w in str(e.value) for w in words), str(e.value)


def test_text_limit_applies_to_extracted_text(tmp_path, monkeypatch) -> None:
    """A PDF or Word file can hold more text than its size suggests: the limit is on the text too."""
    monkeypatch.setattr("qa.ingest.load.MAX_TEXT_CHARS", 1000)
    (tmp_path / "word.docx").write_bytes(_word_document())
    load_document(tmp_path / "word.docx", tmp_path)  # under the limit
    shutil.copy(REAL_PDF, tmp_path / "report.pdf")
    with pytest.raises(UnsupportedDocument, match=r"million characters.*split it into smaller files"):
        load_document(tmp_path / "report.pdf", tmp_path)


def test_unreadable_file_says_so(tmp_path, monkeypatch) -> None:
    (tmp_path / "locked.txt").write_text(_article(1))

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod does not stop root, who may run the tests
    with pytest.raises(UnsupportedDocument, match=r"locked.txt: the file cannot be read \(Permission denied\)"):
        load_document(tmp_path / "locked.txt", tmp_path)


def test_file_name_not_utf8_does_not_stop_a_build(tmp_path, seed_docs, fake_embedder):
    name = b"latin-1 name caf\xe9.txt"
    try:
        with open(os.fsencode(seed_docs) + b"/" + name, "wb") as f:
            f.write(_article(1).encode())
    except OSError:
        pytest.fail("this file system refuses non-UTF-8 names; the test needs one that allows them (Linux)")
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert sorted(report.indexed) == sorted(f.name for f in SEED_ARTICLES)


def test_file_name_not_utf8_is_reported(tmp_path, seed_docs, fake_embedder):
    with open(os.fsencode(seed_docs) + b"/caf\xe9.txt", "wb") as f:
        f.write(_article(1).encode())
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert [(n, r) for n, r in report.skipped if n == "caf\ufffd.txt" and "rename" in r], report.skipped


def test_build_summary_shows_control_characters_as_escapes(tmp_path, seed_docs, fake_embedder):
    """A file name cannot forge a line of the build report, recolour the terminal or reverse its text."""
    for name in ("forged\nIndexed 999 documents.txt", "terminal \x1b[2Jclear.txt", "gpj.\u202etxt",
                 "line\u2028separator.txt"):
        (seed_docs / name).write_bytes(b"")  # empty: skipped, so named in the summary
    summary = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder).summary()
    assert "\x1b" not in summary and "\u202e" not in summary and "\u2028" not in summary
    assert "Skipped line\\u2028separator.txt:" in summary
    assert "Skipped forged\\nIndexed 999 documents.txt: the file is empty" in summary
    assert "Skipped terminal \\x1b[2Jclear.txt:" in summary and "Skipped gpj.\\u202etxt:" in summary
    assert not any(line.startswith("Indexed 999") for line in summary.splitlines())


def test_links_to_files_are_followed_and_linked_folders_are_not(tmp_path, seed_docs, fake_embedder):
    """The documents folder is the operator's: a link to a file elsewhere is indexed as
    that file (a folder of links into a shared drive works); a linked folder is not
    walked, so a link loop or a link to / cannot make a build endless."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "linked.txt").write_text(_article(7), encoding="utf-8")
    (seed_docs / "linked.txt").symlink_to(outside / "linked.txt")
    (seed_docs / "linked folder").symlink_to(outside)
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert "linked.txt" in report.indexed
    assert not any(name.startswith("linked folder/") for name in report.indexed)


def test_an_upload_never_writes_through_a_link(tmp_path):
    from qa.app.uploads import save_upload

    folder, outside = tmp_path / "uploads", tmp_path / "outside.txt"
    folder.mkdir()
    (folder / "report.txt").symlink_to(outside)  # dangling: writing through it would create `outside`
    saved = save_upload(folder, "report.txt", _article(1).encode())
    assert saved.name == "report (2).txt" and not saved.is_symlink()
    assert not outside.exists()


def test_build_memory_does_not_grow_with_a_huge_file(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in SEED_ARTICLES:
        shutil.copy(f, docs / f.name)
    with open(docs / "two gigabytes.pdf", "wb") as f:
        f.truncate(2 * 2**30)  # sparse: no disk used
    result = run_build(docs, tmp_path / "index")
    print(f"peak memory with a 2 GB file: {result['peak_mb']:.0f} MB")
    assert any(n == "two gigabytes.pdf" and "limit" in r for n, r in result["skipped"])
    assert result["peak_mb"] < MEMORY_BOUND_MB


# ---------------------------------------------------------------- fuzzing the loaders

SUFFIXES = (".txt", ".md", ".html", ".pdf", ".docx")
_SEED_TEXT = SEED_ARTICLES[0].read_bytes()
_DOCX = _word_document()
VALID_FILES = {  # a real, valid file of each type, to mutate ("suffix what")
    ".txt": _SEED_TEXT,
    ".md": b"# " + _SEED_TEXT,
    ".html": _news_page(_SEED_TEXT.decode()),
    ".pdf": _small_pdf([0, 1]),
    ".pdf uncompressed": _small_pdf([0, 1], uncompressed=True),
    ".docx": _DOCX,
    ".docx document.xml": zipfile.ZipFile(io.BytesIO(_DOCX)).read("word/document.xml"),
    ".docx styles.xml": zipfile.ZipFile(io.BytesIO(_DOCX)).read("word/styles.xml"),
}
# Mutated parts go back into the file before parsing.
_REPACK = {
    ".docx document.xml": lambda xml: _with_part(_DOCX, "word/document.xml", xml),
    ".docx styles.xml": lambda xml: _with_part(_DOCX, "word/styles.xml", xml),
}
# Where mutations hurt most: the structure of each format.
_LANDMARKS = (b"obj", b"xref", b"trailer", b"/Length", b"stream", b"startxref", b"%%EOF", b"BT", b"TJ", b"Tf",
              b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"<w:", b"</w:", b"w:val", b"<p", b"<script",
              b"<title", b"charset", b"\n\n")


def _find_all(data: bytes, mark: bytes, limit: int = 200) -> list[int]:
    found, at = [], data.find(mark)
    while at >= 0 and len(found) < limit:
        found.append(at)
        at = data.find(mark, at + 1)
    return found


_HOTSPOTS = {
    key: sorted({i for m in _LANDMARKS for i in _find_all(data, m)}) or [0]
    for key, data in VALID_FILES.items()
}


@st.composite
def mutated(draw: st.DrawFn, key: str) -> bytes:
    """A valid file with a few bytes flipped, set, inserted, deleted or repeated, or cut short."""
    data = bytearray(VALID_FILES[key])
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.one_of(st.integers(0, len(data) - 1), st.sampled_from(_HOTSPOTS[key]))) % len(data)
        kind = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate", "repeat")))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from((0, 0xFF, ord("<"), ord(">"), ord("/"), ord("0"), ord("9"))))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 512))]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
    return _REPACK.get(key, bytes)(bytes(data))


def _event(outcome: str) -> None:
    """Outcomes counted in `pytest --hypothesis-show-statistics`: how deep the fuzzing reaches."""
    if currently_in_test_context():
        event(outcome)


def check_parse(data: bytes, suffix: str) -> Parsed | None:
    """A Parsed whose offsets lie inside its text, or UnsupportedDocument saying why; nothing else."""
    name = f"fuzz{suffix}"
    try:
        parsed, warnings = parse_bytes(data, suffix, name)
    except UnsupportedDocument as e:
        message = str(e)
        assert message.startswith(f"{name}: ") and len(message) > len(name) + 20, message
        _event(f"refused: {message[len(name) + 2 :][:40]}")
        return None
    _event("parsed")
    assert isinstance(parsed.text, str) and isinstance(parsed.title, str)
    parsed.text.encode("utf-8")  # stored as UTF-8: no lone surrogates
    end = 0
    for b in parsed.blocks:
        assert end <= b.start <= b.end <= len(parsed.text), (b, len(parsed.text))
        end = b.end
    assert list(parsed.page_starts) == sorted(parsed.page_starts)
    assert all(0 <= p <= len(parsed.text) for p in parsed.page_starts)
    assert all(w.startswith(f"{name}: ") for w in warnings)
    return parsed


def _random_bytes(suffix: str) -> st.SearchStrategy[bytes]:
    """Random bytes, also behind the format's own magic, so that the parser gets past its first check."""
    magic = {".pdf": b"%PDF-1.7\n", ".docx": b"PK\x03\x04", ".html": b"<!DOCTYPE html><html>"}.get(suffix, b"")
    markup = st.lists(
        st.one_of(
            st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<script>", "</script>", "<title>", "<h1>",
                             "<article>", "<!--", "-->", "&amp;", "&#0;", "&#xD800;", "<meta charset=utf-16>",
                             "<br/>", "\x00", "\n\n", "<![CDATA[", "<?xml version='1.0'?>"]),
            st.text(max_size=40),
        ),
        max_size=60,
    ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))
    return st.one_of(
        st.binary(max_size=4096),
        st.binary(max_size=4096).map(lambda b: magic + b),
        markup,
        st.text(max_size=2000).flatmap(
            lambda t: st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1"]).map(
                lambda enc: t.encode(enc, "replace")
            )
        ),
    )


@pytest.mark.parametrize("suffix", SUFFIXES)
@given(data=st.data())
def test_parse_bytes_random_input(suffix: str, data: st.DataObject) -> None:
    check_parse(data.draw(_random_bytes(suffix)), suffix)


@pytest.mark.parametrize("key", list(VALID_FILES))
@given(data=st.data())
def test_parse_bytes_mutated_valid_file(key: str, data: st.DataObject) -> None:
    check_parse(data.draw(mutated(key)), key.split()[0])


@pytest.mark.parametrize("key", list(VALID_FILES))
def test_the_valid_files_parse(key: str) -> None:
    """The fuzz seeds are good files: mutations start from something that works."""
    parsed = check_parse(_REPACK.get(key, bytes)(VALID_FILES[key]), key.split()[0])
    assert parsed is not None and any(b.kind == "body" for b in parsed.blocks)


def test_unicode_case_folding_never_breaks_loading() -> None:
    """A long s (ſ) or dotless i matches ASCII letters under re.IGNORECASE but not after lower():
    place and month look-ups used to raise KeyError, skipping the document as unreadable."""
    text = "Eſſex and Bİrmingham services\n\nOn 1 Auguſt 2019 inspectors in Eſſex found that plans were good.\n"
    parsed, _ = parse_bytes(text.encode(), ".txt", "odd.txt")
    assert parsed.title.startswith("Eſſex")
    page = _news_page(text)
    assert check_parse(page, ".html") is not None


def test_docx_paragraph_styles_match_python_docx(tmp_path) -> None:
    """The style table gives what python-docx's (slow) paragraph.style gives, unknown ids included."""
    from qa.ingest.docx import _paragraph_styles

    d = docx.Document(io.BytesIO(_word_document()))
    d.add_paragraph("Plain")
    p = d.add_paragraph("Character style id")
    p._p.get_or_add_pPr().style = "DefaultParagraphFont"  # a character style: python-docx falls back
    q = d.add_paragraph("Unknown id")
    q._p.get_or_add_pPr().style = "NoSuchStyle"
    style_of = _paragraph_styles(d)
    assert [style_of(p) for p in d.paragraphs] == [p.style.name for p in d.paragraphs]


# ---------------------------------------------------------------- fuzzing questions


@pytest.fixture(scope="module")
def fake_retriever(tmp_path_factory) -> Retriever:
    docs = tmp_path_factory.mktemp("fuzz-docs")
    for f in SEED_ARTICLES:
        shutil.copy(f, docs / f.name)
    index_dir = tmp_path_factory.mktemp("fuzz-index")
    build_index([docs], index_dir, embedder=FakeEmbedder())
    return Retriever(load_index(index_dir), FakeEmbedder())


def assert_verbatim(passages, docs) -> None:
    for p in passages:
        assert isinstance(p, Passage)
        assert docs[p.doc_id].text[p.start : p.end] == p.quote, p


_QUESTION_WORDS = [
    "What", "did", "inspectors", "say", "about", "supervision", "in", "Rotherham", "Rotherham's", "Leeds",
    "Eſſex", "Bİrmingham", "ıslington", "Kent", "Reading", "reading", "2019", "2026", "latest", "inspection",
    "caseloads", "children’s", "services", "?", "!", "...", "and", "what", "how", "1 ſeptember 2019",
    "🎉", "👶🏽", "👨‍👩‍👧", "督察", "الإشراف", "надзор", "\u202e", "\u200b", "\x00", "\x1b[31m", "\ufeff",
]
QUESTIONS = st.one_of(
    st.text(max_size=300),  # every category but surrogates: controls, format, private use, unassigned
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Co", "Zs", "Zl", "Zp", "So", "Lo"]), max_size=100),
    st.lists(st.one_of(st.sampled_from(_QUESTION_WORDS), st.text(max_size=6)), max_size=30).map(" ".join),
    st.integers(MAX_QUESTION_CHARS - 5, MAX_QUESTION_CHARS + 5).map(lambda n: ("supervision " * n)[:n]),
)
_QUESTION_ADVICE = ("type a question", "Ask about one thing at a time", "ask in words")


def check_question(retriever: Retriever, question: str) -> None:
    try:
        query = parse_question(question, load_gazetteer())
    except InvalidQuestion as e:
        assert any(advice in str(e) for advice in _QUESTION_ADVICE), str(e)
        _event(f"refused: {str(e)[:30]}")
        with pytest.raises(InvalidQuestion):
            ask(retriever, question)
        with pytest.raises(InvalidQuestion):
            retriever.search(question, k=5)
        return
    assert query.text and len(query.text) <= MAX_QUESTION_CHARS
    assert not any(unicodedata.category(c)[0] == "C" for c in query.text)
    docs = {d.doc_id: d for d in retriever.index.documents}
    answer = ask(retriever, question)
    _event("answered" if answer.answered else f"abstained: {answer.reason[:40]}")
    assert answer.answered == bool(answer.citations)
    assert "collection is empty" not in answer.reason  # it is not
    assert answer.answered or answer.reason
    assert_verbatim(answer.citations + answer.closest, docs)
    assert_verbatim(retriever.search(question, k=5), docs)


@given(question=QUESTIONS)
def test_any_question_is_answered_or_refused_clearly(fake_retriever: Retriever, question: str) -> None:
    check_question(fake_retriever, question)


@pytest.mark.parametrize(
    "question",
    ["Eſſex supervision?", "What about Bİrmingham?", "caseloads on 1 ſeptember 2019", "ıslington"],
)
def test_case_folding_in_questions(fake_retriever: Retriever, question: str) -> None:
    """These raised KeyError in the gazetteer (its regex folds ſ, ı and İ; lower() does not)."""
    check_question(fake_retriever, question)


@pytest.mark.parametrize("question", ["What about Leeds?", "Leeds", "Reading"])
def test_place_alone_outside_the_collection_says_so(fake_retriever: Retriever, question: str) -> None:
    """Found by fuzzing: these said "The collection is empty: add documents and build the index"."""
    answer = ask(fake_retriever, question)
    assert not answer.answered and answer.reason.startswith("The collection has no documents about ")


def test_huge_question_is_refused_quickly() -> None:
    """10 MB pasted as a question: refused in well under a second of work per MB (it took 10 s)."""
    gazetteer = load_gazetteer()
    for question in ("word " * 2_000_000, "\x00" * 10_000_000, " \t\n" * 3_000_000):
        started = time.perf_counter()
        with pytest.raises(InvalidQuestion):
            parse_question(question, gazetteer)
        print(f"{len(question):,} characters refused in {time.perf_counter() - started:.2f} s")
        assert time.perf_counter() - started < 30  # a hang guard, not a speed test


# ---------------------------------------------------------------- edge-case questions, real model

EDGE_QUESTIONS = {
    "empty": ("", "empty"),
    "whitespace only": (" \t\n\r\u3000\u00a0 ", "empty"),
    "100,000 characters": (("What did inspectors say about supervision? " * 2400)[:100_000], "one thing at a time"),
    "control characters": ("What did\x00 inspectors\x07 say about\x1b[31m supervision\x7f in Rotherham?", None),
    "Chinese": ("督察员对罗瑟勒姆的儿童服务监督有何评价？", None),
    "Arabic": ("ماذا قال المفتشون عن الإشراف على الأخصائيين الاجتماعيين؟", None),
    "Cyrillic": ("Что инспекторы сказали о надзоре за социальными работниками?", None),
    "emoji only": ("🤔👶🏽🏫❓", "ask in words"),
    "mixed": ("What did inspectors say 👀 about supervision in Rotherham? 监督 надзор إشراف", None),
    "right-to-left override": ("\u202eWhat did inspectors say about supervision?\u202c", None),
    "long s": ("What did inspectors find in Eſſex?", None),
}


@pytest.mark.parametrize("case", list(EDGE_QUESTIONS))
def test_edge_case_questions_with_the_real_model(default_retriever: Retriever, case: str) -> None:
    question, refusal = EDGE_QUESTIONS[case]
    docs = {d.doc_id: d for d in default_retriever.index.documents}
    started = time.perf_counter()
    try:
        answer = ask(default_retriever, question)
    except InvalidQuestion as e:
        seconds = time.perf_counter() - started
        print(f"{case}: refused in {seconds * 1000:.0f} ms: {e}")
        assert refusal is not None and refusal in str(e), str(e)
        assert seconds < 30
        return
    seconds = time.perf_counter() - started
    outcome = "answered" if answer.answered else f"abstained ({answer.reason})"
    print(f"{case}: {outcome} in {seconds * 1000:.0f} ms with {len(answer.citations)} quotes")
    assert refusal is None, f"{case} should have been refused, got {outcome}"
    assert answer.answered == bool(answer.citations) and (answer.answered or answer.reason)
    assert_verbatim(answer.citations + answer.closest, docs)
    assert seconds < 30  # a hang guard, not a speed test
    if case in ("control characters", "mixed"):  # the English question inside is still understood
        assert answer.answered and "Rotherham" in " ".join(p.places[0] for p in answer.citations if p.places)
