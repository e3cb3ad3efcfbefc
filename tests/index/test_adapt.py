"""Mining the adapted encoder's training examples (qa/index/adapt.py): the
positive is inside the judged answer, the hard negative outside it, and the
same material always gives the same examples."""

from __future__ import annotations

from qa.evaluate.judgments import Evidence, QuestionItem
from qa.index.adapt import AdaptSettings, material_hash, mine_examples

REPORT = (
    "Social workers visit children regularly. "
    "Children who go missing from home are offered return home interviews. "
    "Return home interviews are not always timely, so risks are missed. "
    "Leaders know their services well. "
    "Missing episodes are tracked by the exploitation team. "
    "Foster carers are well supported."
)


def _spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for piece in text.split(". "):
        end = start + len(piece) + (1 if not piece.endswith(".") else 0)
        spans.append((start, min(end, len(text))))
        start = end + 1
    return spans


def _items() -> list[QuestionItem]:
    return [
        QuestionItem("q1", "Are runaway children interviewed when they come back home?",
                     (Evidence("report-a", "Return home interviews are not always timely, so risks are missed."),)),
        QuestionItem("q2", "Do foster carers get support?",
                     (Evidence("report-a", "Foster carers are well supported."),)),
        QuestionItem("q3", "A question about a report that is not there",
                     (Evidence("report-b", "Anything."),)),
        QuestionItem("q4", "Unanswerable", (), answerable=False),
    ]


def test_examples_take_the_positive_inside_the_answer_and_the_negative_outside(fake_embedder):
    documents = {"report-a": (REPORT, _spans(REPORT))}
    settings = AdaptSettings(negatives_from=0, negatives_to=2)
    examples = mine_examples(_items(), documents, fake_embedder, settings=settings, log=lambda m: None)
    assert [e.question for e in examples] == [
        "Are runaway children interviewed when they come back home?", "Do foster carers get support?"]
    assert examples[0].positive == "Return home interviews are not always timely, so risks are missed."
    assert examples[1].positive == "Foster carers are well supported."
    for e in examples:
        assert e.negative in REPORT and e.negative != e.positive
        assert e.negative.strip() not in e.positive
    # The hard negative is one the base model puts near the question: for q1
    # a sentence about going missing or return interviews, not about leaders.
    assert "Leaders" not in examples[0].negative
    again = mine_examples(_items(), documents, fake_embedder, settings=settings, log=lambda m: None)
    assert material_hash(again, settings, "base") == material_hash(examples, settings, "base")
