"""Reading question files (JSONL): --queries for search/ask, --questions for eval."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidQuestionFile


@dataclass(frozen=True, slots=True)
class QuestionItem:
    id: str
    question: str
    expected_doc: str | None = None
    expected_quote: str | None = None
    answerable: bool = True


def read_queries(path: Path) -> list[QuestionItem]:
    """One JSON object per line with `id` and `question` (or `query`)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InvalidQuestionFile(f"Cannot read {path}: {e.strerror}.") from None
    except UnicodeDecodeError:
        raise InvalidQuestionFile(f"{path} is not UTF-8 text; save it as UTF-8 JSON lines.") from None
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise InvalidQuestionFile(f"{path}, line {n}: not valid JSON ({e.msg}).") from None
        if not isinstance(row, dict):
            raise InvalidQuestionFile(f"{path}, line {n}: expected a JSON object.")
        question = row.get("question", row.get("query"))
        if not isinstance(question, str):
            raise InvalidQuestionFile(f'{path}, line {n}: needs a "question" (or "query") string.')
        answerable = row.get("answerable", True) is not False
        items.append(
            QuestionItem(
                id=str(row.get("id", n)),
                question=question,
                expected_doc=row.get("expected_doc"),
                expected_quote=row.get("expected_quote"),
                answerable=answerable,
            )
        )
    if not items:
        raise InvalidQuestionFile(f"{path} has no questions.")
    return items


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
