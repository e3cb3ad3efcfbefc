"""Everyday words to the reports' words, learned from the project's own questions.

Staff ask about "locum" social workers and "runaway" children; the reports
say "agency staff" and "children who go missing". The training questions
(eval/ofsted/train.jsonl, written from the training authorities' reports;
no dev or test report is among them) each come with the passage that
answers them, so the words a question's word goes with in its answers can
be counted: a stemmed question word q is expanded by an answer word a when
a is in the answers of at least `min_questions` questions with q, of at
least two authorities (so one report's names do not count), and a is
`min_lift` times likelier in those answers than in all answers. The best
`per_term` by count times log lift are kept, in qa/search/expansions.json,
written by `python -m qa learn-expansions` (a few seconds).

Retrieval adds the BM25 of a question's expansions, weighted, to each
chunk's own BM25 (RetrievalSettings.expansion_weight), in collections of
inspection reports only: the words were learned from them.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.index.lexical import tokenize
from qa.ingest.gazetteer import Gazetteer

from .query import parse_question

if TYPE_CHECKING:  # (evaluation builds on search, not the other way round)
    from qa.evaluate.judgments import QuestionItem

EXPANSIONS_FILE = Path(__file__).with_name("expansions.json")


@dataclass(frozen=True, slots=True)
class ExpansionSettings:
    min_questions: int = 3
    min_lift: float = 4.0
    per_term: int = 6
    min_authorities: int = 2


def learn(items: list[QuestionItem], gazetteer: Gazetteer,
          settings: ExpansionSettings = ExpansionSettings()) -> dict[str, list[str]]:
    """Stemmed question word -> the answer words it goes with, best first."""
    questions_with = Counter()  # question word -> questions
    answers_with = Counter()  # answer word -> questions whose answer has it
    together = Counter()  # (question word, answer word) -> questions
    authorities = defaultdict(set)
    n = 0
    for item in items:
        quotes = [e.quote for e in item.expected if e.quote]
        if not quotes:
            continue
        asked = set(tokenize(parse_question(item.question, gazetteer).keywords))
        answered = {t for q in quotes for t in tokenize(q)}
        # The authority is the report's folder ("80545_kingston upon thames/...").
        where = {e.doc.split("/")[0] for e in item.expected}
        n += 1
        answers_with.update(answered)
        questions_with.update(asked)
        for q in asked:
            for a in answered - asked:
                together[q, a] += 1
                authorities[q, a] |= where
    ranked = defaultdict(list)
    for (q, a), count in together.items():
        if count < settings.min_questions or len(authorities[q, a]) < settings.min_authorities:
            continue
        lift = (count / questions_with[q]) / (answers_with[a] / n)
        if lift >= settings.min_lift:
            ranked[q].append((count * math.log(lift), a))
    return {q: [a for _, a in sorted(pairs, key=lambda p: (-p[0], p[1]))[: settings.per_term]]
            for q, pairs in sorted(ranked.items())}


def save(table: dict[str, list[str]], *, about: dict, path: Path = EXPANSIONS_FILE) -> None:
    path.write_text(json.dumps({"about": about, "expansions": table}, ensure_ascii=False, indent=0) + "\n",
                    encoding="utf-8")


def load(path: Path = EXPANSIONS_FILE) -> dict[str, list[str]]:
    """The committed table ({} when there is none or it cannot be read: no expansion)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("expansions", {})
    except (OSError, ValueError, AttributeError):
        return {}


def expand(asked: list[str], table: dict[str, list[str]], vocabulary: dict[str, int]) -> list[str]:
    """The words the question's words go with, not asked already, known to the index."""
    return [t for t in dict.fromkeys(t for q in asked for t in table.get(q, ()))
            if t not in asked and t in vocabulary]
