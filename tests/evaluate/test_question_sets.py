"""The staff question sets keep their split (eval/ofsted/README.md): every
answerable question of a part is answered from a report of an authority of
that part, so nothing tuned on dev or trained on is about a test authority."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.ingest.gazetteer import load_gazetteer

SETS = Path(__file__).resolve().parents[2] / "eval" / "ofsted"
PARTS = ("train", "dev", "test")


def _questions(part: str) -> list[dict]:
    return [json.loads(line) for line in (SETS / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


@pytest.mark.parametrize("part", PARTS)
def test_each_answer_is_in_a_report_of_an_authority_of_its_part(part):
    split = json.loads((SETS / "split.json").read_text(encoding="utf-8"))["parts"]
    gazetteer = load_gazetteer()
    wrong = []
    for q in _questions(part):
        for e in q.get("expected", []):
            # A report's folder is "<urn>_<authority>": "80432_bolton/children's services inspection - ..."
            authority = gazetteer.resolve(e["doc"].split("/")[0].split("_", 1)[1])
            if split.get(authority) != part or q.get("authority") and gazetteer.resolve(q["authority"]) != authority:
                wrong.append((q["id"], authority, split.get(authority)))
    assert not wrong, f"{len(wrong)} {part} questions are answered from another part's reports: {wrong[:5]}"


def test_no_question_is_asked_twice():
    asked = [q["question"].strip().lower() for part in PARTS for q in _questions(part)]
    assert len(asked) == len(set(asked))
