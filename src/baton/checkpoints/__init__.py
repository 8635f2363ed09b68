"""Storage: LangGraph's checkpoints and baton's own tables (runs, review items, decisions,
events, the effects ledger, users) in one database, behind the ``RunStore`` protocol.

- ``open_store(url)`` / ``open_saver(url)`` choose the backend from the URL
  (``baton.checkpoints.backends``: a file path or ``sqlite:///PATH``, or
  ``postgresql://USER@HOST/DB``);
- ``protocol``: ``RunStore``, ``Ledger``, ``UserStore``, the shared row helpers;
- backend-neutral policy: ``ledger`` (exactly-once records), ``retention`` (``prune``),
  ``views`` (checkpoint history), ``users`` (roles, password hashing), ``saver`` (the
  serializer, compact versions, the in-memory saver);
- ``sqlite/`` and ``postgres/``: the two backends, the only places that speak SQL.

``Store`` is the SQLite ``RunStore`` (``Store(path)``), the name baton has always exported.
"""

from baton.checkpoints.backends import open_saver, open_store
from baton.checkpoints.protocol import (
    LEASE_KEY,
    STATUSES,
    TERMINAL,
    Lease,
    Ledger,
    RunStore,
    UserStore,
    now_iso,
)
from baton.checkpoints.saver import memory_saver, serializer
from baton.checkpoints.sqlite import CompactSqliteSaver, FencedSqliteSaver, SqliteStore, connect

Store = SqliteStore
"""The SQLite ``RunStore``: ``Store(path)`` (kept for code written before ``open_store``)."""

__all__ = [
    "LEASE_KEY",
    "STATUSES",
    "TERMINAL",
    "CompactSqliteSaver",
    "FencedSqliteSaver",
    "Lease",
    "Ledger",
    "RunStore",
    "SqliteStore",
    "Store",
    "UserStore",
    "connect",
    "memory_saver",
    "now_iso",
    "open_saver",
    "open_store",
    "serializer",
]
