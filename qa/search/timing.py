"""Where a query's time goes: seconds per stage, summed until reset.

The retriever marks its stages (encoding the question, lexical search,
vector search, choosing the quotes); `qa bench` reads the totals per query.
Two clock reads per stage: negligible next to the stages themselves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

    def reset(self) -> dict[str, float]:
        """The totals so far (and start again from zero)."""
        totals, self.seconds = self.seconds, {}
        return totals
