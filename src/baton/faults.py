"""Failure machinery shared by the graph and the engines: what an exception *is*, how long to
back off before retrying it, and how two failures are recognised as the same one.

Every failure a run can meet is classified into a ``Fault``:

================================  ==================  =============  ==========
what happened                     ``Failure.kind``    ``cause``      retryable
================================  ==================  =============  ==========
model output missing              ``invalid_output``  missing_output yes
model output not in the contract  ``invalid_output``  invalid_output yes
model refused                     ``rejected``        refusal        yes
route outside the table / gate    ``transition``      route          yes
turn, idle or HTTP timeout        ``timeout``         timeout        yes
HTTP 429                          ``error``           rate_limit     yes
HTTP 5xx                          ``error``           server_error   yes
connection refused / reset        ``error``           connection     yes
other HTTP 4xx (key, model name)  ``error``           http_4xx       no
exception inside a node           ``error``           exception      yes
================================  ==================  =============  ==========

The cause travels typed: ``Fault.cause``, ``StepFailed.cause`` (set by ``Fault.step_failed``)
and ``Failure.cause`` (``contracts.FailureCause``); nothing parses it out of a detail.
``Failure.detail`` stays for people and still starts with ``"<cause>: "`` (except an
exception inside a node, whose detail is its plain ``Type: message``, and the guard's own
transition messages). Transient causes (``TRANSIENT``) are retried after an exponential
backoff with full jitter (``backoff_s``, waited by ``wait``); the others are retried at once
with the error fed back. Two nodes meeting the same ``signature`` trip the circuit breaker
(``register``).

Imports only the standard library, tenacity, contracts and errors (and, lazily, openai and
httpx, to recognise their exceptions).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace

from tenacity import wait_random_exponential

from baton.contracts import FAILURE_CAUSES, Failure, default_cause
from baton.errors import StepFailed
from baton.policy import Policy

TRANSIENT = frozenset({"rate_limit", "server_error", "connection", "timeout"})
"""Causes that come from the infrastructure, not the content: retried after a backoff."""
MAX_BACKOFF_S = 60.0
"""Ceiling of one backoff wait (seconds)."""

sleep = time.sleep
"""The sleep used for backoff (tests may replace it)."""


@dataclass(frozen=True)
class Fault:
    """A classified failure: ``kind`` (a ``contracts.FailureKind``), ``cause`` (see the module
    table), ``retryable`` and a one-line ``detail`` that starts with ``"<cause>: "``."""

    kind: str
    cause: str
    retryable: bool
    detail: str

    def step_failed(self) -> StepFailed:
        """This fault as the ``StepFailed`` the guard records (with ``cause`` set)."""
        return StepFailed(self.kind, self.detail, retryable=self.retryable, cause=self.cause)

    def failure(self, node: str, hop: int) -> Failure:
        """This fault as the ``Failure`` of ``node`` at ``hop``."""
        return Failure(
            node=node,
            kind=self.kind,  # type: ignore[arg-type]
            cause=self.cause,  # type: ignore[arg-type]
            detail=self.detail,
            hop=hop,
            retryable=self.retryable,
        )


def fault(kind: str, cause: str, message: str, *, retryable: bool = True) -> Fault:
    """Build a ``Fault`` whose detail is ``"<cause>: <message>"`` (message cut at 500 chars)."""
    message = " ".join(str(message).split())[:500]
    return Fault(kind, cause, retryable, f"{cause}: {message}")


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def classify(exc: BaseException) -> Fault:
    """The ``Fault`` an exception stands for (see the module table). Never raises.

    Knows openai's and httpx's exception classes (by isinstance, imported lazily), Python's
    ``TimeoutError``/``ConnectionError``, pydantic ``ValidationError`` and LangChain's
    ``OutputParserException``; a ``StepFailed`` keeps its own kind and retryability.
    """
    name = type(exc).__name__
    text = f"{name}: {exc}"
    if isinstance(exc, StepFailed):
        cause = exc.cause or default_cause(exc.kind)
        return Fault(exc.kind, cause, exc.retryable, exc.detail)
    try:
        import openai
    except ImportError:  # pragma: no cover - openai comes with langchain-openai
        openai = None  # type: ignore[assignment]
    try:
        import httpx
    except ImportError:  # pragma: no cover
        httpx = None  # type: ignore[assignment]
    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            return fault("timeout", "timeout", text)
        if isinstance(exc, openai.APIConnectionError):
            return fault("error", "connection", text)
    if httpx is not None:
        if isinstance(exc, httpx.TimeoutException):
            return fault("timeout", "timeout", text)
        if isinstance(exc, httpx.TransportError):
            return fault("error", "connection", text)
    if isinstance(exc, TimeoutError):
        return fault("timeout", "timeout", text)
    if isinstance(exc, ConnectionError):
        return fault("error", "connection", text)
    status = _status(exc)
    if status is not None:
        if status == 429:
            return fault("error", "rate_limit", f"HTTP 429: {text}")
        if status >= 500:
            return fault("error", "server_error", f"HTTP {status}: {text}")
        if 400 <= status < 500:
            return fault("error", "http_4xx", f"HTTP {status}: {text}", retryable=False)
    try:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            return fault("invalid_output", "invalid_output", text)
    except ImportError:  # pragma: no cover
        pass
    try:
        from langchain_core.exceptions import OutputParserException

        if isinstance(exc, OutputParserException):
            return fault("invalid_output", "invalid_output", text)
    except ImportError:  # pragma: no cover
        pass
    return Fault("error", "exception", True, " ".join(text.split())[:500])


CAUSES = FAILURE_CAUSES
"""Every cause baton writes (``contracts.FailureCause``)."""


def cause_of(detail: str, kind: str | None = None) -> str:
    """The cause a detail string starts with, else the one ``kind`` implies (for text written
    before ``Failure.cause`` existed; a ``Failure`` carries its own ``cause``)."""
    return default_cause(kind or "", detail)


def signature(failure: Failure) -> str:
    """What makes two failures "the same" for the circuit breaker: the cause alone for
    transient causes (an outage is one failure whichever node meets it), else the kind plus
    the detail with numbers, ids and quoted text blanked (so ``KeyError: 'c3'`` and
    ``KeyError: 'c4'`` match)."""
    if failure.cause in TRANSIENT:
        return failure.cause
    norm = re.sub(r"'[^']*'|\"[^\"]*\"", "?", failure.detail)
    norm = re.sub(r"\d+", "N", norm)
    return f"{failure.kind}|{' '.join(norm.split())[:160]}"


def backoff_s(
    base_s: float, attempt: int, *, cap_s: float = MAX_BACKOFF_S, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential backoff with full
    jitter, uniform in ``[0, min(cap_s, base_s * 2**attempt)]`` (tenacity's
    ``wait_random_exponential``). 0 when ``base_s`` is 0."""
    if base_s <= 0 or attempt <= 0:
        return 0.0
    wait = wait_random_exponential(multiplier=base_s, max=cap_s)
    if rng is not None:  # reproducible jitter for benchmarks
        return rng.uniform(0, min(cap_s, base_s * 2**attempt))
    return float(wait(SimpleNamespace(attempt_number=attempt + 1)))


