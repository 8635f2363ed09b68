"""The effects ledger in PostgreSQL: the ``effects`` table, on the store's connection so it
shares its transactions (see ``baton.checkpoints.ledger`` for what the ledger is for)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from baton.checkpoints.protocol import now_iso

if TYPE_CHECKING:
    from baton.checkpoints.postgres.store import PostgresStore

_INSERT = (
    "INSERT INTO effects (run_id, node, key, effect, worker_id, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


class PostgresLedger:
    """The ``effects`` table of one ``PostgresStore`` (a ``Ledger``)."""

    def __init__(self, store: PostgresStore):
        self.store = store

    def done(self, run_id: str, node: str, key: str, effect: str) -> bool:
        """Whether the effect is recorded as completed."""
        row = self.store.conn.execute(
            "SELECT 1 FROM effects WHERE run_id = %s AND node = %s AND key = %s AND effect = %s",
            (run_id, node, key, effect),
        ).fetchone()
        return row is not None

    def mark(
        self, run_id: str, node: str, key: str, effect: str, worker_id: str | None = None
    ) -> bool:
        """Record a completed (idempotent) effect. False when it was already recorded."""
        cur = self.store.conn.execute(_INSERT, (run_id, node, key, effect, worker_id, now_iso()))
        return cur.rowcount == 1

    def mark_all(
        self, run_id: str, marks: list[tuple[str, str]], effect: str, worker_id: str | None = None
    ) -> int:
        """``mark`` for each ``(node, key)`` of ``marks`` in one transaction; returns how many
        were new."""
        if not marks:
            return 0
        now = now_iso()
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO effects (run_id, node, key, effect, worker_id, created_at) "
                "SELECT %s, m.node, m.key, %s, %s, %s FROM unnest(%s::text[], %s::text[]) AS m(node, key) "
                "ON CONFLICT DO NOTHING",
                (run_id, effect, worker_id, now, [n for n, _ in marks], [k for _, k in marks]),
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
        """Claim the effect and run ``write()`` (store writes) in ONE transaction. Returns
        False, writing nothing, when the effect was already done."""
        with self.store.transaction():
            if not self.mark(run_id, node, key, effect, worker_id):
                return False
            write()
        return True

    def effects(self, run_id: str) -> list[dict[str, Any]]:
        """The run's completed effects, oldest first."""
        return self.store.conn.execute(
            "SELECT * FROM effects WHERE run_id = %s ORDER BY id", (run_id,)
        ).fetchall()

    def duplicates(self) -> dict[str, int]:
        """Surplus rows where a side effect must be written once (the same counts as
        ``SqliteLedger.duplicates``): ``{events, review_items, decisions, reports}``."""

        def surplus(sql: str) -> int:
            row = self.store.conn.execute(
                f"SELECT COALESCE(SUM(n - 1), 0) AS s FROM ({sql}) AS g"
            ).fetchone()
            return int(row["s"])

        return {
            "events": surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind NOT IN ('status', 'decision') AND step IS NOT NULL "
                "GROUP BY run_id, step, node, kind, summary HAVING COUNT(*) > 1"
            )
            + surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind = 'status' AND summary IN ('queued', 'started') "
                "GROUP BY run_id, summary HAVING COUNT(*) > 1"
            )
            + surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind = 'decision' GROUP BY run_id, payload HAVING COUNT(*) > 1"
            ),
            "review_items": surplus(
                "SELECT COUNT(*) AS n FROM review_items GROUP BY run_id, interrupt_id HAVING COUNT(*) > 1"
            ),
            "decisions": surplus(
                "SELECT COUNT(*) AS n FROM decisions GROUP BY item_id HAVING COUNT(*) > 1"
            ),
            "reports": surplus(
                "SELECT COUNT(*) AS n FROM events WHERE kind = 'status' AND (summary LIKE 'finished%' "
                "OR summary LIKE 'rejected%' OR summary LIKE 'failed%') GROUP BY run_id HAVING COUNT(*) > 1"
            ),
        }

    def lost(self) -> dict[str, int]:
        """Work a crash could have lost: ``decisions`` decided but never applied to a run that
        ended, and ``runs`` stuck ``running`` with no live lease."""
        q = self.store.conn.execute
        decisions = q(
            "SELECT COUNT(*) AS n FROM review_items r JOIN runs u ON u.id = r.run_id "
            "WHERE r.status = 'decided' AND u.status IN ('finished', 'rejected', 'failed')"
        ).fetchone()["n"]
        runs = q(
            "SELECT COUNT(*) AS n FROM runs WHERE status = 'running' "
            "AND (lease_expires_at IS NULL OR lease_expires_at < %s)",
            (time.time(),),
        ).fetchone()["n"]
        return {"decisions": int(decisions), "runs": int(runs)}
