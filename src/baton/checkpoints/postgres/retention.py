"""Retention on PostgreSQL: LangGraph's standard ``prune(thread_ids, strategy=...)`` for
``PostgresSaver`` (``PostgresPrune``, which ``PostgresSaver`` lacks: langgraph issue 8531),
and the retention primitives of ``PostgresStore`` (which runs ended, which checkpoints pruning
keeps, sizes). The policy is ``baton.checkpoints.retention``.

LangGraph's Postgres tables: ``checkpoints`` (one row per checkpoint, channel versions in its
JSONB), ``checkpoint_blobs`` (channel values keyed by ``(thread, ns, channel, version)``,
shared by the checkpoints that reference them) and ``checkpoint_writes`` (pending writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from baton.checkpoints.protocol import TERMINAL
from baton.checkpoints.retention import INTERRUPT_CHANNEL, STRATEGIES

_KEEP = """
    SELECT thread_id, checkpoint_ns, MAX(checkpoint_id) AS checkpoint_id FROM checkpoints
    WHERE thread_id = ANY(%(t)s) GROUP BY thread_id, checkpoint_ns
    UNION
    SELECT DISTINCT thread_id, checkpoint_ns, checkpoint_id FROM checkpoint_writes
    WHERE %(interrupts)s AND thread_id = ANY(%(t)s) AND channel = %(channel)s
"""


def prune_threads(
    conn: psycopg.Connection[Any], thread_ids: Sequence[str], strategy: str
) -> tuple[int, int]:
    """Delete checkpoints of ``thread_ids`` by ``strategy`` (``STRATEGIES``) in one
    transaction, with their pending writes and the channel values no kept checkpoint
    references. Returns ``(checkpoints deleted, writes deleted)``. Raises ``ValueError`` for
    an unknown strategy."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown prune strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    threads = list(thread_ids)
    if not threads:
        return 0, 0
    args = {
        "t": threads,
        "interrupts": strategy == "keep_latest_and_interrupts",
        "channel": INTERRUPT_CHANNEL,
    }
    with conn.transaction():
        if strategy == "delete":
            n_wr = conn.execute(
                "DELETE FROM checkpoint_writes WHERE thread_id = ANY(%(t)s)", args
            ).rowcount
            n_cp = conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = ANY(%(t)s)", args
            ).rowcount
            conn.execute("DELETE FROM checkpoint_blobs WHERE thread_id = ANY(%(t)s)", args)
            return n_cp, n_wr
        n_wr = conn.execute(
            f"WITH keep AS ({_KEEP}) DELETE FROM checkpoint_writes w WHERE w.thread_id = ANY(%(t)s) "
            "AND (w.thread_id, w.checkpoint_ns, w.checkpoint_id) NOT IN (SELECT * FROM keep)",
            args,
        ).rowcount
        n_cp = conn.execute(
            f"WITH keep AS ({_KEEP}) DELETE FROM checkpoints c WHERE c.thread_id = ANY(%(t)s) "
            "AND (c.thread_id, c.checkpoint_ns, c.checkpoint_id) NOT IN (SELECT * FROM keep)",
            args,
        ).rowcount
        conn.execute(
            "DELETE FROM checkpoint_blobs b WHERE b.thread_id = ANY(%(t)s) AND NOT EXISTS ("
            "SELECT 1 FROM checkpoints c WHERE c.thread_id = b.thread_id "
            "AND c.checkpoint_ns = b.checkpoint_ns "
            "AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)",
            args,
        )
    return n_cp, n_wr


class PostgresPrune:
    """LangGraph's ``prune`` for a ``PostgresSaver`` (mixed in before it; the saver is
    synchronous, so ``aprune`` stays LangGraph's ``NotImplementedError`` like its other
    async methods)."""

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> tuple[int, int]:
        """Prune the checkpoints of ``thread_ids``: ``"keep_latest"`` keeps the last checkpoint
        of each namespace, ``"keep_latest_and_interrupts"`` (baton's retention) also every one
        where the thread paused at an ``interrupt()``, ``"delete"`` removes all. Returns
        ``(checkpoints deleted, writes deleted)`` (LangGraph's interface returns None)."""
        with self._cursor() as cur:  # type: ignore[attr-defined]
            return prune_threads(cur.connection, thread_ids, strategy)


