"""``research``: rank source passages for the question (offline: BM25 over sentences)."""

from __future__ import annotations

from langgraph.types import Command

from baton.errors import StepFailed
from baton.nodes._common import evidence_problems
from baton.state import NodeContext, RunState, handoff_of, task_of


def research(state: RunState, ctx: NodeContext) -> Command:
    """Returns ``passages``: ranked ``Evidence`` spans. No passage at all is a ``Failure``
    (``invalid_output``), never an empty success."""
    task = task_of(state)
    handoff = handoff_of(state)
    passages = ctx.engine.research(task, handoff)
    bad = [p for ev in passages for p in evidence_problems(task, ev)]
    if bad:
        raise StepFailed("invalid_output", "; ".join(bad[:3]), retryable=True)
    if not passages:
        raise StepFailed(
            "invalid_output", "no source passage matches the question", retryable=False
        )
    return Command(
        goto="supervise",
        update={
            "passages": passages,
            "trace": [f"research: {len(passages)} passage(s) ranked"],
        },
    )
