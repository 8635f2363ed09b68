"""``review``: the human gate. ``interrupt()`` comes first in this small node (LangGraph re-runs
the whole node on resume), with ``response_schema=Decision`` so a malformed answer is refused.

The worker sees the interrupt, writes a review item, and resumes the run with
``Command(resume={interrupt_id: decision})`` once a reviewer has decided.
"""

from __future__ import annotations

from langgraph.types import Command, interrupt
from pydantic import ValidationError

from baton.contracts import Claim, Decision, ReviewRequest, Route
from baton.errors import InvalidDecision, StepFailed
from baton.names import END_NODE, START_NODE
from baton.nodes._common import review_request
from baton.state import (
    NodeContext,
    RunState,
    account_of,
    claims_of,
    decisions_of,
    review_of,
    verdicts_of,
)


def review(state: RunState, ctx: NodeContext) -> Command:
    """Pause for a reviewer, then apply the ``Decision`` (see ``Decision`` for each action)."""
    request = review_of(state)  # set by supervise when it escalates
    if request is None:  # a node's failure sent the run here directly
        request = review_request(state, ctx.table)
    try:
        answer = interrupt(request.model_dump(mode="json"), response_schema=Decision)
    except ValidationError as exc:  # only a bad resume value; the pause itself is not caught
        raise InvalidDecision(f"not a valid decision: {exc.errors()[0]['msg']}") from exc
    decision = answer if isinstance(answer, Decision) else Decision.model_validate(answer)
    base = {
        "review": None,
        "pending_failure": None,
        "decisions": [*decisions_of(state), decision],
        "trace": [
            f"review ({request.reason}): {decision.action} by {decision.reviewer}"
            + (f": {decision.note}" if decision.note else "")
        ],
    }
    return _APPLY[decision.action](state, request, decision, base)


def _approve(state: RunState, request: ReviewRequest, decision: Decision, base: dict) -> Command:
    return Command(goto=END_NODE, update=base)


def _reject(state: RunState, request: ReviewRequest, decision: Decision, base: dict) -> Command:
    return Command(goto=END_NODE, update={**base, "outcome": "rejected"})


def _extend(state: RunState, request: ReviewRequest, decision: Decision, base: dict) -> Command:
    max_hops = int(account_of(state).get("max_hops", request.max_hops))
    return Command(
        goto=START_NODE,
        update={**base, "account": {"max_hops": max_hops + int(decision.extra_hops or 0)}},
    )


def _send_back(state: RunState, request: ReviewRequest, decision: Decision, base: dict) -> Command:
    refusal = request.refusal(decision)
    if refusal:
        raise StepFailed("rejected", refusal)
    directive = Route(
        next=decision.target, reason="sent back by reviewer", instructions=decision.note
    )
    update = {**base, "directive": directive}
    max_hops = int(account_of(state).get("max_hops", request.max_hops))
    if request.hop >= max_hops:  # at the ceiling: extend by the hop the send-back needs
        update["account"] = {"max_hops": request.hop + 1}
    return Command(goto=START_NODE, update=update)


def _edit(state: RunState, request: ReviewRequest, decision: Decision, base: dict) -> Command:
    edits = decision.edits
    assert edits is not None  # Decision's validator guarantees it
    by_id = {e.claim_id: e for e in edits.claims}
    unknown = sorted(set(by_id) - {c.id for c in claims_of(state)})
    if unknown:
        raise StepFailed("rejected", f"edit names unknown claim ids: {unknown}")
    claims: list[Claim] = []
    for c in claims_of(state):
        e = by_id.get(c.id)
        if e is None:
            claims.append(c)
        elif not e.drop:
            claims.append(c.model_copy(update={"text": e.text.strip(), "author": "reviewer"}))
    guidance = list(state.get("guidance") or [])
    if edits.instructions:
        guidance.append(f"reviewer {decision.reviewer}: {edits.instructions}")
    return Command(
        goto=START_NODE,
        update={
            **base,
            "claims": claims,
            "verdicts": [v for v in verdicts_of(state) if v.claim_id not in by_id],
            "answer": None,
            "guidance": guidance,
        },
    )


_APPLY = {
    "approve": _approve,
    "reject": _reject,
    "extend": _extend,
    "send_back": _send_back,
    "edit": _edit,
}
"""How each ``Decision.action`` is applied: ``(state, request, decision, base update) ->
Command``."""
