"""Structure of a news article: title, paragraphs, boilerplate, date, publisher.

Everything stays in the stored text; boilerplate is only marked, so that it
is never quoted as an answer but the reader still sees the page as it was.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from qa.records import Block

_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_MARKDOWN_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)$")

# Navigation and furniture of news sites, matched against a whole line.
_NAVIGATION = re.compile(
    r"""^(?:read\ more|read\ next|more\ from\ .{2,60}|comments\ are\ closed\.?
    |share(?:\ this(?:\ article|\ story)?)?|advertisement|sponsored
    |related\ (?:articles?|stories|content)|most\ read|sign\ up.*|subscribe.*
    |follow\ us.*|click\ here.*|back\ to\ top|skip\ to\ .*|leave\ a\ comment
    |(?:image|photo|picture)\ (?:credit|caption)s?:.*|copyright\ .*|©.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines after which the next short line is a link to another article.
_LINK_INTRO = re.compile(r"^(?:read more|read next|related|most read|see also)$", re.I)

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_DATELINE = re.compile(
    rf"^(?:updated|published|posted|last updated)?[:\s]*(?:{_WEEKDAY},?\s*)?[\w ,./:-]{{0,40}}"
    rf"(?:\d{{1,2}}[:.]\d\d\s*(?:am|pm)?|(?:19|20)\d\d)\s*(?:am|pm|bst|gmt)?$",
    re.I,
)
_PUBLISHER = [
    re.compile(r"^More from (?P<name>[A-Z][\w&' ]{1,50})$"),
    re.compile(r"^©\s*(?:(?:19|20)\d\d\s+)?(?P<name>[A-Z][\w&' .]{1,50}?)\.?$"),
    re.compile(r"^(?:Published|Source) by:? (?P<name>[A-Z][\w&' ]{1,50})$", re.I),
]
CAPTION_MAX_WORDS = 15


def find_date(text: str) -> str | None:
    """The first full date written in `text`, as ISO yyyy-mm-dd."""
    candidates = []
    for rx, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"), (_ISO, "iso")):
        m = rx.search(text)
        if not m:
            continue
        try:
            # KeyError: the regex's case folding is wider than lower() ("Auguſt" with a long s).
            if order == "dmy":
                d = date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
            elif order == "mdy":
                d = date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
            else:
                d = date(int(m[1]), int(m[2]), int(m[3]))
        except (ValueError, KeyError):
            continue
        candidates.append((m.start(), d.isoformat()))
    return min(candidates)[1] if candidates else None


def line_blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans of plain text: one per line, joining wrapped lines.

    A line continues on the next when it lacks sentence punctuation and the
    next line starts in lower case (a hard wrap inside a sentence).
    """
    spans: list[list[int]] = []
    pos = 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        stripped = line.strip()
        if not stripped:
            spans.append([-1, -1])  # paragraph break
            continue
        s += len(line) - len(line.lstrip())
        e -= len(line) - len(line.rstrip())
        prev = spans[-1] if spans else None
        if (
            prev
            and prev[0] >= 0
            and not _SENTENCE_END.search(text[prev[0] : prev[1]])
            and not _MARKDOWN_HEADING.match(text[prev[0] : prev[1]])
            and stripped[0].islower()
        ):
            prev[1] = e
        else:
            spans.append([s, e])
    return [(s, e) for s, e in spans if s >= 0]


def classify_blocks(text: str, spans: list[tuple[int, int]]) -> list[Block]:
    """Label each paragraph as title, body, heading/caption or boilerplate."""
    texts = [text[s:e] for s, e in spans]
    repeats = Counter(t.strip().lower() for t in texts)
    blocks: list[Block] = []
    after_link_intro = False
    seen: set[str] = set()
    for i, ((s, e), t) in enumerate(zip(spans, texts, strict=True)):
        key = t.strip().lower()
        is_sentence = bool(_SENTENCE_END.search(t))
        words = len(t.split())
        if i == 0:
            kind = "title"
        elif _NAVIGATION.match(t) or _DATELINE.match(t) and words <= 12 or _MARKDOWN_IMAGE.match(t):
            kind = "boilerplate"
        elif _MARKDOWN_HEADING.match(t):
            kind = "heading"
        elif after_link_intro and not is_sentence:
            kind = "boilerplate"  # headline of a linked, unrelated article
        elif repeats[key] > 1 and (not is_sentence or key in seen):
            kind = "boilerplate"  # repeated caption, or a pull quote's second copy
        elif not is_sentence and words < CAPTION_MAX_WORDS:
            kind = "heading"
        else:
            kind = "body"
        after_link_intro = bool(_LINK_INTRO.match(t.strip()))
        seen.add(key)
        blocks.append(Block(s, e, kind))
    return blocks


def find_publisher(text: str, blocks: list[Block]) -> str | None:
    for b in blocks:
        line = text[b.start : b.end].strip()
        for rx in _PUBLISHER:
            m = rx.match(line)
            if m:
                return m["name"].strip()
    return None


def parse_article(text: str) -> tuple[str, list[Block], str | None, str | None]:
    """(title, blocks, ISO date or None, publisher or None) of an article."""
    blocks = classify_blocks(text, line_blocks(text))
    title = _MARKDOWN_HEADING.sub("", text[blocks[0].start : blocks[0].end]).strip() if blocks else ""
    # The date of an article is the first one near its top (its dateline),
    # not a year mentioned in the story.
    head_end = blocks[min(len(blocks), 6) - 1].end if blocks else 0
    return title, blocks, find_date(text[:head_end]), find_publisher(text, blocks)
