"""The registry: baton's specialists, in plan order, as ``Specialist`` data.

The default transition table (``baton.graph.table.DEFAULT_TABLE``), the node set
(``default_nodes``), the supervisor's handoff texts (``INSTRUCTIONS``, ``EXPECTED_OUTPUT``) and
its plan order are derived from ``SPECIALISTS``. Adding a specialist to the default graph is
one module under ``baton.nodes`` and one entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from baton.names import FINISH, REVIEW, SUPERVISE
from baton.nodes import analyze, finish, research, review, supervise, verify, write
from baton.routing import needs_answer, needs_claims, needs_passages, needs_verdicts
from baton.specialists import Specialist
from baton.state import NodeFn

SPECIALISTS: tuple[Specialist, ...] = (
    Specialist(
        "research",
        research,
        instructions="Find the source passages that bear on the question.",
        expected_output="Ranked passages: source spans (source id, character offsets, text) relevant to the question.",
        ready=needs_passages,
    ),
    Specialist(
        "analyze",
        analyze,
        instructions="Make checkable claims that answer the question, citing the passages that support them.",
        expected_output="Claims: short factual statements, each with citations that quote source spans exactly.",
        ready=needs_claims,
    ),
    Specialist(
        "verify",
        verify,
        instructions="Check every new claim against all sources.",
        expected_output="One verdict per new claim: supported, unsupported or contradicted, with evidence spans.",
        ready=needs_verdicts,
    ),
    Specialist(
        "write",
        write,
        instructions="Compose the answer from the supported claims; cite every claim.",
        expected_output="The answer: only supported claims, each followed by its [source id] citations.",
        ready=needs_answer,
    ),
)
"""baton's specialists in plan order (``baton.routing.plan`` hands the work to the first one
that is ready)."""

HUB_NODES: Mapping[str, NodeFn] = MappingProxyType(
    {SUPERVISE: supervise, REVIEW: review, FINISH: finish}
)
"""The nodes every graph has besides its specialists."""

SPECIALIST_NAMES: tuple[str, ...] = tuple(s.name for s in SPECIALISTS)
"""Nodes that do work for the supervisor. A handoff to one of them costs one hop."""
INSTRUCTIONS: Mapping[str, str] = MappingProxyType({s.name: s.instructions for s in SPECIALISTS})
"""The supervisor's handoff instructions per specialist (from ``SPECIALISTS``)."""
EXPECTED_OUTPUT: Mapping[str, str] = MappingProxyType(
    {s.name: s.expected_output for s in SPECIALISTS}
)
"""The output the supervisor's handoff asks of each specialist (from ``SPECIALISTS``)."""


def default_nodes() -> dict[str, NodeFn]:
    """baton's built-in node functions by name: the hub nodes and every registered specialist."""
    return {**HUB_NODES, **{s.name: s.node for s in SPECIALISTS}}


__all__ = [
    "EXPECTED_OUTPUT",
    "HUB_NODES",
    "INSTRUCTIONS",
    "SPECIALISTS",
    "SPECIALIST_NAMES",
    "default_nodes",
]
