"""The effects ledger in SQLite: the ``effects`` table, on the store's connection so it shares
its transactions (see ``baton.checkpoints.ledger`` for what the ledger is for)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from baton.checkpoints.protocol import now_iso

if TYPE_CHECKING:
    from baton.checkpoints.sqlite.store import SqliteStore


class SqliteLedger:
    """The ``effects`` table of one ``SqliteStore`` (a ``Ledger``)."""

    def __init__(self, store: SqliteStore):
        self.store = store

    def _insert(self, run_id: str, node: str, key: str, effect: str, worker_id: str | None) -> bool:
        cur = self.store.conn.execute(
            "INSERT OR IGNORE INTO effects (run_id, node, key, effect, worker_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, node, key, effect, worker_id, now_iso()),
        )
        return cur.rowcount == 1

    def done(self, run_id: str, node: str, key: str, effect: str) -> bool:
        """Whether the effect is recorded as completed."""
        row = self.store.conn.execute(
            "SELECT 1 FROM effects WHERE run_id = ? AND node = ? AND key = ? AND effect = ?",
            (run_id, node, key, effect),
        ).fetchone()
        return row is not None

    def mark(
        self, run_id: str, node: str, key: str, effect: str, worker_id: str | None = None
    ) -> bool:
        """Record a completed (idempotent) effect. False when it was already recorded."""
        return self._insert(run_id, node, key, effect, worker_id)

    def mark_all(
        self,
        run_id: str,
        marks: list[tuple[str, str]],
        effect: str,
        worker_id: str | None = None,
    ) -> int:
        """``mark`` for each ``(node, key)`` of ``marks``, in one statement. Returns
        how many were new."""
        now = now_iso()
        cur = self.store.conn.executemany(
            "INSERT OR IGNORE INTO effects (run_id, node, key, effect, worker_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, node, key, effect, worker_id, now) for node, key in marks],
        )
        return max(cur.rowcount, 0)

    def write_once(
        self,
        run_id: str,
        node: str,
        key: str,
        effect: str,
        write: Callable[[], Any],
        worker_id: str | None = None,
    ) -> bool:
        """Claim the effect and run ``write()`` (plain statements on ``store.conn``, no
        transaction of their own) in ONE transaction. Returns False, writing nothing, when the
        effect was already done."""
        with self.store.transaction():
            if not self._insert(run_id, node, key, effect, worker_id):
                return False
            write()
        return True

    def effects(self, run_id: str) -> list[dict[str, Any]]:
        """The run's completed effects, oldest first."""
        return list(
            self.store.db.query("SELECT * FROM effects WHERE run_id = ? ORDER BY id", [run_id])
        )

    def duplicates(self) -> dict[str, int]:
        """Rows that exist more than once where a side effect must be written once:

        - ``events``: the same (run, superstep, node, kind, summary) of a superstep (rows written as
          they happen, with no step, such as model calls, are never replays), two ``queued`` or
          ``started`` status events, and a decision event written twice for one item;
        - ``review_items``: two items for one (run, interrupt);
        - ``decisions``: two decisions for one item;
        - ``reports``: a run whose final status was recorded twice (two terminal status events).

        Returns ``{table: number of surplus rows}``; all zeros when nothing was written twice.
        """
        q = self.store.conn.execute

        def surplus(sql: str) -> int:
            return int(q(f"SELECT COALESCE(SUM(n - 1), 0) FROM ({sql})").fetchone()[0])

        return {
            "events": surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind NOT IN ('status', 'decision') AND step IS NOT NULL "
                "GROUP BY run_id, step, node, kind, summary HAVING n > 1"
            )
            + surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind = 'status' AND summary IN ('queued', 'started') GROUP BY run_id, summary HAVING n > 1"
            )
            + surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind = 'decision' GROUP BY run_id, payload HAVING n > 1"
            ),
            "review_items": surplus(
                "SELECT COUNT(*) AS n FROM review_items GROUP BY run_id, interrupt_id HAVING n > 1"
            ),
            "decisions": surplus(
                "SELECT COUNT(*) AS n FROM decisions GROUP BY item_id HAVING n > 1"
            ),
            "reports": surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind = 'status' AND (summary LIKE 'finished%' OR summary LIKE 'rejected%' OR summary LIKE 'failed%') "
                "GROUP BY run_id HAVING n > 1"
            ),
        }

    def lost(self) -> dict[str, int]:
        """Work a crash could have lost: ``decisions`` recorded but never applied to a run that has
        moved on (its item still ``decided`` while the run is finished / rejected / failed), and
        ``runs`` stuck ``running`` with no live lease."""
        q = self.store.conn.execute
        return {
            "decisions": int(
                q(
                    "SELECT COUNT(*) FROM review_items r JOIN runs u ON u.id = r.run_id "
                    "WHERE r.status = 'decided' AND u.status IN ('finished', 'rejected', 'failed')"
                ).fetchone()[0]
            ),
            "runs": int(
                q(
                    "SELECT COUNT(*) FROM runs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?)",
                    (time.time(),),
                ).fetchone()[0]
            ),
        }
