"""Helpers shared by the node modules (private)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from baton.contracts import Claim, Evidence, Failure, Handoff, ReviewRequest, Task
from baton.names import END_NODE, REVIEW_NODE, START_NODE
from baton.state import (
    RunState,
    account_of,
    claims_of,
    failures_of,
    policy_of,
    verdicts_of,
)


def review_request(
    state: RunState,
    table: Mapping[str, Iterable[str]],
    reason: str = "failure",
    *,
    bound: str | None = None,
    failures: Sequence[Failure] = (),
    handoff: Handoff | None = None,
) -> ReviewRequest:
    """The one builder of a ``ReviewRequest``: why the run pauses (``reason``, the ``bound``
    hit), where it stands (hop, max_hops, the last 50 trace lines, the claims and verdicts),
    the run's failures plus ``failures`` (ones recorded in the same turn), the pending
    ``handoff``, and the nodes a ``send_back`` may name (``supervise``'s targets but
    ``review`` and ``finish``)."""
    account = account_of(state)
    return ReviewRequest(
        reason=reason,  # type: ignore[arg-type]
        hop=int(account.get("hops", 0)),
        max_hops=int(account.get("max_hops", policy_of(state).max_hops)),
        bound=bound,
        handoff=handoff,
        claims=claims_of(state),
        verdicts=verdicts_of(state),
        failures=failures_of(state) + list(failures),
        trace=list(state.get("trace") or [])[-50:],
        allowed_targets=sorted(
            t for t in table.get(START_NODE, ()) if t not in (REVIEW_NODE, END_NODE)
        ),
    )


def invalid_citations(task: Task, claims: list[Claim]) -> list[str]:
    """Problems with claims' citations: unknown source ids, or offsets that do not point at the
    quoted text. Empty when every citation is sound."""
    problems = []
    for c in claims:
        for ev in c.citations:
            problems.extend(f"claim {c.id}: {p}" for p in evidence_problems(task, ev))
    return problems


def evidence_problems(task: Task, ev: Evidence) -> list[str]:
    try:
        src = task.source(ev.source_id)
    except KeyError:
        return [f"cites unknown source {ev.source_id!r}"]
    if ev.end > len(src.text) or src.text[ev.start : ev.end] != ev.text:
        return [
            f"citation [{ev.start}:{ev.end}] does not match the text of source {ev.source_id!r}"
        ]
    return []
