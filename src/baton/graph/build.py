"""``build_graph``: place the specialists in the plan, validate the transition table, wire the
nodes through the guard, compile."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from baton.engines import default_engine
from baton.graph.guard import guard
from baton.graph.registry import SPECIALISTS, default_nodes
from baton.graph.table import DEFAULT_TABLE, Table, table_for, validate_table
from baton.names import HUB, START_NODE
from baton.specialists import Specialist, arrange
from baton.state import NodeContext, NodeFn, RunState
from baton.verifiers import default_verifier


def plan_order(
    table: Mapping[str, Iterable[str]],
    nodes: Mapping[str, NodeFn],
    specialists: Sequence[Specialist] = (),
) -> tuple[Specialist, ...]:
    """The graph's specialists in plan order: the registry's (``SPECIALISTS``), then
    ``specialists`` placed by their ``after``, then every other node ``supervise`` may hand to
    in ``table`` (a custom node given only through ``nodes=``), in name order, as a
    ``Specialist`` run once after ``verify``."""
    given = {s.name for s in specialists}
    known = {s.name for s in SPECIALISTS} | given | set(HUB)
    legacy = [
        Specialist(name, nodes[name])
        for name in sorted(set(table.get(START_NODE, ())) - known)
        if name in nodes
    ]
    return arrange(SPECIALISTS, [*specialists, *legacy])


def build_graph(
    table: Mapping[str, Iterable[str]] | None = None,
    *,
    nodes: Mapping[str, NodeFn] | None = None,
    specialists: Sequence[Specialist] = (),
    engine: Any = None,
    verifier: Callable[..., Any] | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph:
    """Build and compile baton's supervisor graph.

    - ``table``: the transition table (default: ``DEFAULT_TABLE`` with a row for each of
      ``specialists``); validated first.
    - ``nodes``: node functions to add or replace, ``{name: fn(state, ctx) -> Command | dict}``.
      A node the table lets ``supervise`` hand to that is neither in the registry nor in
      ``specialists`` is planned once, after ``verify``, in name order.
    - ``specialists``: custom ``baton.specialists.Specialist`` entries (the registry's type):
      each is added to the default table and planned where its ``after`` / ``ready`` say. One
      named like a registry entry replaces it.
    - ``engine``: what does the specialist work (default: ``baton.engines.default_engine()``,
      the offline engine unless a model is configured).
    - ``verifier``: ``verify(claims, sources) -> list[Verdict]`` (default:
      ``baton.verifiers.default_verifier()``, the heterogeneous verifier with the checks that
      settings name).

    An engine or verifier with ``local = True`` declares that its work is CPU work on this
    machine (no model call, no network): the built-in nodes then run their turns inline
    instead of on a watched thread (see ``baton.graph.guard``). Without the attribute it is
    taken as not local. The offline engine and the default verifier are local; custom
    ``nodes`` and ``specialists`` are always watched.
    - ``checkpointer``: any LangGraph checkpointer (``InMemorySaver``, baton's
      ``open_saver(path)``); interrupts for review need one.

    Raises ``GraphValidationError`` (naming the node) when the table cannot run or a
    specialist's ``after`` names no specialist.
    """
    impl = default_nodes()
    impl.update({s.name: s.node for s in specialists})
    impl.update(nodes or {})
    if table is None:
        table = table_for(arrange(SPECIALISTS, specialists))
    checked: Table = validate_table(table, impl)
    order = plan_order(checked, impl, specialists)
    if engine is None:
        engine = default_engine()
    verifier_local = verifier is None or bool(getattr(verifier, "local", False))
    if verifier is None:
        verifier = default_verifier()
    local = bool(getattr(engine, "local", False)) and verifier_local
    custom = set(nodes or ()) | {s.name for s in specialists}

    builder = StateGraph(RunState)
    for name in sorted(checked):
        ctx = NodeContext(
            name,
            checked,
            engine,
            verifier,
            watched=name in custom or not local,
            specialists=order,
        )
        builder.add_node(
            name, guard(impl[name], ctx), destinations=tuple(sorted(checked[name])) or (END,)
        )
    builder.add_edge(START, START_NODE)
    compiled = builder.compile(checkpointer=checkpointer, name="baton")
    compiled.transition_table = checked  # type: ignore[attr-defined]
    return compiled


__all__ = ["DEFAULT_TABLE", "build_graph", "default_nodes", "plan_order"]
