"""The guard: wraps every node so the transition table is enforced at run time.

LangGraph does not enforce ``destinations=`` or ``Command[Literal[...]]``: a goto to an
undeclared node runs, and a goto to an unknown name ends the run quietly. The guard checks
every goto against the table; a goto outside it is a ``TransitionError``, recorded as a
``Failure(kind="transition")`` and sent down the node's failure path (to ``supervise``,
which retries or escalates, or to ``review``). An exception inside a node becomes a
``Failure(kind="error")`` the same way (classified by ``baton.faults.classify``: an HTTP 429
from the model client is ``error``/``rate_limit``, a client timeout is ``timeout``...).
LangGraph's own control-flow exceptions (the ``interrupt()`` pause) pass through untouched,
and so does ``ScriptError`` (a broken test script is not a run failure).

The guard also keeps the run's accounts (every node but ``review``):

- **turn and idle timeouts**: a *watched* node (``NodeContext.watched``: one whose engine or
  verifier may wait on a model or the network, and every custom node) runs on a pooled
  thread; past ``policy.agent_turn_timeout_s`` of wall clock, or, once the engine has called
  a model, ``policy.idle_timeout_s`` with no sign of life from it (a model call starting or a
  reply arriving, or an answer of the server to a liveness probe while a call waits,
  ``baton.engines.liveness``), the turn is abandoned: the idle clock measures the server's
  silence, not a call's length. A *bounded* model call in flight whose server cannot be
  probed (``Meter.in_flight``: a client that closes the HTTP request at its own timeout, cut
  to end before the turn's) pauses the idle clock instead. Either way the turn is recorded as
  ``Failure(kind="timeout")`` (detail ``timeout: ...``). The abandoned thread's result is
  discarded (nodes only act through their returned update). A node whose engine and verifier
  are ``local`` (CPU work on this machine, such as the offline engine) runs inline: abandoning
  CPU work frees nothing (the thread keeps the core and the GIL), so such a turn is timed and,
  past ``agent_turn_timeout_s``, recorded as the same timeout failure when it returns.
- **tokens**: the turn's ``baton.usage.Meter`` is added to ``account["tokens"]``; crossing
  ``policy.token_alert_fraction`` of the budget appends a ``bounds`` entry (the worker writes
  it as a ``bound`` event);
- **time**: the turn's seconds are added to ``account["elapsed_s"]`` (``supervise`` compares it with
  ``policy.pipeline_timeout_s``).

Every turn that ends with an update (a node's own, or the recorded failure) is reported as a
``Turn`` to the recorder installed with ``recording_turns()``: the worker builds the audit
trail from these. (Not on LangGraph's ``custom`` stream: streaming ``custom`` makes LangGraph
run every task on its thread pool, about a third slower per hop.) An ``interrupt()`` pause
reports nothing; the node runs again on resume.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END
from langgraph.types import Command

from baton.errors import InvalidDecision, ScriptError, StepFailed, TransitionError
from baton.faults import Fault, classify, fault
from baton.graph.table import failure_target
from baton.names import END_NODE, REVIEW_NODE
from baton.policy import Policy
from baton.state import (
    NodeContext,
    NodeFn,
    RunState,
    account_of,
    apply_update,
    merge_account,
    policy_of,
)
from baton.usage import Meter, metered


class Turn(NamedTuple):
    """One node turn as the guard saw it (see ``recording_turns``).

    - ``node``: the node's name; ``step``: LangGraph's superstep of the turn (the ``step`` of
      the checkpoint that holds its update); ``task_id``: LangGraph's task id (deterministic:
      ``get_state_history`` shows the same id, so a turn is recognised after a crash);
    - ``state``: the state the node received; ``update``: what it wrote (the recorded failure
      when it failed); ``goto``: the node it handed over to (None when the run ends);
    - ``seconds``: wall time of the turn; ``ended_at``: when it ended (UTC).
    """

    node: str
    step: int | None
    task_id: str | None
    state: Mapping[str, Any]
    update: Mapping[str, Any]
    goto: str | None
    seconds: float
    ended_at: datetime

    def values_after(self) -> dict[str, Any]:
        """The state after the turn: ``update`` applied to ``state`` with ``RunState``'s own
        reducers (``baton.state.apply_update``: ``account`` merged field by field; ``trace``,
        ``failures`` and ``bounds`` appended; every other key replaced)."""
        return apply_update(self.state, self.update)


_TASK_ID = "__pregel_task_id"  # langgraph._internal._constants.CONFIG_KEY_TASK_ID

_RECORDER: contextvars.ContextVar[list[Turn] | None] = contextvars.ContextVar(
    "baton_turns", default=None
)


@contextmanager
def recording_turns() -> Iterator[list[Turn]]:
    """Collect, in order, the ``Turn`` of every guarded node that runs inside the block (in
    this context, and in the threads LangGraph copies it to)::

        with recording_turns() as turns:
            for _ in graph.stream(graph_input, config, stream_mode="updates"):
                ...  # turns grows by one per node turn
    """
    turns: list[Turn] = []
    token = _RECORDER.set(turns)
    try:
        yield turns
    finally:
        _RECORDER.reset(token)


def _report(node: str, state: RunState, cmd: Command, seconds: float, config: Any) -> None:
    """Append the turn to the installed recorder (see ``Turn``); nothing when there is none."""
    turns = _RECORDER.get()
    if turns is None:
        return
    goto = cmd.goto if isinstance(cmd.goto, str) else None
    turns.append(
        Turn(
            node,
            ((config or {}).get("metadata") or {}).get("langgraph_step"),
            ((config or {}).get("configurable") or {}).get(_TASK_ID),
            state,
            cmd.update if isinstance(cmd.update, Mapping) else {},
            None if goto == END else goto,
            seconds,
            datetime.now(UTC),
        )
    )


def _goto_list(goto: Any) -> list[str]:
    if goto is None or goto == ():
        return []
    if isinstance(goto, str):
        return [goto]
    if isinstance(goto, (list, tuple)):
        out = []
        for g in goto:
            out.append(g if isinstance(g, str) else getattr(g, "node", repr(g)))
        return out
    return [getattr(goto, "node", repr(goto))]


class _TurnTimeout(Exception):
    pass


_TURNS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="baton-turn")
"""Threads that run node turns. Pooled: starting a thread per turn cost about 1 ms a hop. A
turn abandoned at its timeout keeps its thread until it returns; 32 leave room for many."""


def _too_long(ctx: NodeContext, turn_s: float) -> StepFailed:
    return fault(
        "timeout", "timeout", f"{ctx.name} turn took longer than agent_turn_timeout_s={turn_s:g}"
    ).step_failed()


def _turn(fn: NodeFn, state: RunState, ctx: NodeContext, meter: Meter, policy: Policy) -> Any:
    """Run ``fn(state, ctx)`` under the turn and idle timeouts: on a pooled thread (same
    context variables) when ``ctx.watched``, else inline (see the module docstring). Raises
    what ``fn`` raises, or ``StepFailed(timeout)``."""

    def target() -> Any:
        with metered(meter):
            return fn(state, ctx)

    started = meter.last_activity = time.monotonic()
    turn_s, idle_s = policy.agent_turn_timeout_s, policy.idle_timeout_s
    meter.deadline, meter.idle_s = started + turn_s, idle_s
    if not ctx.watched:
        result = target()
        if time.monotonic() - started >= turn_s:
            raise _too_long(ctx, turn_s)
        return result
    context = contextvars.copy_context()
    future = _TURNS.submit(context.run, target)
    while True:
        now = time.monotonic()
        if now - started >= turn_s:
            future.cancel()
            raise _too_long(ctx, turn_s)
        idle = meter.active and not meter.in_flight  # a bounded call has its own timeout
        if idle and now - meter.last_activity >= idle_s:
            future.cancel()
            raise fault(
                "timeout",
                "timeout",
                f"{ctx.name} was idle longer than idle_timeout_s={idle_s:g} (no model reply)",
            ).step_failed()
        wake = min(started + turn_s, meter.last_activity + idle_s) if idle else started + turn_s
        try:
            return future.result(timeout=max(0.001, min(wake - now, 0.25)))
        except FutureTimeout:
            continue


def _prime(meter: Meter, state: RunState, node: str) -> Meter:
    """Give the turn's meter what the engine reads from it: the node and hop (for model-call
    events), the output bound of one call (``policy.max_tokens_per_call``), the tokens the
    task has left (``budget_left``: the engine cuts a call's bound to fit), the policy's price table and, with
    ``retry_scope="call"``, the retries a failed call may take from the shared pool."""
    policy = policy_of(state)
    account = account_of(state)
    meter.node, meter.hop = node, int(account.get("hops", 0))
    allowance = int(account.get("token_allowance") or policy.max_tokens_per_task)
    meter.call_limit = policy.max_tokens_per_call
    meter.budget_left = allowance - int(account.get("tokens", 0))
    meter.prices = policy.prices
    meter.backoff_s = policy.retry_backoff_base_s
    if policy.retry_scope == "call":
        retries = account.get("retries") or {}
        meter.call_retries = max(
            0,
            min(
                policy.max_retries_per_agent - retries.get(node, 0),
                policy.retry_budget - sum(retries.values()),
            ),
        )
    return meter


def _account(state: RunState, cmd: Command, meter: Meter, seconds: float, node: str) -> None:
    """Charge the turn's tokens, cost, call retries and seconds to the run (see the module
    docstring)."""
    update = cmd.update
    if not isinstance(update, dict):
        return
    account = account_of(state)
    elapsed = round(float(account.get("elapsed_s") or 0.0) + seconds, 6)
    update["account"] = charge = merge_account(update.get("account"), {"elapsed_s": elapsed})
    if meter.retries_used:
        retries = dict(charge.get("retries") or account.get("retries") or {})
        retries[node] = retries.get(node, 0) + meter.retries_used
        charge["retries"] = retries
    if meter.cost > 0:
        charge["cost"] = round(float(account.get("cost") or 0.0) + meter.cost, 9)
    if meter.tokens <= 0:
        return
    policy = policy_of(state)
    before = int(account.get("tokens", 0))
    after = before + meter.tokens
    charge["tokens"] = after
    alert_at = policy.token_alert_fraction * policy.max_tokens_per_task
    if before < alert_at <= after:
        note = f"token_alert: {after} of {policy.max_tokens_per_task} tokens used ({after / policy.max_tokens_per_task:.0%}; alert at {policy.token_alert_fraction:.0%})"
        update["bounds"] = [*update.get("bounds", []), note]


def guard(fn: NodeFn, ctx: NodeContext) -> Callable[[RunState], Command]:
    """Wrap ``fn`` so that its result always follows ``ctx.table``."""
    allowed = frozenset(ctx.table[ctx.name])
    is_end = ctx.name == END_NODE

    def fail(state: RunState, problem: Fault) -> Command:
        failure = problem.failure(ctx.name, int(account_of(state).get("hops", 0)))
        return Command(
            goto=failure_target(ctx.table, ctx.name),
            update={
                "failures": [failure],
                "pending_failure": failure,
                "trace": [f"{ctx.name}: {failure.kind}: {failure.detail}"],
            },
        )

    def refuse(state: RunState, detail: str) -> Command:
        """A goto outside the table: a ``transition`` failure (cause ``route``), not retried."""
        return fail(state, Fault("transition", "route", False, detail))

    timed = ctx.name != REVIEW_NODE  # the human gate is never on the clock

    def run(state: RunState, config: RunnableConfig) -> Command:
        meter = _prime(Meter(), state, ctx.name)
        started = time.monotonic()
        cmd = checked(state, meter)
        seconds = time.monotonic() - started
        if timed:
            _account(state, cmd, meter, seconds, ctx.name)
        _report(ctx.name, state, cmd, seconds, config)
        return cmd

    def checked(state: RunState, meter: Meter) -> Command:
        try:
            result = _turn(fn, state, ctx, meter, policy_of(state)) if timed else fn(state, ctx)
        except (GraphBubbleUp, InvalidDecision, ScriptError):
            raise  # interrupt() and other LangGraph control flow; a bad resume value; a broken test script
        except Exception as exc:  # noqa: BLE001 - every node error becomes a recorded Failure
            return fail(state, classify(exc))  # a StepFailed keeps its kind, cause, retryable

        if isinstance(result, Command):
            update, targets = result.update, _goto_list(result.goto)
        elif isinstance(result, dict) or result is None:
            update, targets = result or {}, []
        else:
            return fail(
                state,
                Fault(
                    "invalid_output",
                    "invalid_output",
                    True,
                    f"node returned {type(result).__name__}, expected Command or dict",
                ),
            )

        if is_end:
            if targets:
                err = TransitionError(ctx.name, ", ".join(targets), allowed)
                return refuse(state, str(err))
            return Command(goto=END, update=update)
        if not targets:
            if len(allowed) != 1:
                return refuse(
                    state, f"{ctx.name} gave no goto and has {len(allowed)} possible transitions"
                )
            targets = list(allowed)
        if len(targets) != 1:
            return refuse(state, f"{ctx.name} tried to go to several nodes at once: {targets}")
        target = targets[0]
        if target not in allowed:
            return refuse(state, str(TransitionError(ctx.name, target, allowed)))
        return Command(goto=target, update=update)

    run.__name__ = ctx.name
    run.__doc__ = fn.__doc__
    return run
