"""Where one query's time goes: seconds per stage, for the caller that asks.

The retriever marks its stages (`with stage("encode"): ...`: encoding the
question, lexical search, vector search, ranking, choosing the quotes). A
caller that wants the figures wraps its call in `with record() as seconds:`
and reads `seconds` afterwards (`qa bench` does, per question). The record
lives in a context variable, so it belongs to that call alone: the app's
sessions share one retriever, each on its own thread, and none sees another's
stages. With no record open, a stage costs one context-variable read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[dict[str, float] | None] = ContextVar("qa_stage_seconds", default=None)


@contextmanager
def record() -> Iterator[dict[str, float]]:
    """Collect the seconds of every stage run inside the block, summed per stage."""
    seconds: dict[str, float] = {}
    token = _current.set(seconds)
    try:
        yield seconds
    finally:
        _current.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time this block as `name` for the record open in this context, if any."""
    seconds = _current.get()
    if seconds is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
