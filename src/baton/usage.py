"""Token metering: what each model call cost, charged to the node turn that made it.

The guard opens a ``Meter`` around every node turn (``metered()``); engines call ``charge()``
with each reply's usage metadata. A meter is a context variable, so concurrent runs in
threads never mix their counts. ``touch()`` marks activity for the idle timeout.

Model calls are reported as they happen: ``call_started`` / ``call_ended`` pass an event to
the sink installed with ``reporting_calls`` (the worker writes them at once, so a slow turn
is visible while it runs). While a bounded call is in flight (``Meter.in_flight``) the idle
clock of the guard waits for the call's own timeout (a non-streaming reply sends no bytes
until it is complete), unless the server is probed for signs of life meanwhile
(``baton.engines.liveness``), which keeps the idle clock measuring the server's silence.

Money: ``cost`` is ``input_tokens * input_price + output_tokens * output_price`` per million
tokens, from the price table (``Policy.prices`` over the ``BATON_PRICES`` file,
``load_prices``); a model without a price costs 0.

Units: tokens (prompt + completion, as the endpoint reports them); times from
``time.monotonic()`` in seconds; money in the price table's currency.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from baton.errors import ConfigError

Prices = Mapping[str, tuple[float, float]]
"""Price per million tokens ``(input, output)`` by model name."""


def load_prices(path: str | Path | None) -> dict[str, tuple[float, float]]:
    """The price table in ``path`` (JSON ``{"model": [input, output], ...}``, per million
    tokens); ``{}`` for None. Raises ``ConfigError`` for a missing or malformed file."""
    if path is None:
        return {}
    try:
        raw = json.loads(Path(path).read_text())
        return {str(k): (float(v[0]), float(v[1])) for k, v in raw.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ConfigError(
            f"BATON_PRICES={path}: not a JSON object of model -> [input, output] prices ({exc})"
        ) from exc


def cost_of(model: str | None, input_tokens: int, output_tokens: int, prices: Prices) -> float:
    """Money for one call of ``model`` at ``prices`` (0.0 when it has no price)."""
    price = prices.get(model or "")
    if price is None:
        return 0.0
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000


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
        self.node = ""  # the node of the turn (set by the guard)
        self.hop = 0
        self.call_limit: int | None = None  # max output tokens of one call (the guard)
        self.budget_left: int | None = None  # task tokens left when the turn began (the guard)
        self.deadline: float | None = None  # monotonic time the turn is abandoned at
        self.idle_s: float | None = None  # the policy's idle_timeout_s (the guard)
        self.prices: Prices = {}  # the policy's price table (wins over the engine's)
        self.cost = 0.0
        self.in_flight = 0  # bounded model calls started and not ended
        self._bounded: dict[int, bool] = {}
        self.started_calls = 0
        self.estimated = 0  # tokens charged by an upper estimate (no usage reported)
        self.call_retries = 0  # retries a failed call may take inside the turn (the guard)
        self.retries_used = 0
        self.backoff_s = 0.0  # backoff base of those retries
        self.fallbacks: list[str] = []  # structured-output fallbacks taken ("a->b")

    def charge(
        self,
        usage: Mapping[str, Any] | int | None,
        *,
        model: str | None = None,
        prices: Prices | None = None,
        estimated: bool = False,
    ) -> int:
        """Add one call's usage (an int, or a LangChain ``usage_metadata`` dict with
        ``total_tokens`` / ``input_tokens`` / ``output_tokens``) and its cost (``model`` at
        ``self.prices``, else ``prices``). ``estimated``: the tokens are an upper estimate
        (the server reported none). Returns the tokens added."""
        if usage is None:
            n, i, o = 0, 0, 0
        elif isinstance(usage, int):
            n, i, o = usage, 0, 0
        else:
            i = int(usage.get("input_tokens") or 0)
            o = int(usage.get("output_tokens") or 0)
            n = int(usage.get("total_tokens") or (i + o))
        table = self.prices if model in self.prices else (prices or {})
        with self._lock:
            self.cost += cost_of(model, max(0, i), max(0, o), table)
            if estimated:
                self.estimated += max(0, n)
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


def charge(usage: Mapping[str, Any] | int | None, **kwargs: Any) -> int:
    """Charge ``usage`` to the running turn's meter (no-op outside a turn; ``kwargs`` as in
    ``Meter.charge``). Returns tokens."""
    meter = _current.get()
    return meter.charge(usage, **kwargs) if meter is not None else 0


CallSink = Callable[[dict[str, Any]], None]
"""Receives each model-call event: ``{"node", "hop", "kind": "model_call", "summary",
"payload": {"phase": "start" | "end", "call", ...}}`` (``RunStore.add_event`` keywords but
``step``)."""

_SINK: contextvars.ContextVar[CallSink | None] = contextvars.ContextVar(
    "baton_call_sink", default=None
)


@contextmanager
def reporting_calls(sink: CallSink | None) -> Iterator[None]:
    """Pass every model-call event inside the block (and the threads its context is copied
    to) to ``sink``."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)


def _report(kind: str, summary: str, payload: dict[str, Any]) -> None:
    sink, meter = _SINK.get(), _current.get()
    if sink is None:
        return
    node, hop = (meter.node, meter.hop) if meter is not None else ("", 0)
    try:
        sink(
            {
                "node": node,
                "hop": hop,
                "kind": kind,
                "summary": f"{node}: {summary}",
                "payload": payload,
            }
        )
    except Exception:  # noqa: BLE001 - a progress record never fails the model call
        import logging

        logging.getLogger("baton.usage").exception("model-call event not written")


def call_started(model: str, method: str, max_tokens: int | None, *, bounded: bool = False) -> int:
    """Report a model call starting; returns its number in the turn (1-based). ``bounded``:
    the client ends the call at its own timeout (it counts in ``Meter.in_flight`` until
    ``call_ended``, which pauses the guard's idle clock)."""
    meter = _current.get()
    n = 1
    if meter is not None:
        with meter._lock:
            meter.started_calls += 1
            meter.in_flight += int(bounded)
            meter._bounded[n := meter.started_calls] = bounded
        meter.touch()
    _report(
        "model_call",
        f"waiting for the model (call {n})",
        {"phase": "start", "call": n, "model": model, "method": method, "max_tokens": max_tokens},
    )
    return n


def call_ended(n: int, seconds: float, tokens: int, outcome: str, **extra: Any) -> None:
    """Report call ``n`` ending after ``seconds`` with ``tokens`` charged and ``outcome``
    (``ok`` or a fault cause)."""
    meter = _current.get()
    if meter is not None:
        with meter._lock:
            if meter._bounded.pop(n, False):
                meter.in_flight = max(0, meter.in_flight - 1)
        meter.touch()
    _report(
        "model_call",
        f"model call {n} {outcome} after {seconds:.1f} s ({tokens} tokens)",
        {
            "phase": "end",
            "call": n,
            "seconds": round(seconds, 3),
            "tokens": tokens,
            "outcome": outcome,
            **extra,
        },
    )


def event(kind: str, summary: str, **payload: Any) -> None:
    """Report another engine event (e.g. ``structured_fallback``) through the sink."""
    _report(kind, summary, payload)


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
