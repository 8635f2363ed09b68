"""The transition table: which node may hand work to which. It is data, validated by
``validate_table`` when a graph is built, enforced at run time by the guard, and drawn by
``draw_mermaid`` (so the drawing and the behaviour always agree).

Hub and spoke: ``supervise`` owns the task; every specialist returns to it; ``review`` (the
human gate) may go back to ``supervise`` or end at ``finish``; ``finish`` ends the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from baton.errors import GraphValidationError
from baton.graph.registry import SPECIALISTS
from baton.names import END_NODE, REVIEW_NODE, START_NODE
from baton.specialists import Specialist

Table = dict[str, set[str]]
"""``{node: {nodes it may go to}}``. ``finish`` maps to an empty set (it ends the run)."""


def table_for(specialists: Sequence[Specialist]) -> Mapping[str, frozenset[str]]:
    """The hub-and-spoke table of ``specialists``: ``supervise`` may hand to each of them, to
    ``review`` and to ``finish``; each specialist returns to ``supervise``; ``review`` goes
    back to ``supervise`` or ends at ``finish``; ``finish`` ends the run."""
    names = [s.name for s in specialists]
    return MappingProxyType(
        {
            START_NODE: frozenset({*names, REVIEW_NODE, END_NODE}),
            **{name: frozenset({START_NODE}) for name in names},
            REVIEW_NODE: frozenset({START_NODE, END_NODE}),
            END_NODE: frozenset(),
        }
    )


DEFAULT_TABLE: Mapping[str, frozenset[str]] = table_for(SPECIALISTS)
"""baton's default table, derived from the registry (``baton.graph.registry.SPECIALISTS``)."""


def default_table() -> Table:
    """A fresh, mutable copy of baton's default table (edit it, then pass it to ``build_graph``)."""
    return {node: set(targets) for node, targets in DEFAULT_TABLE.items()}


def failure_target(table: Mapping[str, Iterable[str]], node: str) -> str:
    """Where the guard sends a node's failure: back to ``supervise`` (which retries or
    escalates) when the table allows it, else to ``review``."""
    targets = set(table[node])
    if node != START_NODE and START_NODE in targets:
        return START_NODE
    if REVIEW_NODE in targets:
        return REVIEW_NODE
    raise GraphValidationError(
        f"node {node!r} has no failure path: it must be able to go to {START_NODE!r} or {REVIEW_NODE!r}",
        node=node,
    )


def validate_table(table: Mapping[str, Iterable[str]], nodes: Iterable[str] | None = None) -> Table:
    """Check that ``table`` can run and return it normalised to ``{node: set}``.

    ``nodes`` are the node names that have an implementation (default: the table's keys).
    Raises ``GraphValidationError`` naming the node when a node is unknown (a target with no
    row or no implementation), unreachable from ``supervise``, a dead end with no way to
    ``finish``, or has no failure path; or when ``supervise``/``finish``/``review`` is missing
    or ``finish`` has outgoing transitions.
    """
    norm: Table = {str(k): {str(t) for t in v} for k, v in table.items()}
    known = set(norm) if nodes is None else set(nodes)
    for required in (START_NODE, END_NODE, REVIEW_NODE):
        if required not in norm:
            raise GraphValidationError(f"the table has no {required!r} node", node=required)
    for node, targets in norm.items():
        if node not in known:
            raise GraphValidationError(
                f"node {node!r} is in the table but has no implementation", node=node
            )
        for t in sorted(targets):
            if t not in norm:
                raise GraphValidationError(f"{node!r} -> {t!r}: unknown node {t!r}", node=t)
    if norm[END_NODE]:
        raise GraphValidationError(
            f"{END_NODE!r} must not transition anywhere (it ends the run)", node=END_NODE
        )

    reachable = _reach(norm, START_NODE)
    for node in sorted(norm):
        if node not in reachable:
            raise GraphValidationError(
                f"node {node!r} is unreachable from {START_NODE!r}", node=node
            )

    reverse: Table = {n: set() for n in norm}
    for node, targets in norm.items():
        for t in targets:
            reverse[t].add(node)
    can_finish = _reach(reverse, END_NODE)
    for node in sorted(norm):
        if node not in can_finish:
            raise GraphValidationError(f"node {node!r} has no way to {END_NODE!r}", node=node)
        if node != END_NODE:
            failure_target(norm, node)
    return norm


def _reach(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def draw_mermaid(table: Mapping[str, Iterable[str]]) -> str:
    """A mermaid ``flowchart`` of the table, offline (no web service). Deterministic: nodes
    and edges are sorted, so the drawing can be snapshot-tested."""
    norm = {k: sorted(set(v)) for k, v in table.items()}
    lines = ["flowchart TD", "    __start__([start]) --> supervise"]
    for node in sorted(norm):
        if node == END_NODE:
            shape = f"    {node}([{node}])"
        elif node == REVIEW_NODE:
            shape = f"    {node}{{{{{node}: human}}}}"
        else:
            shape = f"    {node}[{node}]"
        lines.append(shape)
    for node in sorted(norm):
        for t in norm[node]:
            arrow = "-.->" if node != START_NODE and t == START_NODE else "-->"
            lines.append(f"    {node} {arrow} {t}")
    lines.append(f"    {END_NODE} --> __end__([end])")
    return "\n".join(lines) + "\n"
