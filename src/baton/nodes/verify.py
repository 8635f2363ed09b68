"""``verify``: check every new claim against all sources with the graph's verifier
(``ctx.verifier``, by default ``baton.verifiers.verify``)."""

from __future__ import annotations

from langgraph.types import Command

from baton.errors import StepFailed
from baton.state import NodeContext, RunState, claims_of, task_of, verdicts_of


def verify(state: RunState, ctx: NodeContext) -> Command:
    """Writes one ``Verdict`` per claim that has none yet (new or edited claims); earlier
    verdicts of unchanged claims are kept."""
    task = task_of(state)
    claims = claims_of(state)
    known = {v.claim_id: v for v in verdicts_of(state)}
    new = [c for c in claims if c.id not in known]
    verdicts = list(ctx.verifier(new, task.sources)) if new else []
    if len(verdicts) != len(new) or [v.claim_id for v in verdicts] != [c.id for c in new]:
        raise StepFailed(
            "invalid_output", "the verifier did not return one verdict per claim", retryable=True
        )
    known.update({v.claim_id: v for v in verdicts})
    ordered = [known[c.id] for c in claims if c.id in known]
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.label] = counts.get(v.label, 0) + 1
    summary = ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "nothing new"
    return Command(
        goto="supervise",
        update={
            "verdicts": ordered,
            "trace": [f"verify: {summary}"],
        },
    )
