"""Are reports' grades answered from the reports themselves?

    python -m qa.evaluate.record_check --index /tmp/full --docs ../shared/corpus/ofsted

1. For every report with an overall grade, asks "What overall grade did
   Ofsted give <authority> children's services in the report published in
   <month year>?" and counts the answers whose overall judgement is that
   report's, with its grade, quoted from it.
2. Asks "Which local authorities were judged inadequate overall?" and
   compares the authorities named with those the manifest says were.

The truth is the manifest's grade (manifest.csv beside the reports), an
independent transcription; reports the manifest does not grade (most from
before 2018) are counted apart, against the grade their own first page states.

    python -m qa.evaluate.record_check --index /tmp/full --questions eval/records/dev.jsonl

scores questions written as staff ask them (eval/records/README.md) instead:
the view chosen and the authorities, reports and grades in its rows.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from qa.ingest.manifest import MANIFEST_NAME, find_row, metadata_from_row, read_manifest
from qa.ingest.report_record import normalise_grade

INADEQUATE_QUESTION = "Which local authorities were judged inadequate overall?"
EXPECTED_VIEW = {"grade_list": "table", "changes": "timeline", "timeline": "timeline", "comparison": "comparison",
                 "report_card": "report_card", "passages": "quotes"}


def judged_right(item: dict, answer) -> bool:
    """Whether an answer gives what a question item of eval/records expects."""
    intent, expect = item["intent"], item["expect"]
    if answer.view != EXPECTED_VIEW[intent]:
        return not expect.get("authorities") and not answer.answered and intent in ("grade_list", "changes")
    judgements = [r for r in answer.records if r.row == "judgement"]
    if intent == "grade_list":
        return (sorted({r.authority for r in judgements}) == sorted(expect["authorities"])
                and all(r.area == expect["area"] and r.finding == expect["grade"] for r in judgements))
    if intent == "changes":
        return sorted({r.authority for r in judgements if r.change == expect["direction"]}) == sorted(
            expect["authorities"])
    if intent == "timeline":
        return [[r.report_date, r.finding] for r in judgements if r.area == expect["area"]] == expect["rows"]
    if intent == "comparison":
        return {r.authority: r.finding for r in judgements if r.area == expect["area"]} == expect["grades"]
    if intent == "report_card":
        overall = next((r for r in judgements if r.area == "overall_effectiveness"), None)
        return ({r.report_date for r in answer.records} == {expect["report_date"]}
                and (overall.finding if overall else None) == expect["overall"])
    return True  # passages: the view is what is judged


def score_questions(retriever, path: Path, show: int) -> None:
    import json
    from collections import defaultdict

    from qa.answer.verdict import ask

    by_intent: dict[str, list[bool]] = defaultdict(list)
    failures = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        answer = ask(retriever, item["question"])
        right = judged_right(item, answer)
        by_intent[item["intent"]].append(right)
        if not right:
            got = sorted({(r.authority, r.report_date, r.area, r.finding, r.change) for r in answer.records})[:6]
            failures.append(f"- {item['id']} {item['question']!r} ({item['intent']}): got view {answer.view} {got}")
    every = [m for marks in by_intent.values() for m in marks]
    print(f"{path}: {sum(every)}/{len(every)} right ({sum(every) / max(1, len(every)):.1%})")
    for intent, marks in sorted(by_intent.items()):
        print(f"  {intent:12} {sum(marks)}/{len(marks)}")
    for line in failures[:show]:
        print(line)


def grade_question(authority: str, published: str) -> str:
    d = date.fromisoformat(published)
    return (f"What overall grade did Ofsted give {authority} children's services in the report published in "
            f"{d:%B %Y}?")


def main(argv: list[str] | None = None) -> int:
    from qa.answer.verdict import ask
    from qa.index.embed import embedder_for_index
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--docs", type=Path, help="the reports' folder, with its manifest.csv")
    parser.add_argument("--questions", type=Path, action="append", help="score these question files instead")
    parser.add_argument("--show", type=int, default=15, help="failures listed (default 15)")
    args = parser.parse_args(argv)
    index = load_index(args.index)
    retriever = Retriever(index, embedder_for_index(index.manifest))
    if args.questions:
        for path in args.questions:
            score_questions(retriever, path, args.show)
        return 0
    if args.docs is None:
        parser.error("give --docs (the reports' folder) or --questions")
    manifest = read_manifest(args.docs / MANIFEST_NAME)

    results: dict[str, list[bool]] = {"manifest": [], "report": []}
    failures: list[str] = []
    truth_inadequate: set[str] = set()
    for i, record in index.report_records.items():
        doc = index.documents[i]
        row = find_row(manifest, doc.source)
        meta = metadata_from_row(row) if row else {}
        listed = normalise_grade(meta.get("overall_effectiveness"))
        own = record.overall()
        truth, basis = (listed, "manifest") if listed else ((own.grade, "report") if own else (None, ""))
        if truth == "inadequate" and doc.places:
            truth_inadequate.add(doc.places[0])
        if truth is None or not doc.places or not record.published:
            continue
        name = meta.get("local_authority") or doc.places[0]
        question = grade_question(name, record.published)
        answer = ask(retriever, question)
        overall = [r for r in answer.records if r.row == "judgement" and r.area == "overall_effectiveness"]
        right = bool(overall) and overall[0].report_id == doc.doc_id and overall[0].finding == truth and (
            overall[0].quote is not None)
        results[basis].append(right)
        if not right:
            got = f"{overall[0].report_id} {overall[0].finding}" if overall else f"view {answer.view}"
            failures.append(f"- {question}\n  expected {doc.doc_id} {truth} ({basis}); got {got}")
    for basis, marks in results.items():
        if marks:
            print(f"overall grade answered from its report, truth from the {basis}: "
                  f"{sum(marks)}/{len(marks)} ({sum(marks) / len(marks):.1%})")
    for line in failures[: args.show]:
        print(line)

    answer = ask(retriever, INADEQUATE_QUESTION)
    named = {r.authority for r in answer.records}
    print(f"\n{INADEQUATE_QUESTION}\n  named {len(named)}, judged inadequate in some report {len(truth_inadequate)}; "
          f"missing: {sorted(truth_inadequate - named) or 'none'}; "
          f"not inadequate: {sorted(named - truth_inadequate) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
