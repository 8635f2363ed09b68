"""The SQLite backend: LangGraph's ``SqliteSaver`` (compact channel versions) and baton's own
tables in one file, WAL mode. All SQLite-specific code of baton lives in this package
(``INSERT OR IGNORE``, ``BEGIN IMMEDIATE``, ``sqlite_master``, ``VACUUM``, the migrations).

A backend package offers ``open_store(location)``, ``open_saver(location)`` and
``remove(location)`` (see
``baton.checkpoints.backends``); here ``location`` is a file path.
"""

from __future__ import annotations

from pathlib import Path

from baton.checkpoints.sqlite.connection import BUSY_TIMEOUT_MS, connect
from baton.checkpoints.sqlite.saver import CompactSqliteSaver, FencedSqliteSaver, open_saver
from baton.checkpoints.sqlite.store import SqliteStore

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CompactSqliteSaver",
    "FencedSqliteSaver",
    "SqliteStore",
    "connect",
    "open_saver",
    "open_store",
    "remove",
]


def open_store(location: str | Path) -> SqliteStore:
    """The ``SqliteStore`` of the file ``location`` (created and migrated if needed)."""
    return SqliteStore(location)


def remove(location: str | Path) -> None:
    """Delete the file ``location`` with its ``-wal`` and ``-shm`` files (missing ones are fine)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(location) + suffix).unlink(missing_ok=True)
