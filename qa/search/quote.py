"""Choosing the words to quote inside a ranked chunk.

A quote is the best sentence for the question, extended to a neighbour when
the best sentence cannot stand alone (it opens with "This ..." and needs the
sentence before, or the next one opens with "However, ..." and qualifies it).
It is always whole sentences of one paragraph, and always checked verbatim.
"""

from __future__ import annotations

import re

from qa.index.store import LoadedIndex
from qa.records import Document, Passage, SentenceColumn

from .cite import citation, highlight_of, page_of, paragraph_of

MAX_QUOTE_SENTENCES = 3
# Sentences that lean on the one before them.
_NEEDS_BEFORE = re.compile(r"""^["'“‘]?(?:this|these|that|those|it|they|he|she|such|its|their)\b""", re.I)
# Sentences that qualify the one before them.
_QUALIFIES = re.compile(r"""^["'“‘]?(?:however|but|although|though|yet|despite|nevertheless)\b""", re.I)


class QuoteError(AssertionError):
    """A quote that is not the stored text at its offsets: a bug, never shown."""


def choose_span(index: LoadedIndex, best: int) -> tuple[int, int]:
    """(first, last) sentence ids of the quote built around sentence `best`."""
    lo = hi = best
    if lo > 0 and _same_block(index, lo - 1, lo) and _NEEDS_BEFORE.match(_sentence_text(index, lo)):
        lo -= 1
    while (
        hi + 1 < len(index.sentences)
        and hi - lo + 1 < MAX_QUOTE_SENTENCES
        and _same_block(index, hi, hi + 1)
        and _QUALIFIES.match(_sentence_text(index, hi + 1))
    ):
        hi += 1
    return lo, hi


def _same_block(index: LoadedIndex, a: int, b: int) -> bool:
    where = [SentenceColumn.DOC, SentenceColumn.BLOCK]
    return bool((index.sentences[a, where] == index.sentences[b, where]).all())


def make_passage(
    index: LoadedIndex, lo: int, hi: int, *, rank: int, score: float, evidence: float
) -> Passage:
    """The quote from sentence `lo` to sentence `hi`, which must be of one document."""
    a, b = index.sentence(lo), index.sentence(hi)
    doc = index.documents[a.doc_index]
    if a.doc_index != b.doc_index:
        raise QuoteError(f"quote of {doc.doc_id} runs from one document into another")
    return span_passage(doc, a.start, b.end, rank=rank, score=score, evidence=evidence,
                        superseded_by=index.superseded_by.get(doc.doc_id))


def span_passage(
    doc: Document, start: int, end: int, *, rank: int, score: float = 1.0, evidence: float = 1.0,
    superseded_by: str | None = None,
) -> Passage:
    """A quote of a span of a document (whole sentences, a judgement's line, an improvement
    point) with its citation. The offsets are checked to frame a non-empty span of this
    document's text before anything is shown."""
    quote = doc.text[start:end]
    if not (0 <= start < end <= len(doc.text)) or not quote.strip():
        raise QuoteError(f"quote of {doc.doc_id} at {start}:{end} is not a span of its text")
    return Passage(
        rank=rank, score=score, doc_id=doc.doc_id, source=doc.source, title=doc.title, quote=quote, start=start,
        end=end, page=page_of(doc, start), paragraph=paragraph_of(doc, start), citation=citation(doc, start),
        date=doc.date, publisher=doc.publisher, places=doc.places, link=doc.link, evidence=evidence,
        highlight=highlight_of(doc, start, end), superseded_by=superseded_by,
    )


def _sentence_text(index: LoadedIndex, i: int) -> str:
    s = index.sentence(i)
    return index.documents[s.doc_index].text[s.start : s.end]
