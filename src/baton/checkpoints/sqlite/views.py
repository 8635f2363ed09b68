"""Read-only queries of ``SqliteStore`` for the browser app: light run lists, counts, the
pending queue with each run's question. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from baton.checkpoints.protocol import RUN_COLUMNS


class SqliteViews:
    """The views of ``RunStore`` (``run_rows``, ``status_counts``, ``pending_items``,
    ``reason_counts``) over ``self.db``."""

    db: Database

    def run_rows(self, statuses: Iterable[str] = (), limit: int = 200) -> list[dict[str, Any]]:
        """Runs newest first (at most ``limit``), only those whose status is in ``statuses``
        when it is not empty."""
        statuses = list(statuses)
        where = f" WHERE status IN ({', '.join('?' for _ in statuses)})" if statuses else ""
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs{where} ORDER BY created_at DESC, rowid DESC LIMIT ?"
        return list(self.db.query(sql, [*statuses, int(limit)]))

    def status_counts(self) -> dict[str, int]:
        """``{status: number of runs}`` for the statuses present."""
        return {
            r["status"]: r["n"]
            for r in self.db.query("SELECT status, count(*) AS n FROM runs GROUP BY status")
        }

    def pending_items(self) -> list[dict[str, Any]]:
        """Pending review items oldest first, each with its run's question, task id and kind:
        ``{item_id, run_id, reason, hop, max_hops, created_at, question, task_id, kind,
        claimed_by, claimed_until}`` (the claim as ``claim_item`` left it; it may have expired)."""
        return list(
            self.db.query(
                "SELECT r.id AS item_id, r.run_id, r.reason, r.hop, r.max_hops, r.created_at, "
                "r.claimed_by, r.claimed_until, "
                "u.question, u.task_id, u.kind FROM review_items r JOIN runs u ON u.id = r.run_id "
                "WHERE r.status = 'pending' ORDER BY r.created_at, r.rowid"
            )
        )

    def reason_counts(self) -> dict[str, int]:
        """``{reason: pending items}``, most frequent first."""
        rows = self.db.query(
            "SELECT reason, count(*) AS n FROM review_items WHERE status = 'pending' GROUP BY reason ORDER BY n DESC, reason"
        )
        return {r["reason"]: r["n"] for r in rows}
