"""``supervise``: the hub. Owns the task and its success criteria, enforces the policy, and
hands the work to one specialist at a time as a ``Handoff``.

Each turn evaluates ``RULES`` in order; a rule is ``rule(state, ctx) -> Command | None`` and
the first that returns a ``Command`` decides:

1. ``budget_rule``, the run's bounds: tokens past the budget, or money past
   ``policy.max_cost_per_task``: ``review`` (``budget_exceeded``); node time past ``policy.pipeline_timeout_s``: ``review``
   (``failure``, a ``timeout`` Failure). Each such review grants one more budget (the
   account's ``token_allowance`` / ``time_allowance``), so every further budget's worth of
   work needs a human;
2. ``failure_rule``, a pending failure: the circuit breaker first (the same failure signature
   met by two nodes escalates at once, ``baton.faults.register``); else retry its node with
   the error fed back while the shared retry pool allows (after an exponential backoff with
   jitter for transient causes: timeout, rate_limit, server_error, connection;
   ``baton.faults.back_off``), else escalate to ``review`` (reason ``failure``);
3. ``directive_rule``, a reviewer's ``send_back``: hand the work to that node with the
   reviewer's note (the reviewer authorised it, so it is made even at the hop ceiling);
4. ``contradicted_rule``, a contradicted claim: ``review`` (``contradicted``); more
   unsupported claims than ``policy.max_unsupported_fraction``: ``review`` (``unsupported``);
5. ``route_rule``, otherwise the plan (``baton.routing.plan``: the graph's specialists in
   plan order, ``ctx.specialists``, each run when ready), offered to the engine as
   ``suggested``; the engine's ``Route`` is validated against the transition table and the
   supervisor's gates (``baton.routing.gate``: no ``finish`` or ``review`` the plan does not
   call for, no ``write`` or ``finish`` while a claim lacks a verdict), so nothing a source
   says can change routing or skip verification. A refused or failed route is a recorded
   ``Failure`` and is asked again with the error fed back, from the same pool; when the pool
   is spent the run escalates. A specialist without ``ready`` runs once (``supervise``
   counts the handoff in the account's ``done[name]``). A handoff to a specialist at
   ``max_hops``: ``review`` (``hop_limit``). A revision by ``analyze`` waits
   ``policy.loop_cooldown_s`` first (a ``bound`` event when it is not 0).

Every update is built as a plain dict (``combine`` joins two); no ``Command`` is changed after
it is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.types import Command

from baton.contracts import Failure, Handoff, Route, Task
from baton.engines.base import SupervisorView
from baton.errors import InvalidDecision, ScriptError
from baton.faults import Fault, back_off, breaker_bound, classify, fault, register
from baton.names import END_NODE, REVIEW_NODE, SUPERVISE
from baton.nodes._common import review_request
from baton.routing import can_retry, exhausted, gate, needs_claims, plan, retry_pool
from baton.specialists import DEFAULT_EXPECTED_OUTPUT, DEFAULT_INSTRUCTIONS, Specialist
from baton.state import (
    APPENDED_KEYS,
    NodeContext,
    RunState,
    account_of,
    claims_of,
    directive_of,
    handoff_of,
    merge_account,
    pending_failure_of,
    policy_of,
    task_of,
    verdicts_of,
)
from baton.summary import verdict_counts

NAME = SUPERVISE

ON_FAILURE = "Return a Failure naming what is missing; never return an empty result. The supervisor retries from the shared pool or escalates to review."

Rule = Callable[[RunState, NodeContext], "Command | None"]
"""One supervisor rule: a ``Command`` when it decides the turn, else None."""


def supervise(state: RunState, ctx: NodeContext) -> Command:
    """Decide the next step: the first of ``RULES`` that returns a ``Command`` (see the module
    docstring). ``route_rule`` always decides, so a turn never ends without one."""
    for rule in RULES:
        cmd = rule(state, ctx)
        if cmd is not None:
            return cmd
    raise AssertionError("route_rule always decides")  # pragma: no cover


# -- updates ---------------------------------------------------------------------------------


def combine(update: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """A new update: ``update`` with ``extra`` added (``extra``'s lines come first in the
    append-only keys, its ``account`` fields win, its other keys replace). Neither is changed."""
    out = dict(update)
    for key, value in extra.items():
        if key in APPENDED_KEYS and key in out:
            out[key] = [*value, *out[key]]
        elif key == "account":
            out[key] = merge_account(out.get(key), value)
        else:
            out[key] = value
    return out


def _with(cmd: Command, extra: Mapping[str, Any]) -> Command:
    """A new ``Command`` to the same node with ``combine(cmd.update, extra)``."""
    return Command(goto=cmd.goto, update=combine(cmd.update, extra))


def _cleared(state: RunState, *keys: str) -> dict[str, None]:
    """``{key: None}`` for each of ``keys`` that is set: a key already clear is not written
    again (each write is a checkpoint row and an audit ``changed`` entry)."""
    return {k: None for k in keys if state.get(k) is not None}


def _counts(verdicts) -> dict[str, int]:
    """``summary.verdict_counts`` without the zero labels (what the router and handoffs show)."""
    return {label: n for label, n in verdict_counts(verdicts).items() if n}


# -- the three things a turn can emit: a handoff, a review, the end -----------------------------


def _spec(ctx: NodeContext, name: str) -> Specialist | None:
    """The graph's ``Specialist`` named ``name`` (None for a node outside the plan)."""
    return next((s for s in ctx.specialists if s.name == name), None)


