"""Routing as pure functions of the state: the supervisor's deterministic ``plan``, its ``gate``
on the routes an engine proposes, and the readiness of baton's own specialists.

Nothing here writes state or calls a model: ``baton.nodes.supervise`` turns these answers
into ``Command`` s. Imports only ``state``, ``names`` and ``contracts``.
"""

from __future__ import annotations

from collections.abc import Sequence

from baton.contracts import Claim, Verdict
from baton.names import END_NODE, REVIEW_NODE
from baton.specialists import Specialist
from baton.state import RunState, account_of, claims_of, policy_of, verdicts_of


def can_retry(state: RunState, node: str) -> bool:
    """Whether ``node`` may draw one more retry: under ``policy.max_retries_per_agent`` for
    the node and under ``policy.retry_budget`` for the run (the account's ``retries``)."""
    policy = policy_of(state)
    retries = account_of(state).get("retries") or {}
    return (
        retries.get(node, 0) < policy.max_retries_per_agent
        and sum(retries.values()) < policy.retry_budget
    )


def retry_pool(state: RunState) -> int:
    """Retries drawn from the shared pool so far (all nodes)."""
    return sum((account_of(state).get("retries") or {}).values())


def _judged(state: RunState) -> tuple[list[Claim], dict[str, Verdict]]:
    """The claims and their verdicts by claim id (read once per predicate)."""
    return claims_of(state), {v.claim_id: v for v in verdicts_of(state)}


def _refused(claims: list[Claim], verdicts: dict[str, Verdict]) -> list[Claim]:
    """Claims made by ``analyze`` that the verifier did not support (all claims judged)."""
    return [c for c in claims if c.author == "analyze" and verdicts[c.id].label != "supported"]


def converged(state: RunState) -> bool:
    """The refinement loop converged: the latest revision changed less than
    ``policy.convergence_threshold`` of the claims' text (``account["change"]``, written by
    ``analyze``; a first draft has none)."""
    change = account_of(state).get("change")
    return change is not None and change < policy_of(state).convergence_threshold


def _may_revise(state: RunState) -> bool:
    account, policy = account_of(state), policy_of(state)
    return (
        can_retry(state, "analyze")
        and account.get("iterations", 0) < policy.max_iterations
        and not converged(state)
    )


# -- readiness of baton's own specialists (``Specialist.ready``) ------------------------------


def needs_passages(state: RunState) -> str | None:
    """research: until there are passages (research never ends without one: that is a Failure)."""
    return None if state.get("passages") else "no passages yet"


def needs_claims(state: RunState) -> str | None:
    """analyze: no claims yet; or, every claim judged, some refused and a revision allowed."""
    claims, verdicts = _judged(state)
    if not claims:
        return "no claims yet"
    if any(c.id not in verdicts for c in claims):
        return None
    refused = _refused(claims, verdicts)
    if refused and _may_revise(state):
        return f"{len(refused)} claim(s) refused by the verifier: revise"
    return None


def needs_verdicts(state: RunState) -> str | None:
    """verify: while a claim has no verdict."""
    claims, verdicts = _judged(state)
    return "claims without a verdict" if any(c.id not in verdicts for c in claims) else None


def needs_answer(state: RunState) -> str | None:
    """write: until there is an answer."""
    return None if state.get("answer") else "no answer yet"


def once(spec: Specialist, state: RunState) -> str | None:
    """The readiness of a specialist without ``ready``: until it has run once."""
    done = account_of(state).get("done") or {}
    return None if done.get(spec.name) else "custom specialist in the table"


def exhausted(state: RunState) -> bool:
    """The refinement loop is spent: every claim judged, some refused, no revision allowed,
    and not one supported (the run then goes to review, ``retries_exhausted``)."""
    if not state.get("passages"):
        return False
    claims, verdicts = _judged(state)
    if not claims or any(c.id not in verdicts for c in claims):
        return False
    if not _refused(claims, verdicts) or _may_revise(state):
        return False
    return not any(verdicts[c.id].label == "supported" for c in claims)


def plan(state: RunState, specialists: Sequence[Specialist]) -> tuple[str, str]:
    """The deterministic next step and why: ``(node, reason)``.

    ``review`` (reason ``retries_exhausted``) when the refinement loop is spent
    (``exhausted``); else the first of ``specialists`` (in plan order) that is ready
    (``Specialist.ready``, or ``once``); else ``finish``."""
    if exhausted(state):
        return REVIEW_NODE, "retries_exhausted"
    for spec in specialists:
        why = spec.ready(state) if spec.ready is not None else once(spec, state)
        if why:
            return spec.name, why
    return END_NODE, "answer written from verified claims"


def gate(state: RunState, target: str, suggested: str) -> str | None:
    """Why the supervisor refuses a route to ``target`` the table allows (None: accepted).

    The model may reorder work but never skip verification or end the run early: ``finish``
    and ``review`` only when the plan calls for them; ``write`` and ``verify`` only with
    claims, and ``write`` only when every claim has a verdict."""
    claims = claims_of(state)
    judged = {v.claim_id for v in verdicts_of(state)}
    unverified = [c.id for c in claims if c.id not in judged]
    if target == END_NODE and suggested != END_NODE:
        return f"finish refused: the run is not done (next step: {suggested})"
    if target == REVIEW_NODE and suggested != REVIEW_NODE:
        return "review refused: escalation follows the policy, not the model"
    if target in ("write", "verify") and not claims:
        return f"{target} refused: there is no claim yet"
    if target == "write" and unverified:
        return f"write refused: claims without a verdict: {unverified[:10]}"
    return None


__all__ = [
    "can_retry",
    "converged",
    "exhausted",
    "gate",
    "needs_answer",
    "needs_claims",
    "needs_passages",
    "needs_verdicts",
    "once",
    "plan",
    "retry_pool",
]
