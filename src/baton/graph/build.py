"""``build_graph``: validate a transition table, wire the nodes through the guard, compile."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from baton.graph.guard import NodeFn, guard
from baton.graph.state import NodeContext, RunState
from baton.graph.table import DEFAULT_TABLE, START_NODE, Table, validate_table


def default_nodes() -> dict[str, NodeFn]:
    """baton's built-in node functions by name."""
    from baton.nodes import NODES

    return dict(NODES)


def build_graph(
    table: Mapping[str, Iterable[str]] | None = None,
    *,
    nodes: Mapping[str, NodeFn] | None = None,
    engine: Any = None,
    verifier: Callable[..., Any] | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph:
    """Build and compile baton's supervisor graph.

    - ``table``: the transition table (default ``DEFAULT_TABLE``); validated first.
    - ``nodes``: node functions to add or replace, ``{name: fn(state, ctx) -> Command | dict}``.
    - ``engine``: what does the specialist work (default: ``baton.engines.default_engine()``,
      the offline engine unless a model is configured).
    - ``verifier``: ``verify(claims, sources) -> list[Verdict]`` (default:
      ``baton.verifiers.default_verifier()``, the heterogeneous verifier with the checks that
      settings name).

    An engine or verifier with ``local = True`` declares that its work is CPU work on this
    machine (no model call, no network): the built-in nodes then run their turns inline
    instead of on a watched thread (see ``baton.graph.guard``). Without the attribute it is
    taken as not local. The offline engine and the default verifier are local; custom
    ``nodes`` are always watched.
    - ``checkpointer``: any LangGraph checkpointer (``InMemorySaver``, baton's
      ``open_saver(path)``); interrupts for review need one.

    Raises ``GraphValidationError`` (naming the node) when the table cannot run.
    """
    impl = default_nodes()
    impl.update(nodes or {})
    checked: Table = validate_table(DEFAULT_TABLE if table is None else table, impl)
    if engine is None:
        from baton.engines import default_engine

        engine = default_engine()
    verifier_local = verifier is None or bool(getattr(verifier, "local", False))
    if verifier is None:
        from baton.verifiers import default_verifier

        verifier = default_verifier()
    local = bool(getattr(engine, "local", False)) and verifier_local
    custom = set(nodes or ())

    builder = StateGraph(RunState)
    for name in sorted(checked):
        ctx = NodeContext(name, checked, engine, verifier, watched=name in custom or not local)
        builder.add_node(
            name, guard(impl[name], ctx), destinations=tuple(sorted(checked[name])) or (END,)
        )
    builder.add_edge(START, START_NODE)
    compiled = builder.compile(checkpointer=checkpointer, name="baton")
    compiled.transition_table = checked  # type: ignore[attr-defined]
    return compiled
