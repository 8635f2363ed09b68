"""``write``: compose the answer from verified claims, with citations."""

from __future__ import annotations

from langgraph.types import Command

from baton.errors import StepFailed
from baton.state import NodeContext, RunState, claims_of, handoff_of, task_of, verdicts_of


def write(state: RunState, ctx: NodeContext) -> Command:
    """Returns ``answer`` (non-empty text). An empty answer is a ``Failure`` (``invalid_output``)."""
    task = task_of(state)
    answer = ctx.engine.write(task, handoff_of(state), claims_of(state), verdicts_of(state))
    if not isinstance(answer, str) or not answer.strip():
        raise StepFailed("invalid_output", "the writer returned an empty answer", retryable=True)
    return Command(
        goto="supervise",
        update={
            "answer": answer.strip(),
            "trace": [f"write: {len(answer.split())} word(s)"],
        },
    )
