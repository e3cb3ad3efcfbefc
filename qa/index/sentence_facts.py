"""What can be known of each sentence before any question: computed when the
index is built and stored with it, so that ranking a question's candidates
is lookups and small matrix products, not text processing.

- facts: per sentence, the flags and numbers the ranker uses (see FACTS).
- terms: a sparse sentence x term matrix (1 where the sentence has the
  stemmed term), in the lexical index's vocabulary, for the share of the
  question's words a sentence, its neighbours or its section heading hold.
- headings: per sentence, the row of its section's heading in a second such
  matrix of heading texts (-1 when it has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from qa.records import Document, Sentence

from .lexical import tokenize

FACTS = (
    "has_number", "has_money", "has_reason", "has_date", "words", "improve_section", "numbered", "footnote",
    "first_page", "position",
)

_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred"
    r"|half|third|quarter|dozen|majority|minority|most|all|none|few)\b", re.I)
_MONEY = re.compile(r"£|\b(?:million|budget|funding|spend|spent|invest(?:ed|ment)?)\b", re.I)
_REASON = re.compile(
    r"\b(?:because|due\s+to|as\s+a\s+result|result(?:s|ed|ing)?\s+in|owing\s+to|so\s+that|in\s+order\s+to"
    r"|led\s+to|leads?\s+to|means?\s+that|this\s+means|caused?|since|therefore|consequently|reflect(?:s|ing)?"
    r"|driven\s+by|reason|impact(?:ed)?\s+(?:of|on)|which\s+(?:has|have)\s+(?:led|resulted|meant))\b", re.I)
_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|october"
                   r"|november|december)\b", re.I)
_IMPROVE_HEADING = re.compile(r"improve|recommendation|areas? for (?:development|priority action)", re.I)
WORDS_CAP = 80


@dataclass
class SentenceFacts:
    facts: np.ndarray  # float32 (sentences, len(FACTS))
    terms: sparse.csr_matrix  # (sentences, vocabulary) of 0/1
    heading_row: np.ndarray  # int32 per sentence: row in heading_terms, -1 for none
    heading_terms: sparse.csr_matrix  # (headings, vocabulary) of 0/1


def compute(documents: list[Document], sentences: list[Sentence], vocabulary: dict[str, int]) -> SentenceFacts:
    n = len(sentences)
    facts = np.zeros((n, len(FACTS)), dtype=np.float32)
    col = {name: i for i, name in enumerate(FACTS)}
    rows, cols = [], []
    heading_rows, heading_cols = [], []
    heading_row = np.full(n, -1, dtype=np.int32)
    heading_index: dict[tuple[int, int], int] = {}
    doc_first = {}
    for i, s in enumerate(sentences):
        doc_first.setdefault(s.doc_index, i)
    doc_count: dict[int, int] = {}
    for s in sentences:
        doc_count[s.doc_index] = doc_count.get(s.doc_index, 0) + 1
    section_of_doc: dict[int, np.ndarray] = {}
    for i, s in enumerate(sentences):
        doc = documents[s.doc_index]
        text = doc.text[s.start : s.end]
        facts[i, col["has_number"]] = bool(_NUMBER.search(text))
        facts[i, col["has_money"]] = bool(_MONEY.search(text))
        facts[i, col["has_reason"]] = bool(_REASON.search(text))
        facts[i, col["has_date"]] = bool(_DATE.search(text))
        facts[i, col["words"]] = min(len(text.split()), WORDS_CAP) / WORDS_CAP
        block = doc.blocks[s.block_index]
        facts[i, col["numbered"]] = block.number is not None and block.kind == "body"
        facts[i, col["footnote"]] = block.kind == "footnote"
        second_page = doc.page_starts[1] if len(doc.page_starts) > 1 else len(doc.text)
        facts[i, col["first_page"]] = s.start < second_page
        facts[i, col["position"]] = (i - doc_first[s.doc_index]) / max(1, doc_count[s.doc_index])
        for t in set(tokenize(text)):
            if t in vocabulary:
                rows.append(i)
                cols.append(vocabulary[t])
        if s.doc_index not in section_of_doc:
            section_of_doc[s.doc_index] = _section_headings(doc)
        h = int(section_of_doc[s.doc_index][s.block_index])
        if h >= 0:
            key = (s.doc_index, h)
            if key not in heading_index:
                heading_index[key] = len(heading_index)
                hb = doc.blocks[h]
                for t in set(tokenize(doc.text[hb.start : hb.end])):
                    if t in vocabulary:
                        heading_rows.append(heading_index[key])
                        heading_cols.append(vocabulary[t])
            heading_row[i] = heading_index[key]
            hb = doc.blocks[h]
            facts[i, col["improve_section"]] = bool(_IMPROVE_HEADING.search(doc.text[hb.start : hb.end]))
    width = max(vocabulary.values(), default=-1) + 1
    terms = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, width))
    heading_terms = sparse.csr_matrix(
        (np.ones(len(heading_rows), dtype=np.float32), (heading_rows, heading_cols)),
        shape=(len(heading_index), width))
    return SentenceFacts(facts, terms, heading_row, heading_terms)


def _section_headings(doc: Document) -> np.ndarray:
    """Per block of a document, the block of the heading its section is under (-1: none)."""
    out = np.full(len(doc.blocks), -1, dtype=np.int64)
    current = -1
    for i, b in enumerate(doc.blocks):
        out[i] = current
        if b.kind in ("heading", "title"):
            current = i
    return out
