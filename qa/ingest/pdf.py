"""Ofsted-style PDF reports to stored text: page map, no page furniture,
paragraphs joined, numbered paragraphs, footnotes and their markers recorded.

pypdfium2 (PDFium; Apache-2.0/BSD) reads the text: it is fast and
permissively licensed, where PyMuPDF's AGPL would bind the whole product.
Running headers, footers and page numbers are found by repetition across
pages (digits folded, so "Page 2" and "Page 3" repeat), never by a fixed string.

Font sizes tell what the words alone cannot: a footnote is set smaller than
the body and opens with a smaller still number, and a footnote marker is a
small digit glued to a word ("protection.¹"). Footnotes become blocks of
their own, placed after the paragraph that is open when their page ends (a
sentence crossing the page never has a footnote inside it), and markers are
left out of the stored text (so never inside a quote) and recorded with the
offset where they stood.

Every stored line remembers where it came from (page and PDFium character
index), so an offset in the stored text maps back to the page it is on.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from qa.errors import UnsupportedDocument
from qa.records import Block, Parsed

from .article import find_date

_BULLET_CHARS = "•◼▪■●◦‣∙·–"
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # symbol-font bullets
_BULLET = re.compile(rf"^[{_BULLET_CHARS}]\s*")
_NUMBERED = re.compile(r"^(\d{1,3})\.\s*(?=[A-Z‘'\"“(])")
_SENTENCE_END = re.compile(r"""[.!?…:;]["'”’)\]]*$""")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SOFT_HYPHEN = "\ufffe"  # PDFium's mark for a hyphen at a line break (its character code is 2)
_WORD = re.compile(r"[A-Za-z]+")
EDGE_LINES = 3  # lines at the top and bottom of a page that may be furniture
# Relative type sizes. A marker is a digit set well below its line's size; a
# footnote line is set below the body size (Ofsted: 10 pt notes, 6.5 pt
# markers, 12 pt body).
MARKER_SIZE = 0.8
FOOTNOTE_SIZE = 0.95
_SIZE_SAMPLES = 8  # characters per line whose font size is read (each read is a call into PDFium)


@dataclass(slots=True)
class Line:
    """One line of a page as stored: markers taken out, ends stripped."""

    text: str
    page: int  # 0-based
    size: float  # the font size most of its characters have
    bold: bool = False  # most of its characters are set bold (a heading)
    # (offset in text, PDFium character index on the page, length): contiguous runs
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    markers: list[tuple[int, str]] = field(default_factory=list)  # (offset in text, marker)
    opens_footnote: str | None = None  # the footnote's number when the line begins one


def parse_pdf(data: bytes, name: str) -> Parsed:
    pages = read_lines(data, name)
    furniture = _furniture([[ln.text for ln in lines] for lines in pages])
    # Footnotes first: a note's number on a line of its own looks like a page number.
    kept = [[ln for ln in lines if _key(ln.text) not in furniture] for lines in _mark_footnotes(pages, furniture)]
    if sum(len(lines) for lines in kept) == 0:
        raise UnsupportedDocument(
            f"{name}: the PDF has no text layer (scanned images only); run OCR on it or index a text version."
        )
    words = (w.lower() for lines in kept for ln in lines for w in _WORD.findall(ln.text.replace(_SOFT_HYPHEN, " ")))
    vocabulary = Counter(words)
    text, blocks, page_starts, layout, markers = _assemble(kept, vocabulary)
    first_page = [ln.text for ln in pages[0]] if pages else []
    title = _title(pages[0] if pages else [], furniture) or text[blocks[0].start : blocks[0].end]
    meta = _metadata(first_page)
    date = find_date(meta.get("published", "")) or _last_date(meta.get("inspection_dates", ""))
    return Parsed(
        text=text, blocks=tuple(blocks), title=title, kind="report", date=date, publisher="Ofsted",
        page_starts=tuple(page_starts), meta=meta,
        layout=np.array(layout, dtype=np.int32).reshape(-1, 4), markers=tuple(markers),
    )


def read_lines(data: bytes, name: str) -> list[list[Line]]:
    """Every page's non-empty lines, in PDFium's reading order."""
    pdf = _open(data, name)
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(_lines_of_page(textpage, i))
            textpage.close()
            page.close()
        return pages
    except pdfium.PdfiumError as e:
        raise UnsupportedDocument(f"{name}: damaged PDF, a page could not be read ({e}).") from None
    finally:
        pdf.close()


