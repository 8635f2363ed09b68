"""Read-only queries for the browser app: light run lists, counts, the pending queue with each
run's question, and a run's checkpoint history. Nothing here writes baton's tables.

Rows are plain dicts; times are ISO 8601 UTC strings as stored by ``Store``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from baton.checkpoints.saver import open_saver
from baton.checkpoints.store import Store

RUN_COLUMNS = (
    "id",
    "task_id",
    "kind",
    "question",
    "status",
    "reason",
    "hops",
    "max_hops",
    "current_node",
    "claims",
    "supported",
    "unsupported",
    "contradicted",
    "attempts",
    "created_at",
    "updated_at",
    "finished_at",
)
"""Columns of ``run_rows`` (the task and report JSON are left out: they can be large)."""


def run_rows(store: Store, statuses: Iterable[str] = (), limit: int = 200) -> list[dict[str, Any]]:
    """Runs newest first (at most ``limit``), only those whose status is in ``statuses`` when
    it is not empty."""
    statuses = list(statuses)
    where = f" WHERE status IN ({', '.join('?' for _ in statuses)})" if statuses else ""
    sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs{where} ORDER BY created_at DESC, rowid DESC LIMIT ?"
    return list(store.db.query(sql, [*statuses, int(limit)]))


def status_counts(store: Store) -> dict[str, int]:
    """``{status: number of runs}`` for the statuses present."""
    return {
        r["status"]: r["n"]
        for r in store.db.query("SELECT status, count(*) AS n FROM runs GROUP BY status")
    }


def pending_items(store: Store) -> list[dict[str, Any]]:
    """Pending review items oldest first, each with its run's question, task id and kind:
    ``{item_id, run_id, reason, hop, max_hops, created_at, question, task_id, kind}``."""
    return list(
        store.db.query(
            "SELECT r.id AS item_id, r.run_id, r.reason, r.hop, r.max_hops, r.created_at, "
            "u.question, u.task_id, u.kind FROM review_items r JOIN runs u ON u.id = r.run_id "
            "WHERE r.status = 'pending' ORDER BY r.created_at, r.rowid"
        )
    )


def reason_counts(store: Store) -> dict[str, int]:
    """``{reason: pending items}``, most frequent first."""
    rows = store.db.query(
        "SELECT reason, count(*) AS n FROM review_items WHERE status = 'pending' GROUP BY reason ORDER BY n DESC, reason"
    )
    return {r["reason"]: r["n"] for r in rows}


def checkpoint_history(path: str, run_id: str, limit: int = 500) -> list[dict[str, Any]]:
    """The run's LangGraph checkpoints (thread ``run_id``), newest first:
    ``{checkpoint_id, step, source, created_at, hops, next_writes}`` where ``next_writes``
    lists the channels of pending writes. Empty when the run has not started."""
    saver = open_saver(path)
    try:
        out = []
        for tup in saver.list({"configurable": {"thread_id": run_id}}, limit=limit):
            meta = tup.metadata or {}
            values = tup.checkpoint.get("channel_values") or {}
            out.append(
                {
                    "checkpoint_id": tup.config["configurable"].get("checkpoint_id"),
                    "step": meta.get("step"),
                    "source": meta.get("source"),
                    "created_at": tup.checkpoint.get("ts"),
                    "hops": (values.get("account") or {}).get("hops"),
                    "pending_writes": sorted({w[1] for w in (tup.pending_writes or [])}),
                }
            )
        return out
    finally:
        saver.conn.close()


def latest_values(path: str, run_id: str) -> dict[str, Any]:
    """The channel values of the run's newest checkpoint (graph state), or ``{}``."""
    saver = open_saver(path)
    try:
        tup = saver.get_tuple({"configurable": {"thread_id": run_id}})
        return dict(tup.checkpoint.get("channel_values") or {}) if tup else {}
    finally:
        saver.conn.close()