def _context(state: RunState, target: str) -> list[str]:
    notes = list(state.get("guidance") or [])
    claims = claims_of(state)
    verdicts = verdicts_of(state)
    if state.get("passages"):
        notes.append(f"{len(state['passages'])} ranked passage(s) available")
    if claims:
        c = _counts(verdicts)
        notes.append(
            f"{len(claims)} claim(s); verdicts: "
            + (", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "none")
        )
    if target == "analyze":
        by_id = {v.claim_id: v for v in verdicts}
        for cl in claims:
            v = by_id.get(cl.id)
            if v is not None and v.label != "supported":
                notes.append(f"refused {cl.id} ({v.label}): {cl.text[:160]}")
    return notes[:20]


def _handoff(
    state: RunState, ctx: NodeContext, target: str, instructions: str, reason: str
) -> Command:
    """Hand the work to ``target`` (one hop), with the ``Handoff`` its ``Specialist`` describes."""
    hop = int(account_of(state).get("hops", 0)) + 1
    spec = _spec(ctx, target)
    handoff = Handoff(
        sender=NAME,
        recipient=target,
        hop=hop,
        instructions=instructions
        or (spec.instructions if spec else "")
        or DEFAULT_INSTRUCTIONS.format(name=target),
        context=_context(state, target),
        constraints=task_of(state).constraints,
        expected_output=spec.expected_output if spec else DEFAULT_EXPECTED_OUTPUT,
        on_failure=ON_FAILURE,
    )
    return Command(
        goto=target,
        update={
            "account": {"hops": hop},
            "handoff": handoff,
            **_cleared(state, "pending_failure", "directive"),
            "trace": [f"hop {hop}: supervise -> {target} ({reason})"],
        },
    )


def _escalate(
    state: RunState,
    ctx: NodeContext,
    reason: str,
    bound: str | None,
    failures: Sequence[Failure] = (),
) -> Command:
    """Pause for a reviewer: the ``ReviewRequest`` (``review_request``) with ``failures`` added
    to the run's."""
    request = review_request(
        state, ctx.table, reason, bound=bound, failures=failures, handoff=handoff_of(state)
    )
    update: dict[str, Any] = {
        "review": request,
        **_cleared(state, "pending_failure", "directive"),
        "trace": [
            f"hop {request.hop}: supervise -> review ({reason}{': ' + bound if bound else ''})"
        ],
    }
    if failures:
        update["failures"] = list(failures)
    return Command(goto=REVIEW_NODE, update=update)


def _go(state: RunState, ctx: NodeContext, target: str, instructions: str, reason: str) -> Command:
    """The step to ``target``: a review, the end, or a handoff (``review`` at ``max_hops``)."""
    if target == REVIEW_NODE:
        return _escalate(state, ctx, reason, None)
    if target == END_NODE:
        return Command(
            goto=END_NODE,
            update={
                **_cleared(state, "pending_failure"),
                "trace": [f"supervise -> finish ({reason})"],
            },
        )
    account = account_of(state)
    max_hops = int(account.get("max_hops", policy_of(state).max_hops))
    if int(account.get("hops", 0)) >= max_hops:
        return _escalate(state, ctx, "hop_limit", f"max_hops={max_hops}")
    return _handoff(state, ctx, target, instructions, reason)


def _breaker(
    state: RunState,
    ctx: NodeContext,
    registry: dict,
    tripped: tuple[str, list[str]],
    failures: Sequence[Failure] = (),
) -> Command:
    bound = breaker_bound(tripped)
    cmd = _escalate(state, ctx, "failure", bound, failures)
    return _with(cmd, {"account": {"error_registry": registry}, "bounds": [bound]})


# -- the rules, in order ---------------------------------------------------------------------


def budget_rule(state: RunState, ctx: NodeContext) -> Command | None:
    """Tokens past the allowance, or node time past the time allowance: ``review``."""
    policy = policy_of(state)
    account = account_of(state)
    tokens = int(account.get("tokens", 0))
    allowance = int(account.get("token_allowance") or policy.max_tokens_per_task)
    if tokens > allowance:
        bound = f"max_tokens_per_task={policy.max_tokens_per_task} (used {tokens})"
        return _with(
            _escalate(state, ctx, "budget_exceeded", bound),
            {
                "account": {"token_allowance": tokens + policy.max_tokens_per_task},
                "bounds": [f"budget_exceeded: {tokens} tokens used, budget {allowance}"],
            },
        )
    cost = float(account.get("cost") or 0.0)
    cap = policy.max_cost_per_task
    if cap is not None and cost > float(account.get("cost_allowance") or cap):
        bound = f"max_cost_per_task={cap:g} (used {cost:.4f})"
        return _with(
            _escalate(state, ctx, "budget_exceeded", bound),
            {
                "account": {"cost_allowance": cost + cap},
                "bounds": [f"cost_exceeded: {cost:.4f} spent, cap {cap:g}"],
            },
        )
    elapsed = float(account.get("elapsed_s") or 0.0)
    limit = float(account.get("time_allowance") or policy.pipeline_timeout_s)
    if elapsed > limit:
        late = Failure(
            node=NAME,
            kind="timeout",
            cause="pipeline_timeout",
            detail=f"pipeline_timeout: node turns took {elapsed:.1f} s, limit {limit:.1f} s",
            hop=int(account.get("hops", 0)),
        )
        bound = f"pipeline_timeout_s={policy.pipeline_timeout_s:g}"
        return _with(
            _escalate(state, ctx, "failure", bound, [late]),
            {
                "account": {"time_allowance": elapsed + policy.pipeline_timeout_s},
                "bounds": [f"pipeline_timeout: {elapsed:.1f} s of node time, limit {limit:.1f} s"],
            },
        )
    return None


def failure_rule(state: RunState, ctx: NodeContext) -> Command | None:
    """A pending failure: the circuit breaker, then a retry from the shared pool (after the
    backoff of a transient cause), else ``review``."""
    failure = pending_failure_of(state)
    if failure is None:
        return None
    policy = policy_of(state)
    registry, tripped = register(account_of(state).get("error_registry"), [failure])
    if tripped is not None:
        return _breaker(state, ctx, registry, tripped)
    node = failure.node
    if failure.retryable and node in ctx.table[NAME] and can_retry(state, node):
        retries = dict(account_of(state).get("retries") or {})
        retries[node] = retries.get(node, 0) + 1
        wait = back_off(failure, policy, retries[node])
        why = f"retry {retries[node]} after {failure.kind}" + (
            f"; backoff {wait:.2f} s" if wait else ""
        )
        spec = _spec(ctx, node)
        instructions = (
            f"{spec.instructions if spec else ''} Your previous attempt failed: {failure.detail}"
        )
        cmd = _go(state, ctx, node, instructions.strip(), why)
        charged = {"retries": retries} if cmd.goto == node else {}  # not when hop_limit
        return _with(cmd, {"account": {**charged, "error_registry": registry}})
    bound = f"retry pool {retry_pool(state)}/{policy.retry_budget} used"
    cmd = _escalate(state, ctx, "failure", bound if failure.retryable else None)
    return _with(cmd, {"account": {"error_registry": registry}})


def directive_rule(state: RunState, ctx: NodeContext) -> Command | None:
    """A reviewer's ``send_back``: hand the work over even at the hop ceiling (the reviewer
    authorised it)."""
    directive = directive_of(state)
    if directive is None:
        return None
    return _handoff(state, ctx, directive.next, directive.instructions, "sent back by reviewer")


def contradicted_rule(state: RunState, ctx: NodeContext) -> Command | None:
    """A claim the sources contradict: ``review`` (``contradicted``). Else, once every claim
    is judged and no revision is pending, more unsupported verdicts than
    ``policy.max_unsupported_fraction`` of the claims: ``review`` (``unsupported``)."""
    verdicts = verdicts_of(state)
    if any(v.label == "contradicted" for v in verdicts):
        return _escalate(state, ctx, "contradicted", None)
    bound = policy_of(state).max_unsupported_fraction
    claims = claims_of(state)
    judged = {v.claim_id: v.label for v in verdicts}
    if bound >= 1.0 or not claims or any(c.id not in judged for c in claims):
        return None
    unsupported = sum(judged[c.id] == "unsupported" for c in claims)
    if unsupported / len(claims) <= bound or needs_claims(state) or exhausted(state):
        return None
    return _escalate(
        state,
        ctx,
        "unsupported",
        f"max_unsupported_fraction={bound:g} ({unsupported} of {len(claims)} unsupported)",
    )


def route_rule(state: RunState, ctx: NodeContext) -> Command:
    """The plan, offered to the engine; its route validated (see the module docstring)."""
    policy = policy_of(state)
    suggested, why = plan(state, ctx.specialists)
    if suggested == REVIEW_NODE:
        bound = f"retry pool {retry_pool(state)}/{policy.retry_budget}, max_retries_per_agent={policy.max_retries_per_agent}"
        return _escalate(state, ctx, why, bound)
    route, refused, extra = _choose_route(state, ctx, _view(state, ctx, suggested))
    if route is None:
        return refused
    cmd = _go(state, ctx, route.next, route.instructions, route.reason or why)
    return _with(cmd, combine(extra, _charges(state, ctx, route, cmd.goto)))


RULES: tuple[Rule, ...] = (
    budget_rule,
    failure_rule,
    directive_rule,
    contradicted_rule,
    route_rule,
)
"""The supervisor's rules, in the order they are asked."""


# -- the route rule's parts ------------------------------------------------------------------


def _view(state: RunState, ctx: NodeContext, suggested: str) -> SupervisorView:
    """What the engine sees to choose a route: counts, never whole histories."""
    task = task_of(state)
    account = account_of(state)
    return SupervisorView(
        question=task.question,
        kind=task.kind,
        hop=int(account.get("hops", 0)),
        max_hops=int(account.get("max_hops", policy_of(state).max_hops)),
        options=_admissible(state, ctx, suggested),
        suggested=suggested,
        passages=len(state.get("passages") or []),
        claims=len(claims_of(state)),
        verdict_counts=_counts(verdicts_of(state)),
        answer_written=bool(state.get("answer")),
        notes=list(state.get("guidance") or []),
    )


def _admissible(state: RunState, ctx: NodeContext, suggested: str) -> list[str]:
    """The routes the model is offered: the table's targets that ``gate`` would accept now
    (sorted). A model is never offered a route it would be refused for (and a server that
    constrains tool arguments to the schema cannot produce one); a route outside them is still
    checked and refused like any other."""
    allowed = sorted(ctx.table[NAME])
    return [t for t in allowed if gate(state, t, suggested) is None] or allowed


def _charges(state: RunState, ctx: NodeContext, route: Route, goto: Any) -> dict[str, Any]:
    """What a handoff costs besides the hop: a run-once specialist's ``done`` count; a
    revision by ``analyze``: one retry from the pool and one iteration."""
    account = account_of(state)
    charged: dict[str, Any] = {}
    spec = _spec(ctx, goto) if isinstance(goto, str) else None
    if spec is not None and spec.ready is None:
        done = dict(account.get("done") or {})
        charged["done"] = {**done, goto: done.get(goto, 0) + 1}
    extra: dict[str, Any] = {}
    if route.next == "analyze" and state.get("claims") and goto == "analyze":
        retries = dict(account.get("retries") or {})
        retries["analyze"] = retries.get("analyze", 0) + 1
        charged.update(retries=retries, iterations=int(account.get("iterations", 0)) + 1)
        extra = _cooldown(policy_of(state).loop_cooldown_s)
    return {**({"account": charged} if charged else {}), **extra}


def _cooldown(seconds: float) -> dict[str, Any]:
    """``policy.loop_cooldown_s`` before a refinement iteration: wait, and record the bound."""
    if seconds <= 0:
        return {}
    time.sleep(seconds)
    return {"bounds": [f"loop_cooldown: waited {seconds:g} s before the next iteration"]}


def _ask(state: RunState, ctx: NodeContext, task: Task, view: SupervisorView):
    """One engine call and its check (the table, then ``gate``): ``(route, None)`` when
    accepted, else ``(route or None, Fault)``."""
    try:
        route: Route = ctx.engine.route(task, view)
    except (GraphBubbleUp, ScriptError, InvalidDecision):
        raise
    except Exception as exc:  # noqa: BLE001 - classified into a recorded Failure
        return None, classify(exc)
    if route.next not in ctx.table[NAME]:
        problem = (
            f"route to {route.next!r} is not in the table (allowed: {', '.join(view.options)})"
        )
        return route, fault("transition", "route", problem)
    refusal = gate(state, route.next, view.suggested)
    return route, (fault("transition", "route", refusal) if refusal is not None else None)


def _choose_route(
    state: RunState, ctx: NodeContext, view: SupervisorView
) -> tuple[Route | None, Command | None, dict]:
    """Ask the engine until a route is accepted; a refused route or a failed call is a
    ``Failure`` asked again with the error fed back, drawing on the shared pool
    (``retries["supervise"]``). Returns ``(route, None, extra_update)`` or
    ``(None, escalation, {})``."""
    task = task_of(state)
    account = account_of(state)
    retries = dict(account.get("retries") or {})
    registry = account.get("error_registry") or {}
    failures: list[Failure] = []
    asked = view
    while True:
        route, problem = _ask(state, ctx, task, asked)
        if problem is None:
            if not failures:
                return route, None, {}
            return (
                route,
                None,
                {
                    "failures": failures,
                    "account": {"retries": retries, "error_registry": registry},
                    "trace": [f"supervise: {f.kind}: {f.detail}" for f in failures],
                },
            )
        failure = problem.failure(NAME, view.hop)
        failures.append(failure)
        registry, tripped = register(registry, [failure])
        stop = _route_stop(state, ctx, problem, failures, retries, registry, tripped)
        if stop is not None:
            return None, stop, {}
        retries[NAME] = retries.get(NAME, 0) + 1
        back_off(failure, policy_of(state), retries[NAME])
        note = f"Your previous route was refused: {problem.detail}. Choose one of {view.options}; the plan suggests {view.suggested}."
        asked = view.model_copy(update={"notes": [*view.notes, note]})


def _route_stop(
    state: RunState,
    ctx: NodeContext,
    problem: Fault,
    failures: list[Failure],
    retries: dict[str, int],
    registry: dict,
    tripped: tuple[str, list[str]] | None,
) -> Command | None:
    """After a refused route: the escalation when the breaker tripped, the problem is not
    retryable or the pool is spent; None to ask again."""
    trace = [f"supervise: {f.kind}: {f.detail}" for f in failures]
    seen: RunState = {
        **state,
        "account": {**account_of(state), "retries": retries},
        "trace": [*(state.get("trace") or []), *trace],
    }  # what the reviewer sees
    if tripped is not None:
        cmd = _breaker(seen, ctx, registry, tripped, failures)
        return _with(cmd, {"account": {"retries": retries}, "trace": trace})
    if problem.retryable and can_retry(seen, NAME):
        return None
    policy = policy_of(state)
    bound = f"retry pool {sum(retries.values())}/{policy.retry_budget} used"
    cmd = _escalate(seen, ctx, "failure", bound if problem.retryable else None, failures)
    return _with(cmd, {"account": {"retries": retries, "error_registry": registry}, "trace": trace})
