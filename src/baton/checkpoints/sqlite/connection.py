"""SQLite connections for baton: WAL, a busy timeout, ``synchronous=NORMAL``, and sqlite-utils
migrations applied once per file (another process migrating the same file is waited for)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database, Migrations

BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another writer's lock before ``database is locked`` (ms)."""


def connect(path: str | Path, *, timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """Open ``path`` for use across threads, in WAL mode with a busy timeout and
    ``synchronous=NORMAL`` (durable at every checkpoint of the WAL)."""
    conn = sqlite3.connect(
        str(path), check_same_thread=False, timeout=timeout_ms / 1000, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def migrate(conn: sqlite3.Connection, migrations: Migrations) -> Database:
    """``conn`` as a sqlite-utils ``Database`` with ``migrations`` applied (up to five tries
    while another process migrates the same file)."""
    db = Database(conn)
    for attempt in range(5):
        try:
            if migrations.pending(db):
                migrations.apply(db)
            break
        except sqlite3.OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return db