def register(
    registry: Mapping[str, list[str]] | None, failures: Iterable[Failure]
) -> tuple[dict[str, list[str]], tuple[str, list[str]] | None]:
    """The circuit breaker: record ``failures`` in a copy of the error registry (the account's
    ``error_registry``, ``{signature: [nodes that met it]}``). Returns the new registry and,
    when a signature has now been met by two or more nodes, ``(signature, sorted nodes)``
    (the breaker trips: the supervisor escalates at once). ``registry`` is not changed."""
    out = {k: list(v) for k, v in (registry or {}).items()}
    tripped = None
    for f in failures:
        sig = signature(f)
        nodes = out.setdefault(sig, [])
        if f.node not in nodes:
            nodes.append(f.node)
        if len(nodes) >= 2 and tripped is None:
            tripped = (sig, sorted(nodes))
    return out, tripped


def breaker_bound(tripped: tuple[str, list[str]]) -> str:
    """The bound a tripped breaker reports: ``"circuit breaker: the same failure (<cause or
    kind>) met by <nodes>"``."""
    sig, nodes = tripped
    return f"circuit breaker: the same failure ({sig.split('|', 1)[0]}) met by {', '.join(nodes)}"


def retry_wait_s(failure: Failure, policy: Policy, attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` of ``failure``: a backoff (``backoff_s``
    from ``policy.retry_backoff_base_s``, capped at ``MAX_BACKOFF_S`` and half of
    ``policy.agent_turn_timeout_s``) when its cause is transient, else 0."""
    if failure.cause not in TRANSIENT:
        return 0.0
    return backoff_s(
        policy.retry_backoff_base_s,
        attempt,
        cap_s=min(MAX_BACKOFF_S, policy.agent_turn_timeout_s / 2),
    )


def back_off(failure: Failure, policy: Policy, attempt: int) -> float:
    """Wait ``retry_wait_s`` (through ``sleep``) before a retry; returns the seconds waited.

    The wait happens in the supervisor's turn, before it hands the work back (or asks its
    engine again), so the retried call comes after it and the seconds are charged to the run
    as before."""
    wait = retry_wait_s(failure, policy, attempt)
    if wait > 0:
        sleep(wait)
    return wait