def _open(data: bytes, name: str) -> pdfium.PdfDocument:
    head = data[:1024].lstrip().lower()
    if not data.strip():
        raise UnsupportedDocument(f"{name}: the file is empty; download the report again.")
    if head.startswith((b"<!doctype html", b"<html")):
        raise UnsupportedDocument(
            f"{name}: not a PDF but a web page saved under a .pdf name; download the report again."
        )
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise UnsupportedDocument(f"{name}: the PDF is encrypted; ask for an unprotected copy.") from None
        raise UnsupportedDocument(f"{name}: damaged or truncated PDF ({e}); download it again.") from None


def _lines_of_page(textpage: pdfium.PdfTextPage, page_number: int) -> list[Line]:
    """The page's text split at PDFium's line breaks. The text comes in one
    call; font sizes are read only for digits (possible markers) and a sample
    of each line's characters, since each read is a call into PDFium."""
    raw = textpage.get_text_range()
    count = textpage.count_chars()
    # get_text_range gives one code unit per character index, except for characters
    # beyond the BMP (two units each); where that happens, read per character.
    if len(raw) != count:
        raw = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 0xFFFD) for i in range(count))
        raw = raw.replace("\x02", _SOFT_HYPHEN)
    # A lone surrogate (a broken font's character code) cannot be stored as UTF-8: one
    # replacement character stands for it, so character indices stay as PDFium counts them.
    raw = _LONE_SURROGATE.sub("\ufffd", raw)
    handle = textpage.raw
    box = pdfium_c.FS_RECTF()

    def size(i: int) -> float:
        # The height of the character's loose box (the font's ascent to descent
        # at its size on the page): unlike FPDFText_GetFontSize it includes the
        # text matrix, which some reports use to scale 1-point fonts.
        pdfium_c.FPDFText_GetLooseCharBox(handle, i, box)
        return round((box.top - box.bottom) * 2) / 2

    lines: list[Line] = []
    for m in re.finditer(r"[^\r\n]+", raw):
        for start, end in _split_at_size_changes(raw, m.start(), m.end(), size):
            line = _line(raw, start, end, page_number, size, handle)
            if line is not None:
                lines.append(line)
    return lines


def _split_at_size_changes(raw: str, start: int, end: int, size) -> list[tuple[int, int]]:
    """PDFium now and then runs two lines of different type into one (the
    last line of a page and its footnote: "... for decision- ¹ The areas for
    improvement ..."): such a line is cut where the size changes, the
    footnote's number going with the note."""
    letters = [i for i in range(start, end) if raw[i].isalpha()]
    if len(letters) < 8:
        return [(start, end)]
    step = max(1, len(letters) // _SIZE_SAMPLES)
    sampled = [size(i) for i in letters[::step]]
    if max(sampled) <= 1.12 * min(sampled):
        return [(start, end)]
    runs: list[list] = []  # [size, first index, last index, count]
    for i in letters:
        z = size(i)
        if runs and runs[-1][0] == z:
            runs[-1][2], runs[-1][3] = i, runs[-1][3] + 1
        else:
            runs.append([z, i, i, 1])
    runs = [r for r in runs if r[3] >= 3] or runs  # a letter or two in another size is emphasis, not a line
    cuts = []
    for a, b in zip(runs, runs[1:], strict=False):
        if max(a[0], b[0]) > 1.12 * min(a[0], b[0]):
            cut = b[1]
            while cut > a[2] + 1 and (raw[cut - 1].isspace() or raw[cut - 1].isdigit()):
                cut -= 1  # the note's number and the space before it go with the note
            cuts.append(cut)
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _line(raw: str, start: int, end: int, page_number: int, size, handle) -> Line | None:
    """One line with its markers taken out and its ends stripped (None if blank)."""
    visible = [i for i in range(start, end) if not raw[i].isspace()]
    if not visible:
        return None
    step = max(1, len(visible) // _SIZE_SAMPLES)
    sizes = Counter(size(i) for i in visible[::step])
    line_size = sizes.most_common(1)[0][0]
    weights = [pdfium_c.FPDFText_GetFontWeight(handle, i) for i in visible[::step]]
    bold = sum(w >= 600 for w in weights) > len(weights) / 2
    small_digits = {
        i for i in visible if raw[i].isdigit() and size(i) < MARKER_SIZE * line_size
    }
    keep = [True] * (end - start)
    markers: list[tuple[int, str]] = []  # (raw index, marker)
    opens = None
    i = start
    while i < end:
        if i in small_digits:
            j = i
            while j < end and j in small_digits:
                j += 1
            first_visible = i == visible[0]
            if first_visible and j < end:  # "¹ The areas for improvement ...": a footnote's own number (kept)
                opens = raw[i:j]
            elif i > start and (j == end or not raw[j].isalnum()):
                # "protection.¹", "improve?¹", "42,616³", "schools, ³ all of whom": set small, it is no figure
                markers.append((i, raw[i:j]))
                for k in range(i, j):
                    keep[k - start] = False
            i = j
        else:
            i += 1
    text, runs, marker_at = _kept_text(raw, start, end, keep, markers)
    stripped = text.strip()
    if not stripped:
        return None
    lead = len(text) - len(text.lstrip())
    runs = _shift_runs(runs, lead, len(stripped))
    return Line(
        text=_PRIVATE_USE.sub("•", stripped), page=page_number, size=line_size, bold=bold, runs=runs,
        markers=[(min(max(0, o - lead), len(stripped)), mk) for o, mk in marker_at],
        opens_footnote=opens,
    )


def _kept_text(raw: str, start: int, end: int, keep: list[bool], markers: list[tuple[int, str]]):
    """The line's characters that are kept, their runs of PDF character
    indices, and each marker's offset in the kept text."""
    out: list[str] = []
    runs: list[tuple[int, int, int]] = []
    marker_at: list[tuple[int, str]] = []
    pending = dict(markers)
    for i in range(start, end):
        if i in pending:
            marker_at.append((len(out), pending.pop(i)))
        if not keep[i - start]:
            continue
        if runs and runs[-1][1] + runs[-1][2] == i and runs[-1][0] + runs[-1][2] == len(out):
            offset, char, length = runs[-1]
            runs[-1] = (offset, char, length + 1)
        else:
            runs.append((len(out), i, 1))
        out.append(raw[i])
    return "".join(out), runs, marker_at


def _shift_runs(runs: list[tuple[int, int, int]], lead: int, length: int) -> list[tuple[int, int, int]]:
    """Runs re-based on the stripped text (lead characters cut, `length` kept)."""
    out = []
    for offset, char, n in runs:
        a, b = max(offset, lead), min(offset + n, lead + length)
        if b > a:
            out.append((a - lead, char + (a - offset), b - a))
    return out


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip().lower()))


