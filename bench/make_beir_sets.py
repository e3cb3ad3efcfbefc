"""Make BEIR-format test collections from local material, to measure a retriever.

    .venv/bin/python bench/make_beir_sets.py [--out bench/beir] [--shared ../shared/corpus]

Relative paths are taken from the repository root. Writes three folders under --out, each with
corpus.jsonl, queries.jsonl and qrels/test.tsv, and prints one summary line per set:

- seeds-paragraphs imitates SQuAD as BEIR uses it: a question against single paragraphs. Corpus:
  every body paragraph (>= 8 words) of the documents under seeds/; queries: the answerable hand-written
  questions (tests/data/seed_questions.jsonl, eval/seed_holdout.jsonl, tests/data/report_questions.jsonl);
  relevant: the paragraphs the expected quote overlaps. Measures finding the exact passage.
- seeds-sections imitates SciFact: the same questions against longer titled documents (runs of body
  paragraphs under one heading, up to about 250 words, titled "<document title> — <heading>"). Measures
  whether headings and longer texts help or hurt.
- ofsted-cloze imitates the inverse cloze task (Lee et al., 2019): a sentence taken out of a paragraph is
  the query and the rest of the paragraph the one relevant document, over 80 reports from the shared
  collection that the seeds do not hold. Fully automatic, so it is large and has no author's bias, but
  its queries are statements, not questions.

Deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluate.judgments import locate_quote, read_queries  # noqa: E402
from qa.ingest.gazetteer import Gazetteer, load_gazetteer  # noqa: E402
from qa.ingest.load import discover, load_document  # noqa: E402
from qa.ingest.manifest import MANIFEST_NAME, find_row, read_manifest  # noqa: E402
from qa.ingest.segment import split_sentences  # noqa: E402
from qa.records import Document  # noqa: E402

QUESTION_FILES = ("tests/data/seed_questions.jsonl", "eval/seed_holdout.jsonl", "tests/data/report_questions.jsonl")
PARAGRAPH_MIN_WORDS = 8
SECTION_MAX_WORDS = 250
CLOZE_SEED = 13
CLOZE_REPORTS = 80
CLOZE_QUERIES = 400
CLOZE_PER_REPORT = 5
CLOZE_PARAGRAPH_MIN_WORDS = 40
CLOZE_SENTENCE_MIN_WORDS = 8


@dataclass(frozen=True)
class Unit:
    """One corpus document: a span of a loaded Document."""

    id: str
    title: str
    text: str
    doc: Document
    start: int
    end: int


@dataclass
class BeirSet:
    corpus: list[Unit]
    queries: dict[str, str]  # id -> text, in writing order
    qrels: list[tuple[str, str]]  # (query id, corpus id)
    notes: list[str]


def words(text: str) -> int:
    return len(text.split())


def normalise(text: str) -> str:
    return " ".join(text.split())


# -- loading ------------------------------------------------------------------------------------------------


def load_folder(root: Path, gazetteer: Gazetteer, only: set[Path] | None = None) -> tuple[list[Document], list[str]]:
    """Documents under `root` (or the files in `only`), with metadata from any manifest.csv in it,
    as qa.build loads them; files that fail to load are skipped and named in the second list."""
    rows: dict[str, dict[str, str]] = {}
    files = []
    for p in discover(root):
        if p.name == MANIFEST_NAME:  # its paths are relative to its own folder
            prefix = p.parent.relative_to(root).as_posix()
            rows.update({k if prefix == "." else f"{prefix}/{k}": v for k, v in read_manifest(p).items()})
        elif only is None or p in only:
            files.append(p)
    documents, failed = [], []
    for p in files:
        rel = p.relative_to(root).as_posix()
        try:
            doc, _ = load_document(p, root, gazetteer=gazetteer, manifest_row=find_row(rows, rel))
        except Exception as e:  # UnsupportedDocument, or a PDF the parser cannot read
            failed.append(f"{rel} ({type(e).__name__}: {str(e).removeprefix(f'{rel}: ')[:120]})")
            continue
        documents.append(doc)
    return documents, failed


# -- seeds: paragraphs and sections ---------------------------------------------------------------------------


def paragraphs_of(doc: Document, min_words: int) -> list[Unit]:
    out = []
    for b in doc.blocks:
        text = normalise(doc.text[b.start : b.end])
        if b.kind == "body" and words(text) >= min_words:
            out.append(Unit(f"{doc.doc_id}#{b.start}", doc.title, text, doc, b.start, b.end))
    return out


def sections_of(doc: Document) -> list[Unit]:
    """Runs of body blocks between headings (boilerplate is left out, not a boundary), cut at block
    boundaries before passing SECTION_MAX_WORDS; a longer single block is a section of its own."""
    out: list[Unit] = []
    heading = ""
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        if run:
            title = f"{doc.title} — {heading}" if heading else doc.title
            text = "\n".join(t for _, _, t in run)
            out.append(Unit(f"{doc.doc_id}#s{run[0][0]}", title, text, doc, run[0][0], run[-1][1]))
            run.clear()

    for b in doc.blocks:
        text = normalise(doc.text[b.start : b.end])
        if b.kind in ("heading", "title"):
            flush()
            heading = text if b.kind == "heading" and text != normalise(doc.title) else ""
        elif b.kind == "body":
            if run and sum(words(t) for _, _, t in run) + words(text) > SECTION_MAX_WORDS:
                flush()
            run.append((b.start, b.end, text))
    flush()
    return out


def question_set(documents: list[Document], corpus: list[Unit]) -> BeirSet:
    """The answerable seed questions; relevant = corpus units overlapping the expected quote."""
    by_name: dict[str, Document] = {}
    for d in documents:
        by_name[d.doc_id] = d
        by_name[d.source] = d
        by_name[re.sub(r"\.[^./]+$", "", d.source)] = d
    units_of: dict[str, list[Unit]] = {}
    for u in corpus:
        units_of.setdefault(u.doc.doc_id, []).append(u)
    queries: dict[str, str] = {}
    qrels: list[tuple[str, str]] = []
    skipped: list[str] = []
    for name in QUESTION_FILES:
        path = ROOT / name
        for item in read_queries(path):
            evidence = item.expected[0] if item.expected else None
            if not item.answerable or evidence is None or not evidence.quote:
                continue
            qid = f"{path.stem}:{item.id}"
            doc = by_name.get(evidence.doc)
            if doc is None:
                skipped.append(f"{qid} (document {evidence.doc!r} not loaded)")
                continue
            span = locate_quote(doc.text, evidence.quote)
            if span is None:
                skipped.append(f"{qid} (quote not found in {doc.doc_id})")
                continue
            relevant = [u.id for u in units_of.get(doc.doc_id, []) if u.start < span[1] and span[0] < u.end]
            if not relevant:
                skipped.append(f"{qid} (quote is in no corpus unit)")
                continue
            queries[qid] = item.question
            qrels += [(qid, cid) for cid in relevant]
    notes = [f"skipped {len(skipped)} question(s)" + (": " + "; ".join(skipped) if skipped else "")]
    return BeirSet(corpus, queries, qrels, notes)


# -- ofsted: inverse cloze -----------------------------------------------------------------------------------


def cloze_set(ofsted: Path, seeds_reports: Path, gazetteer: Gazetteer) -> BeirSet:
    rng = random.Random(CLOZE_SEED)
    seed_names = {p.name for p in seeds_reports.rglob("*.pdf")}
    candidates = [p for p in discover(ofsted) if p.suffix.lower() == ".pdf" and p.name not in seed_names]
    chosen = set(rng.sample(candidates, CLOZE_REPORTS))
    documents, failed = load_folder(ofsted, gazetteer, only=chosen)
    corpus = [u for d in documents for u in paragraphs_of(d, CLOZE_PARAGRAPH_MIN_WORDS)]

    eligible: list[tuple[Unit, tuple[int, int]]] = []
    for u in corpus:
        sentences = split_sentences(u.doc.text, u.start, u.end)
        inner = [
            (abs(i - len(sentences) // 2), i)
            for i in range(1, len(sentences) - 1)
            if words(u.doc.text[slice(*sentences[i])]) >= CLOZE_SENTENCE_MIN_WORDS
        ]
        if len(sentences) >= 3 and inner:
            eligible.append((u, sentences[min(inner)[1]]))  # the qualifying sentence nearest the middle
    rng.shuffle(eligible)

    texts = [u.text for u in corpus]
    per_report: Counter[str] = Counter()
    replaced: dict[str, str] = {}
    queries: dict[str, str] = {}
    qrels: list[tuple[str, str]] = []
    duplicates = 0
    for u, (s, e) in eligible:
        if len(queries) == CLOZE_QUERIES:
            break
        if per_report[u.doc.doc_id] == CLOZE_PER_REPORT:
            continue
        sentence = normalise(u.doc.text[s:e])
        rest = normalise(u.doc.text[u.start : s] + " " + u.doc.text[e : u.end])
        if sentence in rest or sum(sentence in t for t in texts) > 1:
            duplicates += 1  # stock text: the query would have more than one answer
            continue
        per_report[u.doc.doc_id] += 1
        replaced[u.id] = rest
        qid = f"icl-{len(queries) + 1:03d}"
        queries[qid] = sentence
        qrels.append((qid, u.id))
    corpus = [Unit(u.id, u.title, replaced.get(u.id, u.text), u.doc, u.start, u.end) for u in corpus]
    notes = [
        f"{len(documents)} of {len(chosen)} reports loaded ({len(candidates)} candidates)",
        f"{len(eligible)} eligible paragraphs, {duplicates} skipped as repeated text, "
        f"{len(per_report)} reports give queries",
    ] + [f"failed: {f}" for f in failed]
    return BeirSet(corpus, queries, qrels, notes)


# -- output ---------------------------------------------------------------------------------------------------


def write_set(folder: Path, beir: BeirSet) -> str:
    ids = [u.id for u in beir.corpus]
    assert len(set(ids)) == len(ids), "corpus ids must be unique"
    assert all(q in beir.queries and c in set(ids) for q, c in beir.qrels)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for u in beir.corpus:
            f.write(json.dumps({"_id": u.id, "title": u.title, "text": u.text}, ensure_ascii=False) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for qid, text in beir.queries.items():
            f.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    with open(folder / "qrels" / "test.tsv", "w", encoding="utf-8", newline="\n") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        f.writelines(f"{q}\t{c}\t1\n" for q, c in beir.qrels)
    average = sum(words(u.text) for u in beir.corpus) / max(len(beir.corpus), 1)
    return (
        f"{folder.name}: {len(beir.corpus)} docs, {len(beir.queries)} queries, {len(beir.qrels)} qrels, "
        f"{average:.1f} words/doc"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench/beir", help="output folder (default bench/beir)")
    parser.add_argument("--shared", default="../shared/corpus", help="shared collection (default ../shared/corpus)")
    args = parser.parse_args(argv)
    out, shared = ROOT / args.out, ROOT / args.shared  # an absolute path stays as given

    gazetteer = load_gazetteer()
    seed_docs, failed = load_folder(ROOT / "seeds", gazetteer)
    if failed:
        print("seeds not loaded: " + "; ".join(failed), file=sys.stderr)
    paragraphs = question_set(seed_docs, [u for d in seed_docs for u in paragraphs_of(d, PARAGRAPH_MIN_WORDS)])
    sections = question_set(seed_docs, [u for d in seed_docs for u in sections_of(d)])
    cloze = cloze_set(shared / "ofsted", ROOT / "seeds" / "reports", gazetteer)
    for name, beir in (("seeds-paragraphs", paragraphs), ("seeds-sections", sections), ("ofsted-cloze", cloze)):
        print(write_set(out / name, beir))
        for note in beir.notes:
            print(f"    {note}")


if __name__ == "__main__":
    main()
