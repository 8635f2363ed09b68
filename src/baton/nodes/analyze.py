"""``analyze``: make claims with citations (answer tasks: answer-bearing sentences; check
tasks: the draft split into claims). A revision drops what the verifier refused."""

from __future__ import annotations

from difflib import SequenceMatcher

from langgraph.types import Command

from baton.errors import StepFailed
from baton.nodes._common import invalid_citations
from baton.state import (
    NodeContext,
    RunState,
    claims_of,
    handoff_of,
    passages_of,
    policy_of,
    task_of,
    verdicts_of,
)


def analyze(state: RunState, ctx: NodeContext) -> Command:
    """Returns ``claims`` (replacing the previous ones) and clears verdicts of claims whose text
        changed. A revision records how much of the claims' text it changed (``account["change"]``;
    below ``policy.convergence_threshold`` the refinement loop stops, a ``bound`` event). No claim, a duplicate claim id, or a citation that does not match its source is a
        ``Failure`` (``invalid_output``)."""
    task = task_of(state)
    previous = claims_of(state)
    claims = ctx.engine.analyze(
        task, handoff_of(state), passages_of(state), previous, verdicts_of(state)
    )
    if not claims:
        raise StepFailed(
            "invalid_output", "no claim could be made from the sources", retryable=False
        )
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise StepFailed("invalid_output", f"duplicate claim ids: {ids}", retryable=True)
    problems = invalid_citations(task, claims)
    if problems:
        raise StepFailed("invalid_output", "; ".join(problems[:3]), retryable=True)
    if task.kind == "answer" and task.constraints.require_citations:
        uncited = [c.id for c in claims if not c.citations]
        if uncited:
            raise StepFailed(
                "invalid_output", f"claims without citations: {uncited}", retryable=True
            )
    before = {c.id: c.text for c in previous}
    unchanged = {c.id for c in claims if before.get(c.id) == c.text}
    current = verdicts_of(state)
    verdicts = [v for v in current if v.claim_id in unchanged]
    update: dict = {"claims": claims, "trace": [f"analyze: {len(claims)} claim(s)"]}
    if len(verdicts) != len(current):  # keys already right are not written again
        update["verdicts"] = verdicts
    if state.get("answer") is not None:
        update["answer"] = None
    if previous:  # a revision: how much it changed (routing.converged stops the loop)
        change = round(1 - SequenceMatcher(None, _text(previous), _text(claims)).ratio(), 4)
        threshold = policy_of(state).convergence_threshold
        update["account"] = {"change": change}
        if change < threshold:
            update["bounds"] = [
                f"converged: the revision changed {change:.1%} of the claims "
                f"(convergence_threshold {threshold:.0%}); refinement loop stopped"
            ]
    return Command(goto="supervise", update=update)


def _text(claims) -> str:
    return "\n".join(c.text for c in claims)
