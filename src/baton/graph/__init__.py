"""The supervisor graph: the specialist registry, the transition table, the guard, and
``build_graph``. The state it runs on is ``baton.state`` (re-exported here)."""

from baton.graph.build import build_graph, plan_order
from baton.graph.guard import Turn, guard, recording_turns
from baton.graph.registry import SPECIALIST_NAMES, SPECIALISTS, default_nodes
from baton.graph.table import (
    DEFAULT_TABLE,
    Table,
    default_table,
    draw_mermaid,
    table_for,
    validate_table,
)
from baton.specialists import Specialist
from baton.state import Account, NodeContext, NodeFn, RunState, account_of, initial_state

__all__ = [
    "Account",
    "DEFAULT_TABLE",
    "NodeContext",
    "NodeFn",
    "RunState",
    "SPECIALISTS",
    "SPECIALIST_NAMES",
    "Specialist",
    "Table",
    "Turn",
    "account_of",
    "build_graph",
    "default_nodes",
    "default_table",
    "draw_mermaid",
    "guard",
    "initial_state",
    "plan_order",
    "recording_turns",
    "table_for",
    "validate_table",
]