class PostgresRetention:
    """The retention primitives of ``RunStore`` over LangGraph's tables in the same database."""

    conn: psycopg.Connection[dict[str, Any]]

    def prunable_runs(self, older_than_days: float = 0.0, now: datetime | None = None) -> list[str]:
        """Ids of runs that ended (finished, rejected, failed) at least ``older_than_days``
        days before ``now`` (default: the current UTC time), oldest first."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=float(older_than_days))
        stamp = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        rows = self.conn.execute(
            "SELECT id FROM runs WHERE status = ANY(%s) AND finished_at IS NOT NULL AND finished_at <= %s "
            "ORDER BY finished_at, seq",
            (list(TERMINAL), stamp),
        ).fetchall()
        return [r["id"] for r in rows]

    def kept_checkpoints(self, thread_id: str) -> list[tuple[str, str]]:
        """``(checkpoint_ns, checkpoint_id)`` pairs of ``thread_id`` that pruning keeps: the
        last of each namespace and every one with an interrupt write, oldest first."""
        rows = self.conn.execute(
            _KEEP, {"t": [thread_id], "interrupts": True, "channel": INTERRUPT_CHANNEL}
        ).fetchall()
        return sorted(
            {(r["checkpoint_ns"], r["checkpoint_id"]) for r in rows}, key=lambda r: (r[1], r[0])
        )

    def delete_checkpoints(self, thread_id: str, keep: list[tuple[str, str]]) -> tuple[int, int]:
        """Delete the thread's checkpoints and writes except ``keep`` (and the channel values
        only they referenced), in one transaction: ``(checkpoints deleted, writes deleted)``."""
        args = {"t": thread_id, "ns": [k[0] for k in keep], "ids": [k[1] for k in keep]}
        keep_sql = "(checkpoint_ns, checkpoint_id) NOT IN (SELECT * FROM unnest(%(ns)s::text[], %(ids)s::text[]))"
        with self.conn.transaction():
            n_wr = self.conn.execute(
                f"DELETE FROM checkpoint_writes WHERE thread_id = %(t)s AND {keep_sql}", args
            ).rowcount
            n_cp = self.conn.execute(
                f"DELETE FROM checkpoints WHERE thread_id = %(t)s AND {keep_sql}", args
            ).rowcount
            self.conn.execute(
                "DELETE FROM checkpoint_blobs b WHERE b.thread_id = %(t)s AND NOT EXISTS ("
                "SELECT 1 FROM checkpoints c WHERE c.thread_id = b.thread_id "
                "AND c.checkpoint_ns = b.checkpoint_ns "
                "AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)",
                args,
            )
        return n_cp, n_wr

    def checkpoint_bytes(self, thread_id: str | None = None) -> int:
        """Bytes of checkpoint data stored (checkpoint and metadata JSONB, channel values,
        pending-write values), for one thread or all of them."""
        where = "WHERE thread_id = %(t)s" if thread_id else ""
        row = self.conn.execute(
            "SELECT "
            f"(SELECT COALESCE(SUM(pg_column_size(checkpoint) + pg_column_size(metadata)), 0) FROM checkpoints {where}) "
            f"+ (SELECT COALESCE(SUM(octet_length(blob)), 0) FROM checkpoint_blobs {where}) "
            f"+ (SELECT COALESCE(SUM(octet_length(blob)), 0) FROM checkpoint_writes {where}) AS n",
            {"t": thread_id},
        ).fetchone()
        return int(row["n"])

    def compact(self) -> None:
        """Give the space of deleted rows back to the file system: ``VACUUM FULL`` of
        LangGraph's three tables (each rewritten under an exclusive lock, so checkpoint writes
        wait for it, as SQLite's ``VACUUM`` makes them wait; ``baton prune --no-vacuum`` skips
        it and leaves the space to autovacuum for reuse)."""
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            self.conn.execute(f"VACUUM FULL {table}")

    def table_sizes(self) -> list[dict[str, int | str]]:
        """The database size by table, largest first: ``{"table", "rows", "bytes"}`` where
        ``bytes`` is ``pg_total_relation_size`` (table, indexes, TOAST) of the tables of the
        current schema, plus a final ``{"table": "(file)", ...}`` row with
        ``pg_database_size`` (the whole database on disk)."""
        tables = [
            r["t"]
            for r in self.conn.execute(
                "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
        ]
        out: list[dict[str, int | str]] = []
        for t in tables:
            ident = sql.Identifier(t)
            rows = self.conn.execute(
                sql.SQL("SELECT COUNT(*) AS n FROM {}").format(ident)
            ).fetchone()["n"]
            size = self.conn.execute(
                "SELECT pg_total_relation_size(%s::regclass) AS n", (t,)
            ).fetchone()["n"]
            out.append({"table": t, "rows": int(rows), "bytes": int(size)})
        out.sort(key=lambda r: (-int(r["bytes"]), str(r["table"])))
        total = self.conn.execute("SELECT pg_database_size(current_database()) AS n").fetchone()[
            "n"
        ]
        out.append(
            {"table": "(file)", "rows": sum(int(r["rows"]) for r in out), "bytes": int(total)}
        )
        return out
