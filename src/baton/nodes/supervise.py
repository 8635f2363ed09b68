"""``supervise``: the hub. Owns the task and its success criteria, enforces the policy, and
hands the work to one specialist at a time as a ``Handoff``.

Order of decisions, each turn:

0. the run's bounds: tokens past the budget: ``review`` (``budget_exceeded``); node time past
   ``policy.pipeline_timeout_s``: ``review`` (``failure``, a ``timeout`` Failure). Each such
   review grants one more budget (the account's ``token_allowance`` / ``time_allowance``), so every further
   budget's worth of work needs a human;
1. a pending failure: the circuit breaker first (the same failure signature met by two nodes
   escalates at once, ``baton.faults.signature``); else retry its node with the error fed
   back while the shared retry pool allows (after an exponential backoff with jitter for
   transient causes: timeout, rate_limit, server_error, connection), else escalate to
   ``review`` (reason ``failure``);
2. a reviewer's ``send_back``: hand the work to that node with the reviewer's note (the
   reviewer authorised it, so it is made even at the hop ceiling);
3. (tokens: see 0);
4. a contradicted claim: ``review`` (``contradicted``);
5. otherwise the plan (research -> analyze -> verify -> revise while refused -> write ->
   finish), offered to the engine as ``suggested``; the engine's ``Route`` is validated
   against the transition table and the supervisor's gates (``gate``: no ``finish`` or
   ``review`` the plan does not call for, no ``write`` or ``finish`` while a claim lacks a
   verdict), so nothing a source says can change routing or skip verification. A refused or
   failed route is a recorded ``Failure`` and is asked again with the error fed back, from
   the same pool; when the pool is spent the run escalates. Custom specialists (nodes the table lets ``supervise``
   hand to beyond the built-in ones, e.g. added with ``build_graph(table, nodes=...)``) run
   once each, in name order, after the claims are verified and before ``write``
   (``supervise`` counts the handoff in the account's ``done[name]``);
6. a handoff to a specialist at ``max_hops``: ``review`` (``hop_limit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.types import Command

from baton import faults
from baton.contracts import Failure, Handoff, ReviewRequest, Route
from baton.engines.base import SupervisorView
from baton.errors import InvalidDecision, ScriptError
from baton.faults import MAX_BACKOFF_S, TRANSIENT, backoff_s, classify, fault, signature
from baton.names import END_NODE, REVIEW_NODE
from baton.routing import can_retry, gate, plan
from baton.specialists import DEFAULT_EXPECTED_OUTPUT, DEFAULT_INSTRUCTIONS
from baton.state import (
    NodeContext,
    RunState,
    account_of,
    claims_of,
    directive_of,
    failures_of,
    handoff_of,
    merge_account,
    pending_failure_of,
    policy_of,
    task_of,
    verdicts_of,
)

NAME = "supervise"

ON_FAILURE = "Return a Failure naming what is missing; never return an empty result. The supervisor retries from the shared pool or escalates to review."


def _counts(verdicts) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in verdicts:
        out[v.label] = out.get(v.label, 0) + 1
    return out


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


def _spec(ctx: NodeContext, name: str):
    """The graph's ``Specialist`` named ``name`` (None for a node outside the plan)."""
    return next((s for s in ctx.specialists if s.name == name), None)


def _instructions(ctx: NodeContext, name: str) -> str:
    spec = _spec(ctx, name)
    return spec.instructions if spec is not None else DEFAULT_INSTRUCTIONS.format(name=name)


