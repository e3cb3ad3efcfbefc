"""Follow-up questions without a language model.

A chat keeps what the last questions were about (their places, years and
topic). A follow-up that leaves one of them out inherits it:
"And what about Sheffield?" after a question on supervision in Rotherham
asks about supervision in Sheffield; "What needs to improve there?" keeps
the authority. A question that states its own scope ("Which councils ...",
"across England") inherits nothing. The rewritten question is shown to the
user, so the inheritance is never hidden.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingest.gazetteer import Gazetteer
from qa.search.query import parse_question

# Words that point back at a place already named.
_THERE = re.compile(
    r"\b(?:(?:in|at|for)\s+)?(?:there|that council|that authority|this council|this authority|the same council)\b",
    re.I,
)
# A question that sets its own scope across authorities: it inherits nothing.
_OWN_SCOPE = re.compile(
    r"\b(?:which|what|any|all|other|most|many|how\s+many)\s+(?:local\s+)?(?:councils|authorities|las)\b"
    r"|\b(?:councils|authorities|local\s+authorities)\b|\bacross\s+(?:england|the\s+country|all|councils|regions?)\b"
    r"|\b(?:in\s+england|nationally|national(?:ly)?\s+picture|in\s+general|generally|everywhere|the\s+country)\b"
    r"|\bin\s+the\s+(?:north|south|east|west|midlands|north\s+west|north\s+east|south\s+west|south\s+east)\b",
    re.I,
)
# Openings of a follow-up that swaps the place ("and what about Leeds?").
_SWAP = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b|^\s*and\s+(?:in|for)\b|^\s*(?:same|likewise)\s+for\b", re.I)


@dataclass
class Conversation:
    """The state of one chat: what the last question was about."""

    topic: str = ""  # the last question's subject, without places and years
    places: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def resolve(self, question: str, gazetteer: Gazetteer) -> str:
        """The question as understood in this conversation; remembers it."""
        query = parse_question(question, gazetteer)
        understood = query.text
        has_topic = query.has_subject
        if query.places and not has_topic and self.topic and _SWAP.search(query.text):
            # "And what about Sheffield?": the last topic, in the new place.
            understood = f"{self.topic} in {_names(query.places)}"
            years = query.years or self.years
            if years:
                understood += f" in {_years(years)}"
        elif not query.places and not has_topic and query.years and self.topic:
            # "And in 2019?": the last topic and place, at the new time.
            where = f" in {_names(self.places)}" if self.places else ""
            understood = f"{self.topic}{where} in {_years(query.years)}"
        elif not query.places and self.places and not _OWN_SCOPE.search(query.text):
            # "What needs to improve there?": keep the place. "Which councils were judged
            # inadequate?" states its own scope and keeps nothing.
            if _THERE.search(understood):
                understood = _THERE.sub(f"in {_names(self.places)}", understood, count=1)
            else:
                understood = f"{understood.rstrip('?. ')} in {_names(self.places)}?"
        final = parse_question(understood, gazetteer)
        self.places = final.places or self.places
        self.years = final.years
        if final.has_subject:
            self.topic = final.topic.rstrip("?. ")
        return understood


def _names(places: tuple[str, ...]) -> str:
    return " and ".join(places)


def _years(years: tuple[int, ...]) -> str:
    return " and ".join(str(y) for y in years)
