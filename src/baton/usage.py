"""Token metering: what each model call cost, charged to the node turn that made it.

The guard opens a ``Meter`` around every node turn (``metered()``); engines call ``charge()``
with each reply's usage metadata. A meter is a context variable, so concurrent runs in
threads never mix their counts. ``touch()`` marks activity for the idle timeout.

Units: tokens (prompt + completion, as the endpoint reports them); times from
``time.monotonic()`` in seconds.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


class Meter:
    """Tokens and calls of one node turn, and when the engine was last heard from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tokens = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.calls = 0
        self.active = False  # True once the engine called a model in this turn
        self.last_activity = time.monotonic()

    def charge(self, usage: Mapping[str, Any] | int | None) -> int:
        """Add one call's usage (an int, or a LangChain ``usage_metadata`` dict with
        ``total_tokens`` / ``input_tokens`` / ``output_tokens``). Returns the tokens added."""
        if usage is None:
            n, i, o = 0, 0, 0
        elif isinstance(usage, int):
            n, i, o = usage, 0, 0
        else:
            i = int(usage.get("input_tokens") or 0)
            o = int(usage.get("output_tokens") or 0)
            n = int(usage.get("total_tokens") or (i + o))
        with self._lock:
            self.tokens += max(0, n)
            self.input_tokens += max(0, i)
            self.output_tokens += max(0, o)
            self.calls += 1
            self.active = True
            self.last_activity = time.monotonic()
        return n

    def touch(self) -> None:
        """Record that the engine did something (a call started or a reply arrived)."""
        self.active = True
        self.last_activity = time.monotonic()


_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("baton_meter", default=None)


def current() -> Meter | None:
    """The meter of the running node turn, or None outside one."""
    return _current.get()


def charge(usage: Mapping[str, Any] | int | None) -> int:
    """Charge ``usage`` to the running turn's meter (no-op outside a turn). Returns tokens."""
    meter = _current.get()
    return meter.charge(usage) if meter is not None else 0


def touch() -> None:
    """Mark engine activity on the running turn's meter (no-op outside a turn)."""
    meter = _current.get()
    if meter is not None:
        meter.touch()


@contextmanager
def metered(meter: Meter | None = None) -> Iterator[Meter]:
    """Make ``meter`` (default: a new one) the current meter inside the block."""
    meter = meter or Meter()
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
