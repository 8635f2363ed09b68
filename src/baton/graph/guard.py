"""The guard: wraps every node so the transition table is enforced at run time.

LangGraph does not enforce ``destinations=`` or ``Command[Literal[...]]``: a goto to an
undeclared node runs, and a goto to an unknown name ends the run quietly. The guard checks
every goto against the table; a goto outside it is a ``TransitionError``, recorded as a
``Failure(kind="transition")`` and sent down the node's failure path (to ``supervise``,
which retries or escalates, or to ``review``). An exception inside a node becomes a
``Failure(kind="error")`` the same way. LangGraph's own control-flow exceptions (the
``interrupt()`` pause) pass through untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.graph import END
from langgraph.types import Command

from baton.contracts import Failure
from baton.errors import InvalidDecision, StepFailed, TransitionError
from baton.graph.state import NodeContext, RunState
from baton.graph.table import END_NODE, failure_target

NodeFn = Callable[[RunState, NodeContext], "Command | dict[str, Any]"]
"""A node: ``fn(state, ctx) -> Command | dict``. A dict is a state update whose goto is the
node's only transition (an error when the table gives it several)."""


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


def guard(fn: NodeFn, ctx: NodeContext) -> Callable[[RunState], Command]:
    """Wrap ``fn`` so that its result always follows ``ctx.table``."""
    allowed = frozenset(ctx.table[ctx.name])
    is_end = ctx.name == END_NODE

    def fail(state: RunState, kind: str, detail: str, retryable: bool | None = None) -> Command:
        if retryable is None:
            retryable = kind not in ("transition", "rejected")
        failure = Failure(node=ctx.name, kind=kind, detail=detail, hop=int(state.get("hops", 0)), retryable=retryable)
        return Command(
            goto=failure_target(ctx.table, ctx.name),
            update={"failures": [failure], "pending_failure": failure, "trace": [f"{ctx.name}: {kind}: {detail}"]},
        )

    def run(state: RunState) -> Command:
        try:
            result = fn(state, ctx)
        except (GraphBubbleUp, InvalidDecision):
            raise  # interrupt() and other LangGraph control flow; a bad resume value
        except StepFailed as exc:
            return fail(state, exc.kind, exc.detail, exc.retryable)
        except Exception as exc:  # noqa: BLE001 - every node error becomes a recorded Failure
            return fail(state, "error", f"{type(exc).__name__}: {exc}")

        if isinstance(result, Command):
            update, targets = result.update, _goto_list(result.goto)
        elif isinstance(result, dict) or result is None:
            update, targets = result or {}, []
        else:
            return fail(state, "invalid_output", f"node returned {type(result).__name__}, expected Command or dict")

        if is_end:
            if targets:
                err = TransitionError(ctx.name, ", ".join(targets), allowed)
                return fail(state, "transition", str(err))
            return Command(goto=END, update=update)
        if not targets:
            if len(allowed) != 1:
                return fail(state, "transition", f"{ctx.name} gave no goto and has {len(allowed)} possible transitions")
            targets = list(allowed)
        if len(targets) != 1:
            return fail(state, "transition", f"{ctx.name} tried to go to several nodes at once: {targets}")
        target = targets[0]
        if target not in allowed:
            return fail(state, "transition", str(TransitionError(ctx.name, target, allowed)))
        return Command(goto=target, update=update)

    run.__name__ = ctx.name
    run.__doc__ = fn.__doc__
    return run