def _handoff(
    state: RunState, ctx: NodeContext, target: str, instructions: str, reason: str
) -> Command:
    task = task_of(state)
    hop = int(account_of(state).get("hops", 0)) + 1
    handoff = Handoff(
        sender=NAME,
        recipient=target,
        hop=hop,
        instructions=instructions or _instructions(ctx, target),
        context=_context(state, target),
        constraints=task.constraints,
        expected_output=spec.expected_output
        if (spec := _spec(ctx, target))
        else DEFAULT_EXPECTED_OUTPUT,
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


def _cleared(state: RunState, *keys: str) -> dict[str, None]:
    """``{key: None}`` for each of ``keys`` that is set: a key already clear is not written
    again (each write is a checkpoint row and an audit ``changed`` entry)."""
    return {k: None for k in keys if state.get(k) is not None}


def _escalate(
    state: RunState,
    ctx: NodeContext,
    reason: str,
    bound: str | None,
    extra: list[Failure] | None = None,
) -> Command:
    account = account_of(state)
    hop = int(account.get("hops", 0))
    request = ReviewRequest(
        reason=reason,  # type: ignore[arg-type]
        hop=hop,
        max_hops=int(account.get("max_hops", policy_of(state).max_hops)),
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
        **_cleared(state, "pending_failure", "directive"),
        "trace": [f"hop {hop}: supervise -> review ({reason}{': ' + bound if bound else ''})"],
    }
    if extra:
        update["failures"] = list(extra)
    return Command(goto=REVIEW_NODE, update=update)


def _go(state: RunState, ctx: NodeContext, target: str, instructions: str, reason: str) -> Command:
    if target in (REVIEW_NODE,):
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


def supervise(state: RunState, ctx: NodeContext) -> Command:
    """Decide the next step (see the module docstring) and emit the ``Handoff``."""
    task = task_of(state)
    policy = policy_of(state)

    bound = _over_budget(state, ctx)
    if bound is not None:
        return bound

    failure = pending_failure_of(state)
    if failure is not None:
        return _on_failure(state, ctx, failure)

    directive = directive_of(state)
    if directive is not None:
        # The reviewer authorised this handoff: it is made even at the hop ceiling.
        return _handoff(state, ctx, directive.next, directive.instructions, "sent back by reviewer")

    verdicts = verdicts_of(state)
    if any(v.label == "contradicted" for v in verdicts):
        return _escalate(state, ctx, "contradicted", None)

    suggested, why = plan(state, ctx.specialists)
    if suggested == REVIEW_NODE:
        pool = sum((account_of(state).get("retries") or {}).values())
        return _escalate(
            state,
            ctx,
            why,
            f"retry pool {pool}/{policy.retry_budget}, max_retries_per_agent={policy.max_retries_per_agent}",
        )

    options = sorted(ctx.table[NAME])
    account = account_of(state)
    view = SupervisorView(
        question=task.question,
        kind=task.kind,
        hop=int(account.get("hops", 0)),
        max_hops=int(account.get("max_hops", policy.max_hops)),
        options=options,
        suggested=suggested,
        passages=len(state.get("passages") or []),
        claims=len(claims_of(state)),
        verdict_counts=_counts(verdicts),
        answer_written=bool(state.get("answer")),
        notes=list(state.get("guidance") or []),
    )
    route, refused, extra = _choose_route(state, ctx, task, view, why)
    if route is None:
        return refused
    cmd = _go(state, ctx, route.next, route.instructions, route.reason or why)
    _merge(cmd, extra)
    spec = _spec(ctx, cmd.goto)
    if spec is not None and spec.ready is None:  # planned once: count the handoff
        done = dict(account.get("done") or {})
        _charge(cmd, done={**done, cmd.goto: done.get(cmd.goto, 0) + 1})
    if route.next == "analyze" and state.get("claims") and cmd.goto == "analyze":
        retries = dict(account.get("retries") or {})
        retries["analyze"] = retries.get("analyze", 0) + 1
        _charge(cmd, retries=retries, iterations=int(account.get("iterations", 0)) + 1)
    return cmd


# -- bounds, failures and the route gate (see the module docstring, steps 0, 1 and 5) -------


def _merge(cmd: Command, extra: dict) -> Command:
    """Add ``extra`` to ``cmd``'s update (lists of append-only keys are concatenated, the
    ``account`` fields are merged)."""
    for key, value in extra.items():
        if key in ("failures", "trace", "bounds") and key in cmd.update:
            cmd.update[key] = list(value) + list(cmd.update[key])
        elif key == "account":
            _charge(cmd, **value)
        else:
            cmd.update[key] = value
    return cmd


def _charge(cmd: Command, **fields: Any) -> Command:
    """Write ``fields`` to the ``account`` in ``cmd``'s update (kept with the fields already
    there)."""
    cmd.update["account"] = merge_account(cmd.update.get("account"), fields)  # type: ignore[arg-type]
    return cmd


def _over_budget(state: RunState, ctx: NodeContext) -> Command | None:
    """Step 0: the token budget and the pipeline timeout."""
    policy = policy_of(state)
    account = account_of(state)
    tokens = int(account.get("tokens", 0))
    allowance = int(account.get("token_allowance") or policy.max_tokens_per_task)
    if tokens > allowance:
        bound = f"max_tokens_per_task={policy.max_tokens_per_task} (used {tokens})"
        cmd = _escalate(state, ctx, "budget_exceeded", bound)
        return _merge(
            cmd,
            {
                "account": {"token_allowance": tokens + policy.max_tokens_per_task},
                "bounds": [f"budget_exceeded: {tokens} tokens used, budget {allowance}"],
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
        cmd = _escalate(
            state, ctx, "failure", f"pipeline_timeout_s={policy.pipeline_timeout_s:g}", [late]
        )
        return _merge(
            cmd,
            {
                "account": {"time_allowance": elapsed + policy.pipeline_timeout_s},
                "bounds": [f"pipeline_timeout: {elapsed:.1f} s of node time, limit {limit:.1f} s"],
            },
        )
    return None


def _register(
    registry: Mapping[str, list[str]] | None, failures: list[Failure]
) -> tuple[dict[str, list[str]], tuple[str, list[str]] | None]:
    """Record ``failures`` in a copy of the error registry (the account's ``error_registry``).
    Returns the new registry and, when a signature has now been met by two or more nodes,
    ``(signature, nodes)`` (the breaker trips)."""
    registry = {k: list(v) for k, v in (registry or {}).items()}
    tripped = None
    for f in failures:
        sig = signature(f)
        nodes = registry.setdefault(sig, [])
        if f.node not in nodes:
            nodes.append(f.node)
        if len(nodes) >= 2 and tripped is None:
            tripped = (sig, sorted(nodes))
    return registry, tripped


def _breaker(
    state: RunState,
    ctx: NodeContext,
    registry: dict,
    tripped: tuple[str, list[str]],
    extra: list[Failure] | None = None,
) -> Command:
    sig, nodes = tripped
    what = sig.split("|", 1)[0]
    bound = f"circuit breaker: the same failure ({what}) met by {', '.join(nodes)}"
    cmd = _escalate(state, ctx, "failure", bound, extra)
    return _merge(cmd, {"account": {"error_registry": registry}, "bounds": [bound]})


def _backoff(state: RunState, failure: Failure, attempt: int) -> float:
    """Sleep before a retry when the cause is transient; returns the seconds waited."""
    if failure.cause not in TRANSIENT:
        return 0.0
    policy = policy_of(state)
    wait = backoff_s(
        policy.retry_backoff_base_s,
        attempt,
        cap_s=min(MAX_BACKOFF_S, policy.agent_turn_timeout_s / 2),
    )
    if wait > 0:
        faults.sleep(wait)
    return wait


def _on_failure(state: RunState, ctx: NodeContext, failure: Failure) -> Command:
    """Step 1: the circuit breaker, then a retry from the shared pool, else review."""
    policy = policy_of(state)
    registry, tripped = _register(account_of(state).get("error_registry"), [failure])
    if tripped is not None:
        return _breaker(state, ctx, registry, tripped)
    if failure.retryable and failure.node in ctx.table[NAME] and can_retry(state, failure.node):
        retries = dict(account_of(state).get("retries") or {})
        retries[failure.node] = retries.get(failure.node, 0) + 1
        wait = _backoff(state, failure, retries[failure.node])
        why = f"retry {retries[failure.node]} after {failure.kind}" + (
            f"; backoff {wait:.2f} s" if wait else ""
        )
        cmd = _go(
            state,
            ctx,
            failure.node,
            f"{_instructions(ctx, failure.node) if _spec(ctx, failure.node) else ''} Your previous attempt failed: {failure.detail}".strip(),
            why,
        )
        if cmd.goto == failure.node:
            _charge(cmd, retries=retries)
        return _charge(cmd, error_registry=registry)
    pool = sum((account_of(state).get("retries") or {}).values())
    cmd = _escalate(
        state,
        ctx,
        "failure",
        f"retry pool {pool}/{policy.retry_budget} used" if failure.retryable else None,
    )
    return _charge(cmd, error_registry=registry)


def _choose_route(
    state: RunState, ctx: NodeContext, task, view: SupervisorView, why: str
) -> tuple[Route | None, Command | None, dict]:
    """Step 5: ask the engine, validate the route (table, then ``gate``); a refused route or a
    failed call is a ``Failure`` and is asked again with the error fed back, drawing on the
    shared pool (``retries["supervise"]``). Returns ``(route, None, extra_update)`` or
    ``(None, escalation, {})``."""
    policy = policy_of(state)
    account = account_of(state)
    retries = dict(account.get("retries") or {})
    failures: list[Failure] = []
    registry = account.get("error_registry") or {}
    notes: list[str] = []
    while True:
        asked = view if not notes else view.model_copy(update={"notes": [*view.notes, *notes]})
        try:
            route: Route | None = ctx.engine.route(task, asked)
            problem = None
            if route.next not in ctx.table[NAME]:
                problem = fault(
                    "transition",
                    "route",
                    f"route to {route.next!r} is not in the table (allowed: {', '.join(view.options)})",
                )
            else:
                refusal = gate(state, route.next, view.suggested)
                if refusal is not None:
                    problem = fault("transition", "route", refusal)
        except (GraphBubbleUp, ScriptError, InvalidDecision):
            raise
        except Exception as exc:  # noqa: BLE001 - classified into a recorded Failure
            route, problem = None, classify(exc)
        if problem is None:
            extra: dict = {}
            if failures:
                extra = {
                    "failures": failures,
                    "account": {"retries": retries, "error_registry": registry},
                    "trace": [f"supervise: {f.kind}: {f.detail}" for f in failures],
                }
            return route, None, extra
        failure = problem.failure(NAME, view.hop)
        failures.append(failure)
        registry, tripped = _register(registry, [failure])
        trace = [f"supervise: {f.kind}: {f.detail}" for f in failures]
        seen = {
            **state,
            "account": {**account, "retries": retries},
            "trace": [*(state.get("trace") or []), *trace],
        }  # what the reviewer sees
        if tripped is not None:
            cmd = _breaker(seen, ctx, registry, tripped, failures)
            return None, _merge(cmd, {"account": {"retries": retries}, "trace": trace}), {}
        if not problem.retryable or not can_retry(seen, NAME):
            pool = sum(retries.values())
            cmd = _escalate(
                seen,
                ctx,
                "failure",
                f"retry pool {pool}/{policy.retry_budget} used" if problem.retryable else None,
                failures,
            )
            return (
                None,
                _merge(
                    cmd,
                    {
                        "account": {"retries": retries, "error_registry": registry},
                        "trace": trace,
                    },
                ),
                {},
            )
        retries[NAME] = retries.get(NAME, 0) + 1
        _backoff(state, failure, retries[NAME])
        notes = [
            f"Your previous route was refused: {problem.detail}. Choose one of {view.options}; the plan suggests {view.suggested}."
        ]
