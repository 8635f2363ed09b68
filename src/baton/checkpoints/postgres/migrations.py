"""Schema of baton's own tables in PostgreSQL, as versioned migrations recorded in
``schema_migrations`` (``version``, ``name``, ``applied_at``), applied in order, once each,
under an advisory lock (several workers starting at once migrate once). Migration 2 runs
LangGraph's ``PostgresSaver.setup()`` (its tables and its own ``checkpoint_migrations``).

The tables mirror the SQLite ones (``baton.checkpoints.sqlite.migrations``) column for column;
``seq`` (an identity column of ``runs`` and ``review_items``) stands in for SQLite's ``rowid``
as the tie-break of rows created in the same millisecond.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg

from baton.checkpoints.protocol import now_iso

ADVISORY_LOCK = 0x0BA7_0016
"""The advisory lock key held while migrating."""
LOCK_TIMEOUT_S = 120.0
"""How long a process waits for another one's migrations (seconds)."""

_INITIAL = """
CREATE TABLE IF NOT EXISTS runs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    task_id TEXT,
    kind TEXT,
    question TEXT,
    task TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    reason TEXT,
    hops INTEGER DEFAULT 0,
    max_hops INTEGER,
    current_node TEXT,
    claims INTEGER DEFAULT 0,
    supported INTEGER DEFAULT 0,
    unsupported INTEGER DEFAULT 0,
    contradicted INTEGER DEFAULT 0,
    report TEXT,
    error TEXT,
    lease_owner TEXT,
    lease_expires_at DOUBLE PRECISION,
    heartbeat_at DOUBLE PRECISION,
    attempts INTEGER DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    finished_at TEXT,
    lease_epoch INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_runs_status_created_at ON runs (status, created_at, seq);
CREATE TABLE IF NOT EXISTS review_items (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    interrupt_id TEXT NOT NULL,
    reason TEXT,
    hop INTEGER,
    max_hops INTEGER,
    request TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    action TEXT,
    UNIQUE (run_id, interrupt_id)
);
CREATE INDEX IF NOT EXISTS idx_review_items_status_created_at ON review_items (status, created_at, seq);
CREATE TABLE IF NOT EXISTS decisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id TEXT NOT NULL UNIQUE,
    run_id TEXT,
    action TEXT,
    reviewer TEXT,
    note TEXT,
    decision TEXT,
    created_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_decisions_run_id ON decisions (run_id);
CREATE TABLE IF NOT EXISTS events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT,
    step INTEGER,
    node TEXT,
    kind TEXT,
    hop INTEGER,
    summary TEXT,
    payload TEXT,
    duration_ms DOUBLE PRECISION,
    tokens INTEGER,
    created_at TEXT,
    UNIQUE (run_id, step, node, kind)
);
CREATE TABLE IF NOT EXISTS effects (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL,
    node TEXT NOT NULL,
    key TEXT NOT NULL,
    effect TEXT NOT NULL,
    worker_id TEXT,
    created_at TEXT,
    UNIQUE (run_id, node, key, effect)
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    last_login_at TEXT
);
"""


_REVIEW_DESK = """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS submitted_by TEXT;
ALTER TABLE review_items ADD COLUMN IF NOT EXISTS claimed_by TEXT;
ALTER TABLE review_items ADD COLUMN IF NOT EXISTS claimed_until DOUBLE PRECISION;
CREATE INDEX IF NOT EXISTS idx_runs_submitted_by_created_at ON runs (submitted_by, created_at);
CREATE INDEX IF NOT EXISTS idx_events_kind_created_at ON events (kind, created_at);
"""
"""The reviewer's desk (as SQLite's ``m006_review_desk``): who submitted a run, and a reviewer's
short claim on a pending item (``claimed_until`` in unix seconds)."""


def _langgraph_setup(conn: psycopg.Connection[Any]) -> None:
    from langgraph.checkpoint.postgres import PostgresSaver

    PostgresSaver(conn).setup()  # type: ignore[arg-type]


MIGRATIONS: list[tuple[int, str, str | Callable[[psycopg.Connection[Any]], None]]] = [
    (1, "initial", _INITIAL),
    (2, "langgraph_checkpoints", _langgraph_setup),
    (3, "review_desk", _REVIEW_DESK),
]
"""``(version, name, SQL or a function of the connection)``, in order. Append; never edit."""


def _applied(conn: psycopg.Connection[Any]) -> set[int]:
    """The versions recorded in ``schema_migrations`` (none when it does not exist yet)."""
    if conn.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()["t"] is None:
        return set()
    return {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}


def _lock(conn: psycopg.Connection[Any], timeout_s: float = LOCK_TIMEOUT_S) -> None:
    """Take the migration lock, polling ``pg_try_advisory_lock``: a session blocked in
    ``pg_advisory_lock`` holds a transaction open, which ``CREATE INDEX CONCURRENTLY`` in the
    holder's ``PostgresSaver.setup()`` waits for (a deadlock). Raises ``TimeoutError``."""
    deadline = time.monotonic() + timeout_s
    while not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (ADVISORY_LOCK,)).fetchone()[
        "ok"
    ]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"another process held baton's migration lock for {timeout_s:.0f} s")
        time.sleep(0.05)


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the pending ``MIGRATIONS`` on ``conn`` (autocommit) while holding the advisory
    lock; returns the versions applied now. SQL migrations run in a transaction each;
    ``PostgresSaver.setup()`` runs outside one (it creates indexes ``CONCURRENTLY``)."""
    applied_now: list[int] = []
    if _applied(conn) >= {v for v, _, _ in MIGRATIONS}:
        return applied_now  # the common case: no lock taken
    _lock(conn)
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, step in MIGRATIONS:
            if version in done:
                continue
            if callable(step):
                step(conn)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (version, name, now_iso()),
                )
            else:
                with conn.transaction():
                    conn.execute(step, prepare=False)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                        (version, name, now_iso()),
                    )
            applied_now.append(version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK,))
    return applied_now
