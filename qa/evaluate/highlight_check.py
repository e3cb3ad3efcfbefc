"""Does a quote's highlight cover exactly its words? Read back with another
PDF library.

The boxes come from PDFium (ingest/pdf_boxes.py); here pdfplumber (pdfminer,
an independent PDF parser) reads the characters whose centres fall inside
each box, line by line, and the letters and digits read must be the quote's.
Footnote markers are left out of stored text but sit inside the boxes, so
where the quote had markers, digits are left out on both sides.

    python -m qa.evaluate.highlight_check --index /tmp/full --docs ../shared/corpus/ofsted \\
        --questions eval/ofsted/test.jsonl [--questions ...]

prints the share of PDF quotes returned for the questions whose highlight
reads back as the quote. `--ask` checks the quotes of `ask`'s answers instead
(report cards and tables included: a judgement's line, an improvement point).
"""
from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from qa.records import PageHighlight

TOLERANCE = 0.5  # points: a character whose centre is this close to a box is inside it


def comparable(text: str) -> str:
    """Letters and digits only, lower case, ligatures split (NFKC)."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text).lower())


def read_back(pdf, highlight: Iterable[PageHighlight]) -> str:
    """The characters inside the boxes, box by box, left to right (pdf: an open pdfplumber PDF)."""
    out: list[str] = []
    for h in highlight:
        chars = pdf.pages[h.page - 1].chars
        for x0, y0, x1, y1 in h.rects:
            inside = [
                c for c in chars
                if x0 - TOLERANCE <= (c["x0"] + c["x1"]) / 2 <= x1 + TOLERANCE
                and y0 - TOLERANCE <= (c["top"] + c["bottom"]) / 2 <= y1 + TOLERANCE
            ]
            out += [c["text"] for c in sorted(inside, key=lambda c: c["x0"])]
    return "".join(out)


def reads_as_quote(read: str, quote: str, *, had_markers: bool) -> bool:
    a, b = comparable(read), comparable(quote)
    if had_markers:
        a, b = re.sub(r"\d", "", a), re.sub(r"\d", "", b)
    return a == b


def check_passages(passages, docs_dir: Path, document) -> tuple[int, list[tuple[str, str, str]]]:
    """(PDF quotes checked, failures as (source, quote, read back)); `document(doc_id)` gives the Document."""
    import pdfplumber

    checked, failures = 0, []
    by_source: dict[str, list] = {}
    for p in passages:
        if p.highlight is not None:
            by_source.setdefault(p.source, []).append(p)
    for source, group in sorted(by_source.items()):
        with pdfplumber.open(docs_dir / source) as pdf:
            for p in group:
                doc = document(p.doc_id)
                had_markers = any(p.start <= offset <= p.end for offset, _ in doc.markers)
                read = read_back(pdf, p.highlight)
                checked += 1
                if not reads_as_quote(read, p.quote, had_markers=had_markers):
                    failures.append((source, p.quote, read))
    return checked, failures


def main(argv: list[str] | None = None) -> int:
    from qa.answer.verdict import ask
    from qa.evaluate.judgments import read_queries
    from qa.index.embed import embedder_for_index
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--docs", type=Path, required=True, help="the folder the index was built from")
    parser.add_argument("--questions", type=Path, action="append", required=True)
    parser.add_argument("--top", type=int, default=5, help="quotes per question (default 5)")
    parser.add_argument("--ask", action="store_true", help="check the quotes of ask's answers, not search's")
    args = parser.parse_args(argv)
    index = load_index(args.index)
    retriever = Retriever(index, embedder_for_index(index.manifest))
    passages = []
    for path in args.questions:
        for q in read_queries(path):
            if args.ask:
                answer = ask(retriever, q.question)
                passages += [*answer.citations, *answer.closest]
            else:
                passages += retriever.search(q.question, k=args.top)
    unique = list({(p.doc_id, p.start, p.end): p for p in passages}.values())
    checked, failures = check_passages(unique, args.docs, retriever.index.document)
    share = 1 - len(failures) / checked if checked else 0.0
    print(f"{checked} PDF quotes, {checked - len(failures)} read back as the quote ({share:.2%})")
    for source, quote, read in failures[:20]:
        print(f"- {source}\n  quote: {quote[:160]}\n  read:  {read[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
