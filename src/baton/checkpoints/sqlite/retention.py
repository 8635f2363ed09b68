"""The retention primitives of ``SqliteStore`` (the policy is ``baton.checkpoints.retention``):
which runs ended, which checkpoints to keep, deleting the rest, sizes, ``VACUUM``."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from baton.checkpoints.protocol import TERMINAL
from baton.checkpoints.retention import INTERRUPT_CHANNEL


class SqliteRetention:
    """LangGraph's ``checkpoints`` and ``writes`` tables of the same file, as ``RunStore``'s
    retention primitives."""

    path: str
    conn: sqlite3.Connection
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def _has_checkpoint_tables(self) -> bool:
        names = {
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        return {"checkpoints", "writes"} <= names

    def kept_checkpoints(self, thread_id: str) -> list[tuple[str, str]]:
        """The ``(checkpoint_ns, checkpoint_id)`` pairs of ``thread_id`` that pruning keeps: the
        last of each namespace and every one with an interrupt write, oldest first."""
        if not self._has_checkpoint_tables():
            return []
        rows = self.conn.execute(
            "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? GROUP BY checkpoint_ns "
            "UNION SELECT DISTINCT checkpoint_ns, checkpoint_id FROM writes WHERE thread_id = ? AND channel = ?",
            (thread_id, thread_id, INTERRUPT_CHANNEL),
        ).fetchall()
        return sorted({(r[0], r[1]) for r in rows}, key=lambda r: (r[1], r[0]))

    def delete_checkpoints(self, thread_id: str, keep: list[tuple[str, str]]) -> tuple[int, int]:
        """Delete the thread's checkpoints and pending writes except ``keep``, in one
        transaction: ``(checkpoints deleted, writes deleted)``."""
        if not self._has_checkpoint_tables():
            return 0, 0
        marks = " OR ".join("(checkpoint_ns = ? AND checkpoint_id = ?)" for _ in keep) or "0"
        args = [a for pair in keep for a in pair]
        with self.transaction() as c:
            n_cp = c.execute(
                f"DELETE FROM checkpoints WHERE thread_id = ? AND NOT ({marks})", (thread_id, *args)
            ).rowcount
            n_wr = c.execute(
                f"DELETE FROM writes WHERE thread_id = ? AND NOT ({marks})", (thread_id, *args)
            ).rowcount
        return n_cp, n_wr

    def checkpoint_bytes(self, thread_id: str | None = None) -> int:
        """Bytes of checkpoint data stored (checkpoint and metadata blobs plus pending-write
        values), for one thread or all of them."""
        if not self._has_checkpoint_tables():
            return 0
        where, args = ("WHERE thread_id = ?", (thread_id,)) if thread_id else ("", ())
        a = self.conn.execute(
            f"SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) FROM checkpoints {where}",
            args,
        ).fetchone()[0]
        b = self.conn.execute(
            f"SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes {where}", args
        ).fetchone()[0]
        return int(a) + int(b)

    def prunable_runs(self, older_than_days: float = 0.0, now: datetime | None = None) -> list[str]:
        """Ids of runs that ended (finished, rejected, failed) at least ``older_than_days`` days
        before ``now`` (default: the current UTC time), oldest first."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=float(older_than_days))
        stamp = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        marks = ", ".join("?" for _ in TERMINAL)
        rows = self.conn.execute(
            f"SELECT id FROM runs WHERE status IN ({marks}) AND finished_at IS NOT NULL AND finished_at <= ? "
            "ORDER BY finished_at, rowid",
            (*TERMINAL, stamp),
        ).fetchall()
        return [r[0] for r in rows]

    def compact(self) -> None:
        """Truncate the WAL and ``VACUUM`` the file (waits for other writers)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("VACUUM")

    def table_sizes(self) -> list[dict[str, int | str]]:
        """The database size by table, largest first: ``{"table", "rows", "bytes"}`` where
        ``bytes`` counts the pages of the table and of its indexes (SQLite's ``dbstat``), plus a
        final ``{"table": "(file)", ...}`` row with the file size and its ``-wal`` file."""
        conn = self.conn
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        owner = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
            )
        }
        size: dict[str, int] = dict.fromkeys(tables, 0)
        try:
            for name, pages in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                t = owner.get(name, name)
                if t in size:
                    size[t] += int(pages)
        except Exception:  # noqa: BLE001 - SQLite built without dbstat: rows only
            pass
        out: list[dict[str, int | str]] = [
            {
                "table": t,
                "rows": int(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]),
                "bytes": size[t],
            }
            for t in tables
        ]
        out.sort(key=lambda r: (-int(r["bytes"]), str(r["table"])))
        file_bytes = sum(
            os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p)
        )
        out.append(
            {"table": "(file)", "rows": sum(int(r["rows"]) for r in out), "bytes": file_bytes}
        )
        return out
