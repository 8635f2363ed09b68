"""Storage: LangGraph's SQLite checkpointer and baton's own tables, in one SQLite file.

All of baton's SQL lives here, so another backend (e.g. PostgreSQL) can be added without
touching the graph.
"""

from baton.checkpoints.saver import (
    CompactSqliteSaver,
    connect,
    memory_saver,
    open_saver,
    serializer,
)
from baton.checkpoints.store import Store, now_iso

__all__ = [
    "CompactSqliteSaver",
    "Store",
    "connect",
    "memory_saver",
    "now_iso",
    "open_saver",
    "serializer",
]
