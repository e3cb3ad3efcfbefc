"""Question files: JSONL (one object per line) or YAML (hand-written suites).

A question's judgments name a document and, optionally, the evidence inside
it as a quote or a character span of the stored text; so they are keyed to
document and span and survive any change of chunking. Each judgment may
carry a graded relevance (default 1). A question marked `answerable: false`
has no answer in the collection: `ask` should abstain.

    - id: sup-1
      question: What did inspectors say about supervision in Rotherham?
      expected:
        - doc: 004_881785a2dd4e6661          # doc_id, or the source path (with or without extension)
          quote: "managers are beginning to deliver more regular supervision"
          relevance: 2
        - doc: 004_881785a2dd4e6661
          start: 1200                          # or a span instead of a quote
          end: 1350
    - id: none-1
      question: Who won the 1966 World Cup?
      answerable: false

The flat form of earlier files (`expected_doc`, `expected_quote`) and a list
of documents (`expected_docs`) are read too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InvalidQuestionFile


@dataclass(frozen=True, slots=True)
class Evidence:
    """One judgment: this document (and this part of it) answers the question."""

    doc: str
    quote: str | None = None
    start: int | None = None
    end: int | None = None
    relevance: int = 1

    @property
    def has_span(self) -> bool:
        return self.quote is not None or self.start is not None


@dataclass(frozen=True, slots=True)
class QuestionItem:
    id: str
    question: str
    expected: tuple[Evidence, ...] = ()
    answerable: bool = True
    # What sort of question it is ("everyday", "time", "quantity", ...; for an
    # unanswerable one, why it cannot be answered): results are also given per kind.
    kind: str = ""


def read_queries(path: Path) -> list[QuestionItem]:
    """Questions (with their judgments, if any) from a .jsonl, .yaml or .yml file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidQuestionFile(f"Cannot read {path}: {e.strerror}.") from None
    except UnicodeDecodeError:
        raise InvalidQuestionFile(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    rows = _yaml_rows(path, raw) if path.suffix.lower() in (".yaml", ".yml") else _jsonl_rows(path, raw)
    items = [_item(row, where, n) for n, (where, row) in enumerate(rows, 1)]
    if not items:
        raise InvalidQuestionFile(f"{path} has no questions.")
    ids = [it.id for it in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidQuestionFile(f"{path}: question ids must be unique; repeated: {', '.join(duplicates[:5])}.")
    return items


def _jsonl_rows(path: Path, raw: str) -> list[tuple[str, object]]:
    rows = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((f"{path}, line {n}", json.loads(line)))
        except ValueError as e:
            raise InvalidQuestionFile(f"{path}, line {n}: not valid JSON ({e}).") from None
    return rows


def _yaml_rows(path: Path, raw: str) -> list[tuple[str, object]]:
    import yaml

    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise InvalidQuestionFile(f"{path}: not valid YAML ({e}).") from None
    if isinstance(data, dict) and "questions" in data:
        data = data["questions"]
    if not isinstance(data, list):
        raise InvalidQuestionFile(f"{path}: expected a list of questions (or a `questions:` list).")
    return [(f"{path}, question {n}", row) for n, row in enumerate(data, 1)]


def _item(row: object, where: str, n: int) -> QuestionItem:
    if not isinstance(row, dict):
        raise InvalidQuestionFile(f"{where}: expected an object with a question.")
    question = row.get("question", row.get("query"))
    if not isinstance(question, str):
        raise InvalidQuestionFile(f'{where}: needs a "question" (or "query") string.')
    answerable = row.get("answerable", True) is not False
    expected = _evidence(row, where)
    if not answerable and expected:
        raise InvalidQuestionFile(f"{where}: a question marked answerable: false cannot list expected evidence.")
    kind = row.get("kind") if answerable else row.get("why", row.get("kind"))
    return QuestionItem(
        id=str(row.get("id", n)), question=question, expected=expected, answerable=answerable,
        kind=str(kind) if kind else "",
    )


def _evidence(row: dict, where: str) -> tuple[Evidence, ...]:
    entries: list[object] = []
    if "expected" in row:
        entries = row["expected"] if isinstance(row["expected"], list) else [row["expected"]]
    if row.get("expected_doc"):
        entries.append({"doc": row["expected_doc"], "quote": row.get("expected_quote"),
                        "relevance": row.get("relevance", 1)})
    entries += [{"doc": d} for d in row.get("expected_docs") or []]
    out = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"doc": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("doc"), str):
            raise InvalidQuestionFile(f'{where}: each expected entry needs a "doc" (its doc_id or source path).')
        start, end, relevance = entry.get("start"), entry.get("end"), entry.get("relevance", 1)
        if (start is None) != (end is None) or not all(isinstance(x, int) for x in (start, end) if x is not None):
            raise InvalidQuestionFile(f"{where}: a span needs both start and end, as character offsets.")
        if start is not None and not 0 <= start < end:
            raise InvalidQuestionFile(f"{where}: span start must be at least 0 and before its end.")
        if not isinstance(relevance, int) or isinstance(relevance, bool) or relevance < 0:
            raise InvalidQuestionFile(f"{where}: relevance must be a whole number, 0 or more (graded: 1, 2, 3).")
        quote = entry.get("quote")
        if quote is not None and not (isinstance(quote, str) and quote.strip()):
            raise InvalidQuestionFile(f"{where}: an expected quote must be non-empty text.")
        out.append(Evidence(entry["doc"], quote, start, end, relevance))
    return tuple(out)


def quote_occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Every span of `quote` in `text`, tolerant of white-space differences."""
    words = quote.split()
    if not words:
        return []
    return [m.span() for m in re.finditer(r"\s+".join(re.escape(w) for w in words), text)]


def locate_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Span of `quote` in `text`, tolerant of white-space differences."""
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    words = quote.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None
