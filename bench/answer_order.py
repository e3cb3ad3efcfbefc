"""Does `ask` put the right quote first? With and without its current-report-first order.

    python bench/answer_order.py on|off eval/ofsted/test.jsonl --index /tmp/work/full7

For each answerable question that `ask` answers: whether its first quote, and whether any of its quotes,
overlaps an expected passage. `off` keeps the ranking's order (qa/answer/verdict.py `_current_first` off).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the repo's qa/

import qa.answer.verdict as verdict  # noqa: E402
from qa.evaluate.judgments import locate_quote, read_queries  # noqa: E402
from qa.index.embed import embedder_for_index  # noqa: E402
from qa.index.store import load_index  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("mode", choices=("on", "off"))
parser.add_argument("questions", type=Path)
parser.add_argument("--index", type=Path, required=True)
args = parser.parse_args()
if args.mode == "off":
    verdict._current_first = lambda passages: passages
index = load_index(args.index)
retriever = Retriever(index, embedder_for_index(index.manifest))
texts = {d.doc_id: d.text for d in index.documents}


def hit(p, ev) -> bool:
    if ev.doc not in (p.doc_id, p.source, p.source.rsplit(".", 1)[0]):
        return False
    if ev.start is not None:
        start, end = ev.start, ev.end
    elif ev.quote:
        found = locate_quote(texts[p.doc_id], ev.quote)
        if not found:
            return False
        start, end = found
    else:
        return True
    return p.start < end and start < p.end


n = first = any_right = 0
for q in read_queries(args.questions):
    if not q.answerable:
        continue
    answer = verdict.ask(retriever, q.question)
    if not answer.answered or not answer.citations:
        continue
    n += 1
    hits = [any(hit(p, ev) for ev in q.expected) for p in answer.citations]
    first += hits[0]
    any_right += any(hits)
print(f"{args.mode} {args.questions}: answered {n}; first quote right {first / n:.3f}, "
      f"any quote right {any_right / n:.3f}")
