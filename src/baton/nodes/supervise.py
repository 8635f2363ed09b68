"""``supervise``: the hub. Owns the task and its success criteria, enforces the policy, and
hands the work to one specialist at a time as a ``Handoff``.

Order of decisions, each turn:

1. a pending failure: retry its node (with the error fed back) while the shared retry pool
   allows, else escalate to ``review`` (reason ``failure``);
2. a reviewer's ``send_back``: hand the work to that node with the reviewer's note (the
   reviewer authorised it, so it is made even at the hop ceiling);
3. tokens past ``policy.max_tokens_per_task``: ``review`` (``budget_exceeded``);
4. a contradicted claim: ``review`` (``contradicted``);
5. otherwise the plan (research -> analyze -> verify -> revise while refused -> write ->
   finish), offered to the engine as ``suggested``; the engine's ``Route`` is validated
   against the transition table. Custom specialists (nodes the table lets ``supervise``
   hand to beyond the built-in ones, e.g. added with ``build_graph(table, nodes=...)``) run
   once each, in name order, after the claims are verified and before ``write``
   (``supervise`` counts the handoff in ``done[name]``);
6. a handoff to a specialist at ``max_hops``: ``review`` (``hop_limit``).
"""

from __future__ import annotations

from langgraph.types import Command

from baton.contracts import Failure, Handoff, ReviewRequest, Route
from baton.engines.base import SupervisorView
from baton.graph.state import (
    NodeContext,
    RunState,
    claims_of,
    directive_of,
    failures_of,
    handoff_of,
    pending_failure_of,
    policy_of,
    task_of,
    verdicts_of,
)
from baton.graph.table import END_NODE, REVIEW_NODE, SPECIALISTS

NAME = "supervise"

EXPECTED_OUTPUT = {
    "research": "Ranked passages: source spans (source id, character offsets, text) relevant to the question.",
    "analyze": "Claims: short factual statements, each with citations that quote source spans exactly.",
    "verify": "One verdict per new claim: supported, unsupported or contradicted, with evidence spans.",
    "write": "The answer: only supported claims, each followed by its [source id] citations.",
}
INSTRUCTIONS = {
    "research": "Find the source passages that bear on the question.",
    "analyze": "Make checkable claims that answer the question, citing the passages that support them.",
    "verify": "Check every new claim against all sources.",
    "write": "Compose the answer from the supported claims; cite every claim.",
}
ON_FAILURE = "Return a Failure naming what is missing; never return an empty result. The supervisor retries from the shared pool or escalates to review."


def _counts(verdicts) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in verdicts:
        out[v.label] = out.get(v.label, 0) + 1
    return out


def _can_retry(state: RunState, node: str) -> bool:
    policy = policy_of(state)
    retries = state.get("retries") or {}
    return retries.get(node, 0) < policy.max_retries_per_agent and sum(retries.values()) < policy.retry_budget


def custom_specialists(table) -> list[str]:
    """Nodes ``supervise`` may hand to that are not built in (sorted): the extension point
    for specialists added to the table."""
    return sorted(t for t in table[NAME] if t not in SPECIALISTS and t not in (REVIEW_NODE, END_NODE))


def plan(state: RunState, custom: tuple[str, ...] | list[str] = ()) -> tuple[str, str]:
    """The deterministic next step and why: ``(node, reason)``. ``review`` means the
    refinement loop is out of retries. ``custom``: custom specialists, each planned once
    (until ``state["done"][name]`` is set) after verification and before ``write``."""
    task = task_of(state)
    done = state.get("done") or {}
    claims = claims_of(state)
    verdicts = {v.claim_id: v for v in verdicts_of(state)}
    if not done.get("research") and not state.get("passages"):
        return "research", "no passages yet"
    if not claims:
        return "analyze", "no claims yet"
    if any(c.id not in verdicts for c in claims):
        return "verify", "claims without a verdict"
    refused = [c for c in claims if c.author == "analyze" and verdicts[c.id].label != "supported"]
    if refused:
        if _can_retry(state, "analyze") and state.get("iterations", 0) < policy_of(state).max_iterations:
            return "analyze", f"{len(refused)} claim(s) refused by the verifier: revise"
        if not any(verdicts[c.id].label == "supported" for c in claims):
            return REVIEW_NODE, "retries_exhausted"
    for name in custom:
        if not done.get(name):
            return name, "custom specialist in the table"
    if not state.get("answer"):
        return "write", "no answer yet"
    return END_NODE, "answer written from verified claims"


