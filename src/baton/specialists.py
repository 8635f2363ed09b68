"""``Specialist``: one specialist node as data (name, node function, handoff texts, readiness),
and ``arrange``, which places custom specialists in the plan.

The registry of baton's own specialists is ``baton.graph.registry.SPECIALISTS``; the default
transition table, the node set, the supervisor's handoff texts and its plan order are derived
from it. A custom specialist is the same type, passed to ``build_graph(specialists=[...])``.
A leaf beside ``state``: it imports only ``state`` and ``errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from baton.errors import GraphValidationError
from baton.state import NodeFn, RunState

Ready = Callable[[RunState], "str | None"]
"""``ready(state) -> reason | None``: why the specialist should run now (the reason goes to
the handoff's trace line), or None when it has nothing to do."""

DEFAULT_INSTRUCTIONS = "Do the {name} step."
DEFAULT_EXPECTED_OUTPUT = "A result in the node's declared contract."


@dataclass(frozen=True)
class Specialist:
    """A node that does work for ``supervise`` (passive data; behaviour lives in functions).

    - ``name``: the node's name (unique in the graph);
    - ``node``: ``fn(state, ctx) -> Command | dict`` (``baton.state.NodeFn``);
    - ``instructions`` / ``expected_output``: the texts of the ``Handoff`` the supervisor
      gives it (empty ``instructions``: ``DEFAULT_INSTRUCTIONS``);
    - ``ready``: ``ready(state) -> reason | None`` (``Ready``); None means *once*: the
      specialist is ready until it has run once (``supervise`` counts its handoffs in the
      account's ``done[name]``);
    - ``after``: for a custom specialist, the specialist it is planned after (default
      ``"verify"``: after the claims are verified, before ``write``). The registry's own
      entries are planned in registry order.

    The plan (``baton.routing.plan``) hands the work to the first specialist, in plan order,
    that is ready.
    """

    name: str
    node: NodeFn
    instructions: str = ""
    expected_output: str = DEFAULT_EXPECTED_OUTPUT
    ready: Ready | None = None
    after: str = "verify"


def arrange(base: Sequence[Specialist], extra: Iterable[Specialist]) -> tuple[Specialist, ...]:
    """The plan order: ``base`` in its order, each of ``extra`` inserted right after the
    specialist its ``after`` names (after the ones already placed there, so ``extra`` keeps
    its own order). A name in ``extra`` that is already in ``base`` replaces that entry in
    place. Raises ``GraphValidationError`` when ``after`` names no specialist of the plan."""
    order = list(base)
    placed: set[str] = set()
    for spec in extra:
        names = [s.name for s in order]
        if spec.name in names:
            order[names.index(spec.name)] = spec
            continue
        if spec.after not in names:
            raise GraphValidationError(
                f"specialist {spec.name!r} is planned after {spec.after!r}, which is not a specialist of the graph (have: {names})",
                node=spec.name,
            )
        i = names.index(spec.after) + 1
        while i < len(order) and order[i].name in placed:
            i += 1
        order.insert(i, spec)
        placed.add(spec.name)
    return tuple(order)


__all__ = ["Ready", "Specialist", "arrange"]
