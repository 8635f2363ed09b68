"""LangGraph checkpointers for baton: SQLite (WAL, busy timeout) and in-memory, both with a
serializer that knows baton's contracts (so pydantic state is restored without warnings) and
compact channel versions (``next_version``)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlite_utils import Database

BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another writer's lock before ``database is locked`` (ms)."""

VERSION_DIGITS = 10
"""Width of a channel version: a zero-padded decimal counter (``"0000000007"``)."""


def next_version(current: str | int | None, channel: None = None) -> str:
    """The channel version after ``current``: ``VERSION_DIGITS`` zero-padded digits.

    LangGraph's ``SqliteSaver`` writes ``f"{n:032}.{random:016}"``, about 50 characters for
    every channel in every checkpoint (2.1 KB of each of baton's 28-channel checkpoints). The
    random part keeps blob keys apart in savers that store channel values apart from the
    checkpoint, keyed by version (``InMemorySaver``, Postgres): two forks of a thread reach the
    same counter, and without it one fork's values would overwrite the other's. ``SqliteSaver``
    keeps the values inside each checkpoint row, so it needs no such part; never give these
    versions to a blob-keyed saver.

    LangGraph compares versions of one channel with ``>`` and takes the ``max`` over all
    channels, so versions must sort as strings in counter order: fixed-width digits do, and
    any of them sorts after a version in the stock 32-digit format (which begins with at least
    10 zeros below 10**22), so threads written by the stock saver go on correctly. ``current``
    is None for a new channel, an int, or a version in either format.
    """
    if current is None:
        n = 0
    elif isinstance(current, int):
        n = current
    else:
        n = int(current.split(".", 1)[0])
    return f"{n + 1:0{VERSION_DIGITS}d}"


class CompactSqliteSaver(SqliteSaver):
    """LangGraph's ``SqliteSaver`` with compact channel versions (``next_version``): about
    1.1 KB less in each checkpoint of baton's graph."""

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return next_version(current)


def serializer() -> JsonPlusSerializer:
    """LangGraph's JSON+msgpack serializer with baton's pydantic contracts allow-listed."""
    from pydantic import BaseModel

    from baton import contracts, policy

    allowed = [
        (mod.__name__, name)
        for mod in (contracts, policy)
        for name, obj in vars(mod).items()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == mod.__name__
    ]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


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


def open_saver(path: str | Path) -> CompactSqliteSaver:
    """A ``CompactSqliteSaver`` on its own connection to ``path`` (``connect``: WAL, busy
    timeout; one writer process per run), its tables created if missing."""
    conn = connect(path)
    # SqliteSaver commits once per call; with implicit transactions each call is atomic. In
    # autocommit mode a SIGKILL inside put_writes could leave half a task's writes behind,
    # and the run would look finished without a report.
    conn.isolation_level = "DEFERRED"
    saver = CompactSqliteSaver(conn, serde=serializer())
    saver.setup()
    return saver


def memory_saver() -> InMemorySaver:
    """An ``InMemorySaver`` with the same serializer, for tests and notebooks (its channel
    versions stay LangGraph's: see ``next_version``)."""
    return InMemorySaver(serde=serializer())


def open_database(path: str | Path, migrations) -> tuple[sqlite3.Connection, Database]:
    """``connect(path)`` wrapped in a sqlite-utils ``Database`` with ``migrations`` (a
    ``sqlite_utils.Migrations`` set) applied. Another process migrating the same file at the
    same moment is waited for (up to five tries)."""
    conn = connect(path)
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
    return conn, db
