"""The supervisor graph: state, the transition table, the guard, and ``build_graph``."""

from baton.graph.build import build_graph, default_nodes
from baton.graph.guard import NodeFn, Turn, guard, recording_turns
from baton.graph.state import Account, NodeContext, RunState, account_of, initial_state
from baton.graph.table import (
    DEFAULT_TABLE,
    SPECIALISTS,
    Table,
    default_table,
    draw_mermaid,
    validate_table,
)

__all__ = [
    "Account",
    "DEFAULT_TABLE",
    "SPECIALISTS",
    "NodeContext",
    "NodeFn",
    "RunState",
    "Table",
    "Turn",
    "account_of",
    "build_graph",
    "default_nodes",
    "default_table",
    "draw_mermaid",
    "guard",
    "initial_state",
    "recording_turns",
    "validate_table",
]
