"""BEIR-format datasets: corpus.jsonl, queries.jsonl and qrels/<split>.tsv.

The corpus becomes Documents (title as the title block, each line of the
text a paragraph) so a BEIR collection is indexed and searched exactly like
the product's own documents; evaluation is then at document level.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InvalidQuestionFile
from qa.records import Block, Document


@dataclass
class BeirDataset:
    folder: Path
    queries: dict[str, str]  # query id -> text (only queries that have judgments)
    qrels: dict[str, dict[str, int]]  # query id -> corpus id -> grade

    @property
    def corpus_path(self) -> Path:
        return self.folder / "corpus.jsonl"


def read_beir(folder: Path, *, split: str = "test") -> BeirDataset:
    """Queries and judgments of a BEIR folder (the corpus is read when indexing)."""
    folder = Path(folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for need in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_path):
        if not need.is_file():
            raise InvalidQuestionFile(
                f"{need} is missing: a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/{split}.tsv."
            )
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not row or (n == 1 and not _is_int(row[-1])):  # header line
                continue
            if len(row) < 3 or not _is_int(row[-1]):
                raise InvalidQuestionFile(f"{qrels_path}, line {n}: expected query-id, corpus-id, score.")
            qid, doc_id, grade = row[0], row[-2], int(row[-1])
            qrels.setdefault(qid, {})[doc_id] = grade
    queries = {}
    for n, row in _jsonl(folder / "queries.jsonl"):
        qid = str(row.get("_id", ""))
        if qid in qrels:
            if not isinstance(row.get("text"), str):
                raise InvalidQuestionFile(f"{folder / 'queries.jsonl'}, line {n}: needs _id and text.")
            queries[qid] = row["text"]
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise InvalidQuestionFile(f"{qrels_path} judges queries not in queries.jsonl: {', '.join(missing[:5])}.")
    return BeirDataset(folder, queries, qrels)


def corpus_documents(path: Path) -> tuple[list[Document], list[tuple[str, str]]]:
    """Every corpus entry as a Document, and (id, reason) for entries skipped."""
    documents, skipped, seen = [], [], set()
    for n, row in _jsonl(path):
        doc_id = str(row.get("_id", ""))
        title = " ".join(str(row.get("title") or "").split())
        body = str(row.get("text") or "")
        if not doc_id:
            skipped.append((f"line {n}", "no _id"))
            continue
        if doc_id in seen:
            skipped.append((doc_id, "repeated _id; the first is indexed"))
            continue
        seen.add(doc_id)
        paragraphs = [" ".join(line.split()) for line in body.splitlines() if line.strip()] or [title]
        if not any(paragraphs):
            skipped.append((doc_id, "no title and no text"))
            continue
        text, blocks = "", []
        if title and paragraphs != [title]:
            blocks.append(Block(0, len(title), "title"))
            text = title + "\n\n"
        for p in paragraphs:
            blocks.append(Block(len(text), len(text) + len(p), "body"))
            text += p + "\n\n"
        text = text.rstrip("\n")
        documents.append(
            Document(
                doc_id=doc_id, source=doc_id, title=title or doc_id, text=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(), blocks=tuple(blocks),
            )
        )
    return documents, skipped


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise InvalidQuestionFile(f"{path}, line {n}: not valid JSON ({e}).") from None
            if not isinstance(row, dict):
                raise InvalidQuestionFile(f"{path}, line {n}: expected a JSON object.")
            yield n, row


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
