import pytest

from qa.answer.conversation import Conversation
from qa.ingest.gazetteer import load_gazetteer


@pytest.fixture
def chat():
    return Conversation(), load_gazetteer()


def test_follow_up_swaps_the_place_and_keeps_the_topic(chat):
    c, g = chat
    c.resolve("What did inspectors say about Rotherham supervision?", g)
    understood = c.resolve("And what about Sheffield?", g)
    assert "supervision" in understood and "Sheffield" in understood and "Rotherham" not in understood


def test_follow_up_keeps_the_place(chat):
    c, g = chat
    c.resolve("What did inspectors say about supervision in Rotherham?", g)
    assert c.resolve("What needs to improve there?", g) == "What needs to improve in Rotherham?"
    assert "Rotherham" in c.resolve("How are care leavers supported?", g)


def test_follow_up_keeps_or_replaces_the_year(chat):
    c, g = chat
    c.resolve("early help in Dorset in 2021", g)
    assert c.resolve("and what about Bedford?", g) == "early help in Bedford Borough in 2021"
    assert c.resolve("what about Leeds in 2025", g) == "early help in Leeds in 2025"


def test_a_new_full_question_is_left_alone(chat):
    c, g = chat
    c.resolve("supervision in Rotherham", g)
    assert c.resolve("Tell me about caseloads in Kent", g) == "Tell me about caseloads in Kent"
    assert c.resolve("What did inspectors say about Sheffield?", g) == "What did inspectors say about Sheffield?"


def test_first_question_without_context_is_unchanged(chat):
    c, g = chat
    assert c.resolve("And what about Sheffield?", g) == "And what about Sheffield?"
