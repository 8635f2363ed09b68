"""``finish``: write the ``Report``: the answer, each claim with its verdict and evidence, caveats."""

from __future__ import annotations

from baton.answer import compose_answer
from baton.contracts import Report
from baton.state import (
    NodeContext,
    RunState,
    claims_of,
    decisions_of,
    failures_of,
    task_of,
    verdicts_of,
)


def finish(state: RunState, ctx: NodeContext) -> dict:
    """Returns ``report`` and ``outcome`` (``finished`` or ``rejected``). When the run ends before
    ``write`` (a reviewer approved early), the answer is composed from the supported claims."""
    task = task_of(state)
    claims = claims_of(state)
    verdicts = verdicts_of(state)
    outcome = state.get("outcome") or "finished"
    answer = state.get("answer") or compose_answer(task, claims, verdicts)
    by_id = {v.claim_id: v for v in verdicts}
    caveats: list[str] = []
    for c in claims:
        v = by_id.get(c.id)
        if v is None:
            caveats.append(f"claim {c.id} was not verified: {c.text[:200]}")
        elif v.label != "supported":
            caveats.append(f"claim {c.id} is {v.label}: {c.text[:200]}")
    for src in task.sources:
        if src.is_binary:
            caveats.append(f"source {src.id} looks like binary data and was not used as evidence")
    for f in failures_of(state):
        caveats.append(f"{f.node} failed ({f.kind}) at hop {f.hop}: {f.detail[:200]}")
    for d in decisions_of(state):
        caveats.append(
            f"reviewer {d.reviewer} chose {d.action}" + (f": {d.note}" if d.note else "")
        )
    if not answer:
        caveats.append("no claim was supported: there is no answer")
    report = Report(
        task_id=task.id,
        kind=task.kind,
        answer=answer,
        claims=claims,
        verdicts=verdicts,
        caveats=caveats,
    )
    return {"report": report, "outcome": outcome, "trace": [f"finish: {outcome}"]}