def _furniture(pages: list[list[str]]) -> set[str]:
    """Lines repeated at the top or bottom of most pages (digits folded)."""
    if len(pages) < 3:
        return {k for lines in pages for k in map(_key, lines) if re.fullmatch(r"(page )?#( of #)?", k)}
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
        counts.update(set(map(_key, edge)))
    threshold = max(2, len(pages) // 2)
    furniture = {k for k, n in counts.items() if n >= threshold}
    furniture |= {k for k in counts if re.fullmatch(r"(page )?#( of #)?", k)}
    return furniture


def body_size(pages: list[list[Line]]) -> float:
    """The font size of most of the document's text."""
    weights: Counter[float] = Counter()
    for lines in pages:
        for ln in lines:
            weights[ln.size] += len(ln.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _mark_footnotes(pages: list[list[Line]], furniture: set[str]) -> list[list[Line]]:
    """Pages with their footnote lines marked: `opens_footnote` kept only on
    small lines, and "+" on the small lines that continue a note.

    A line that is only a small number is either a footnote's number set on a
    line of its own (older reports: the note's text follows, small) or a
    marker that PDFium put on a line of its own because it is raised (after a
    heading): it is joined to the note, or recorded as the previous line's
    marker. At a page's edge, such a line is a page number (furniture).
    """
    body = body_size(pages)
    out = []
    for lines in pages:
        kept: list[Line] = []
        in_note = False
        for i, ln in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if re.fullmatch(r"\d{1,3}", ln.text) and ln.size < MARKER_SIZE * body:
                note_follows = (
                    nxt is not None and nxt.size < FOOTNOTE_SIZE * body and _key(nxt.text) not in furniture
                    and not re.fullmatch(r"\d+", nxt.text)
                )
                at_edge = i < EDGE_LINES or i >= len(lines) - EDGE_LINES
                if note_follows:
                    nxt.text, nxt.runs = f"{ln.text} {nxt.text}", ln.runs + _shift_runs(
                        [(o + len(ln.text) + 1, c, n) for o, c, n in nxt.runs], 0, len(ln.text) + 1 + len(nxt.text))
                    nxt.markers = [(o + len(ln.text) + 1, m) for o, m in nxt.markers]
                    nxt.opens_footnote = ln.text
                elif kept and not at_edge and _key(kept[-1].text) not in furniture:
                    kept[-1].markers.append((len(kept[-1].text), ln.text))
                elif at_edge:
                    kept.append(ln)  # a page number: the furniture filter drops it
                continue
            small = ln.size < FOOTNOTE_SIZE * body
            if ln.opens_footnote is not None and not small:
                ln.opens_footnote = None  # a body line opening with a small digit (a table's reference mark)
            if ln.opens_footnote is not None:
                in_note = True
            elif in_note and small:
                ln.opens_footnote = "+"
            else:
                in_note = False
            kept.append(ln)
        out.append(kept)
    return out


def _assemble(
    pages: list[list[Line]], vocabulary: Counter[str]
) -> tuple[str, list[Block], list[int], list[tuple[int, int, int, int]], list[tuple[int, str]]]:
    """Join lines into paragraphs.

    Returns the text, its blocks, where each page begins, the layout (for
    each stored run of characters: text offset, length, page, PDFium
    character index) and the footnote markers (text offset, marker).
    """
    lengths = sorted(len(ln.text) for lines in pages for ln in lines if ln.opens_footnote is None)
    full = lengths[int(len(lengths) * 0.8)] if lengths else 80
    state = _Text(vocabulary)
    page_starts: list[int] = []
    prev: Line | None = None
    last_number = 0  # the last numbered paragraph's number
    notes: list[list[Line]] = []  # footnotes waiting for the open paragraph to end
    for lines in pages:
        page_starts.append(len(state.text))
        first_on_page = True
        for ln in lines:
            if ln.opens_footnote == "+" and notes:
                notes[-1].append(ln)
                continue
            if ln.opens_footnote is not None:
                notes.append([ln])
                continue
            if prev is None or _starts_block(ln, prev, full, last_number):
                for note in notes:  # the open paragraph has ended: the notes go here
                    state.footnote(note)
                notes = []
                number = _numbered(ln.text)
                last_number = number if number is not None else last_number
                state.new_block(number)
            else:
                state.join(ln.text)
            if first_on_page:  # the page begins where its first line lands
                page_starts[-1], first_on_page = len(state.text), False
            state.add(ln)
            prev = ln
    for note in notes:
        state.footnote(note)
    text = state.text.replace(_SOFT_HYPHEN, "-")
    ends = [s for s, _, _ in state.spans[1:]] + [len(text)]
    blocks = [
        _block(text, s, _rstrip_end(text, s, e), n, kind)
        for (s, n, kind), e in zip(state.spans, ends, strict=True)
    ]
    return text, blocks, page_starts, state.layout, state.markers


class _Text:
    """The stored text as it is assembled, with its blocks, layout and markers."""

    def __init__(self, vocabulary: Counter[str]):
        self.text = ""
        self.vocabulary = vocabulary
        self.spans: list[tuple[int, int | None, str]] = []  # (start, paragraph number, "text" | "footnote")
        self.layout: list[tuple[int, int, int, int]] = []
        self.markers: list[tuple[int, str]] = []

    def new_block(self, number: int | None, kind: str = "text") -> None:
        self.text += "\n\n" if self.text else ""
        self.spans.append((len(self.text), number, kind))

    def join(self, line: str) -> None:
        self.text = _join(self.text, line, self.vocabulary)

    def add(self, ln: Line) -> None:
        base = len(self.text)
        self.text += ln.text
        for offset, char, n in ln.runs:
            self.layout.append((base + offset, n, ln.page, char))
        self.markers += [(base + o, mk) for o, mk in ln.markers]

    def footnote(self, lines: list[Line]) -> None:
        number = lines[0].opens_footnote
        self.new_block(int(number) if number and number.isdigit() else None, "footnote")
        for i, ln in enumerate(lines):
            if i:
                self.join(ln.text)
            self.add(ln)


def _numbered(line: str) -> int | None:
    m = _NUMBERED.match(line)
    return int(m.group(1)) if m else None


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _starts_block(ln: Line, prev_line: Line, full: int, last_number: int = 0) -> bool:
    """Whether line `ln` begins a paragraph rather than continues the one above."""
    line, prev = ln.text, prev_line.text
    prev_ends = bool(_SENTENCE_END.search(prev))
    numbered = _NUMBERED.match(line)
    if numbered:
        # "21. A significant number ..." after "... when they turn": an age that begins a line,
        # unless it is the paragraph that comes next.
        return prev_ends or len(prev) < 0.6 * full or int(numbered.group(1)) == last_number + 1
    if _BULLET.match(line):
        return True
    if abs(ln.size - prev_line.size) > 0.08 * max(ln.size, prev_line.size) or ln.bold != prev_line.bold:
        return True  # a heading, a caption or a note: set in another size or weight
    if prev_ends and len(prev) < 0.85 * full:
        return True  # the previous line ended a paragraph short of the margin
    if not prev_ends and len(prev) < 0.6 * full and line[:1].isupper():
        return True  # the previous line was a heading or a table cell
    return False


def _join(text: str, line: str, vocabulary: Counter[str]) -> str:
    """The text so far, ready for `line` to continue its paragraph.

    A hyphen at the line end is dropped only when the joined word is a word
    the document uses elsewhere ("assess-" + "ment"); compounds keep it.
    """
    m = re.search(r"([A-Za-z]+)[-\ufffe]$", text[-64:])  # the tail only: text grows with the document
    n = re.match(r"[a-z]+", line)
    if m and n:
        if vocabulary[(m.group(1) + n.group(0)).lower()] > 0:
            return text[:-1]
        return text[:-1] + "-"
    return text + " "


def _block(text: str, start: int, end: int, number: int | None, kind: str = "text") -> Block:
    """A paragraph: numbered paragraphs start after their number."""
    body = text[start:end]
    if number is not None and kind != "footnote":
        m = _NUMBERED.match(body)
        start += m.end() if m else 0
    elif _BULLET.match(body):
        start += _BULLET.match(body).end()
    if kind == "footnote":  # "1 The areas for improvement ...": the note starts after its number
        m = re.match(r"\d+\s*", body)
        return Block(start + (m.end() if m else 0), end, "footnote", number)
    piece = text[start:end]
    words = len(piece.split())
    ends_sentence = bool(re.search(r"""[.!…]["'”’)\]]*$""", piece))
    return Block(start, end, "body" if ends_sentence or words >= 15 else "heading", number)


# Lines that follow a report's title on its first page.
_AFTER_TITLE = re.compile(
    r"(?:inspection dates?|report published|lead inspector|judgement grade|the overall judgement|overall"
    r" effectiveness|age group|published)\b", re.I,
)
MAX_TITLE_LINES = 8


def _title(first_page: list[Line], furniture: set[str]) -> str | None:
    """The report's title: from the first line set in the largest type at the
    top of its first page to the line where the inspection's details begin,
    all of it (older titles run over several lines in body type, "… care
    leavers / and / Review of the effectiveness of …")."""
    lines = [ln for ln in first_page if _key(ln.text) not in furniture and not re.fullmatch(r"\d+", ln.text)]
    if not lines:
        return None
    largest = max(ln.size for ln in lines[:12])
    first = next(i for i, ln in enumerate(lines) if ln.size >= 0.95 * largest)
    title: list[str] = []
    for ln in lines[first : first + MAX_TITLE_LINES]:
        if _AFTER_TITLE.match(ln.text):
            break
        title.append(ln.text)
    return re.sub(r"\s+", " ", " ".join(title)).strip() or None


_META = {
    "inspection_dates": re.compile(r"Inspection dates?:\s*(.+)", re.I),
    "lead_inspector": re.compile(r"Lead inspector:\s*([^,\n]+)", re.I),
    "published": re.compile(r"Report published:\s*(.+)", re.I),
    "overall_effectiveness": re.compile(
        r"Overall effectiveness:?\s+(Outstanding|Good|Requires improvement(?: to be good)?|Inadequate)\b", re.I
    ),
}


def _metadata(first_page: list[str]) -> dict[str, str]:
    """Dates, lead inspector and overall grade from the first page's lines."""
    head = "\n".join(first_page)
    meta = {}
    for key, rx in _META.items():
        m = rx.search(head)
        if m:
            meta[key] = re.sub(r"\s+", " ", m.group(1)).strip()
    if "overall_effectiveness" not in meta:
        m = re.search(
            r"overall judgement is that children[’']s services (?:are )?(outstanding|good|requires improvement"
            r"(?: to be good)?|inadequate)", head, re.I,
        )
        if m:
            meta["overall_effectiveness"] = m.group(1).strip()
    return meta


def _last_date(dates: str) -> str | None:
    """ISO date of the last day of an inspection ("27 June to 1 July 2022")."""
    parts = re.split(r"\s+(?:to|–|-)\s+", dates)
    return find_date(parts[-1]) if parts and parts[-1] else None