def _context(state: RunState, target: str) -> list[str]:
    notes = list(state.get("guidance") or [])
    claims = claims_of(state)
    verdicts = verdicts_of(state)
    if state.get("passages"):
        notes.append(f"{len(state['passages'])} ranked passage(s) available")
    if claims:
        c = _counts(verdicts)
        notes.append(f"{len(claims)} claim(s); verdicts: " + (", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "none"))
    if target == "analyze":
        by_id = {v.claim_id: v for v in verdicts}
        for cl in claims:
            v = by_id.get(cl.id)
            if v is not None and v.label != "supported":
                notes.append(f"refused {cl.id} ({v.label}): {cl.text[:160]}")
    return notes[:20]


def _handoff(state: RunState, target: str, instructions: str, reason: str) -> Command:
    task = task_of(state)
    hop = int(state.get("hops", 0)) + 1
    handoff = Handoff(
        sender=NAME,
        recipient=target,
        hop=hop,
        instructions=instructions or INSTRUCTIONS.get(target, f"Do the {target} step."),
        context=_context(state, target),
        constraints=task.constraints,
        expected_output=EXPECTED_OUTPUT.get(target, "A result in the node's declared contract."),
        on_failure=ON_FAILURE,
    )
    return Command(
        goto=target,
        update={
            "hops": hop,
            "handoff": handoff,
            "pending_failure": None,
            "directive": None,
            "trace": [f"hop {hop}: supervise -> {target} ({reason})"],
        },
    )


def _escalate(state: RunState, ctx: NodeContext, reason: str, bound: str | None, extra: list[Failure] | None = None) -> Command:
    hop = int(state.get("hops", 0))
    request = ReviewRequest(
        reason=reason,  # type: ignore[arg-type]
        hop=hop,
        max_hops=int(state.get("max_hops", policy_of(state).max_hops)),
        bound=bound,
        handoff=handoff_of(state),
        claims=claims_of(state),
        verdicts=verdicts_of(state),
        failures=failures_of(state) + list(extra or []),
        trace=list(state.get("trace") or [])[-50:],
        allowed_targets=sorted(t for t in ctx.table[NAME] if t not in (REVIEW_NODE, END_NODE)),
    )
    update = {
        "review": request,
        "pending_failure": None,
        "directive": None,
        "trace": [f"hop {hop}: supervise -> review ({reason}{': ' + bound if bound else ''})"],
    }
    if extra:
        update["failures"] = list(extra)
    return Command(goto=REVIEW_NODE, update=update)


def _go(state: RunState, ctx: NodeContext, target: str, instructions: str, reason: str) -> Command:
    if target in (REVIEW_NODE,):
        return _escalate(state, ctx, reason, None)
    if target == END_NODE:
        return Command(goto=END_NODE, update={"pending_failure": None, "trace": [f"supervise -> finish ({reason})"]})
    max_hops = int(state.get("max_hops", policy_of(state).max_hops))
    if int(state.get("hops", 0)) >= max_hops:
        return _escalate(state, ctx, "hop_limit", f"max_hops={max_hops}")
    return _handoff(state, target, instructions, reason)


def supervise(state: RunState, ctx: NodeContext) -> Command:
    """Decide the next step (see the module docstring) and emit the ``Handoff``."""
    task = task_of(state)
    policy = policy_of(state)

    failure = pending_failure_of(state)
    if failure is not None:
        if failure.retryable and failure.node in ctx.table[NAME] and _can_retry(state, failure.node):
            retries = dict(state.get("retries") or {})
            retries[failure.node] = retries.get(failure.node, 0) + 1
            cmd = _go(state, ctx, failure.node, f"{INSTRUCTIONS.get(failure.node, '')} Your previous attempt failed: {failure.detail}".strip(), f"retry {retries[failure.node]} after {failure.kind}")
            if cmd.goto == failure.node:
                cmd.update["retries"] = retries
            return cmd
        pool = sum((state.get("retries") or {}).values())
        return _escalate(state, ctx, "failure", f"retry pool {pool}/{policy.retry_budget} used" if failure.retryable else None)

    directive = directive_of(state)
    if directive is not None:
        # The reviewer authorised this handoff: it is made even at the hop ceiling.
        return _handoff(state, directive.next, directive.instructions, "sent back by reviewer")

    tokens = int(state.get("tokens", 0))
    if tokens > policy.max_tokens_per_task:
        return _escalate(state, ctx, "budget_exceeded", f"max_tokens_per_task={policy.max_tokens_per_task} (used {tokens})")

    verdicts = verdicts_of(state)
    if any(v.label == "contradicted" for v in verdicts):
        return _escalate(state, ctx, "contradicted", None)

    custom = custom_specialists(ctx.table)
    suggested, why = plan(state, custom)
    if suggested == REVIEW_NODE:
        pool = sum((state.get("retries") or {}).values())
        return _escalate(state, ctx, why, f"retry pool {pool}/{policy.retry_budget}, max_retries_per_agent={policy.max_retries_per_agent}")

    options = sorted(ctx.table[NAME])
    view = SupervisorView(
        question=task.question,
        kind=task.kind,
        hop=int(state.get("hops", 0)),
        max_hops=int(state.get("max_hops", policy.max_hops)),
        options=options,
        suggested=suggested,
        passages=len(state.get("passages") or []),
        claims=len(claims_of(state)),
        verdict_counts=_counts(verdicts),
        answer_written=bool(state.get("answer")),
        notes=list(state.get("guidance") or []),
    )
    route: Route = ctx.engine.route(task, view)
    if route.next not in ctx.table[NAME]:
        bad = Failure(node=NAME, kind="transition", detail=f"route to {route.next!r} is not in the table (allowed: {', '.join(options)})", hop=view.hop)
        return _escalate(state, ctx, "failure", None, [bad])
    cmd = _go(state, ctx, route.next, route.instructions, route.reason or why)
    if cmd.goto in custom:  # a custom specialist is planned once: count the handoff
        done = dict(state.get("done") or {})
        cmd.update["done"] = {**done, cmd.goto: done.get(cmd.goto, 0) + 1}
    if route.next == "analyze" and state.get("claims"):
        retries = dict(state.get("retries") or {})
        if cmd.goto == "analyze":
            retries["analyze"] = retries.get("analyze", 0) + 1
            cmd.update["retries"] = retries
            cmd.update["iterations"] = int(state.get("iterations", 0)) + 1
    return cmd


