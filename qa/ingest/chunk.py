"""Sentences and chunks: the units that are embedded and ranked.

Only "body" blocks are segmented, so headings, captions and navigation can
never be quoted. Sentences are embedded one by one (each is quoted on its
own merit); chunks group consecutive sentences of one section for lexical
ranking, and never cross a heading, boilerplate or a numbered paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.records import Chunk, Document, Sentence

from .segment import split_sentences


@dataclass(frozen=True, slots=True)
class ChunkSettings:
    max_words: int = 80  # a chunk closes before it would pass this many words
    # Bump when loading, cleaning or segmentation changes what a sentence is,
    # so that stored vectors are not reused for different sentences.
    pipeline_version: int = 3

    def to_json(self) -> dict:
        return {
            "max_words": self.max_words,
            "unit": "sentence",
            "segmenter": "blingfire",
            "pipeline_version": self.pipeline_version,
        }


# Blocks whose sentences may be quoted: prose, and a report's footnotes (their own blocks).
QUOTABLE_KINDS = ("body", "footnote")
_ENDS_SENTENCE = re.compile(r"""[.!?…]["'”’)\]]*$""")
FRAGMENT_MAX_WORDS = 15


def is_fragment(text: str) -> bool:
    """A heading, table cell or caption that the segmenter left inside a
    paragraph: short and without closing punctuation, or just a few words.
    Such pieces are never quoted (a quote never ends mid-sentence)."""
    words = len(text.split())
    return words < 4 or (words < FRAGMENT_MAX_WORDS and not _ENDS_SENTENCE.search(text))


def sentences_of(doc: Document, doc_index: int) -> list[Sentence]:
    """The document's quotable sentences. A document made only of fragments
    (a short note, a one-line entry in a benchmark corpus) keeps them all,
    so that every document can still be found."""
    body = [(bi, s, e) for bi, b in enumerate(doc.blocks) if b.kind in QUOTABLE_KINDS
            for s, e in split_sentences(doc.text, b.start, b.end)]
    quotable = [(bi, s, e) for bi, s, e in body if not is_fragment(doc.text[s:e])]
    return [Sentence(doc_index, s, e, bi) for bi, s, e in (quotable or body)]


def chunk_sentences(doc: Document, sentences: list[Sentence], first_id: int, settings: ChunkSettings) -> list[Chunk]:
    """Group one document's sentences (global ids from first_id) into chunks."""
    chunks: list[Chunk] = []
    current: list[int] = []  # global sentence ids
    words = 0

    def close() -> None:
        nonlocal current, words
        if current:
            a, b = sentences[current[0] - first_id], sentences[current[-1] - first_id]
            chunks.append(Chunk(a.doc_index, a.start, b.end, current[0], current[-1]))
        current, words = [], 0

    prev_block = None
    for offset, sent in enumerate(sentences):
        n = len(doc.text[sent.start : sent.end].split())
        if prev_block is not None and sent.block_index != prev_block:
            between = doc.blocks[prev_block + 1 : sent.block_index]
            block = doc.blocks[sent.block_index]
            starts_numbered = block.number is not None
            other_kind = block.kind != doc.blocks[prev_block].kind  # prose and footnotes never share a chunk
            if starts_numbered or other_kind or any(b.kind != "body" for b in between):
                close()
        if current and words + n > settings.max_words:
            close()
        current.append(first_id + offset)
        words += n
        prev_block = sent.block_index
    close()
    return chunks
