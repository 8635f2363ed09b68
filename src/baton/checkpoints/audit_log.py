"""Queries over the ``events`` table that the audit trail needs beyond ``Store.events``."""

from __future__ import annotations

from baton.checkpoints.store import Store


def tokens_recorded(store: Store, run_id: str) -> int:
    """The tokens already recorded for ``run_id``: the sum of its events' ``tokens`` (0 if none)."""
    row = store.conn.execute(
        "SELECT COALESCE(SUM(tokens), 0) FROM events WHERE run_id = ?", (run_id,)
    ).fetchone()
    return int(row[0])
