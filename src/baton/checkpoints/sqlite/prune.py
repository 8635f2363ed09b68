"""LangGraph's standard ``prune(thread_ids, strategy=...)`` for ``SqliteSaver`` (which has
none): ``SqlitePrune``, mixed into baton's SQLite savers. LangGraph's SQLite tables are
``checkpoints`` (each row holds its channel values) and ``writes`` (pending writes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from baton.checkpoints.retention import INTERRUPT_CHANNEL, STRATEGIES


def prune_threads(cur: sqlite3.Cursor, thread_ids: Sequence[str], strategy: str) -> tuple[int, int]:
    """Delete checkpoints of ``thread_ids`` by ``strategy`` (``STRATEGIES``) and their pending
    writes, on ``cur`` (inside the caller's transaction). Returns ``(checkpoints deleted,
    writes deleted)``. Raises ``ValueError`` for an unknown strategy."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown prune strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    n_cp = n_wr = 0
    for thread_id in dict.fromkeys(thread_ids):
        if strategy == "delete":
            n_wr += cur.execute("DELETE FROM writes WHERE thread_id = ?", (thread_id,)).rowcount
            n_cp += cur.execute(
                "DELETE FROM checkpoints WHERE thread_id = ?", (thread_id,)
            ).rowcount
            continue
        keep = (
            "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints WHERE thread_id = :t GROUP BY checkpoint_ns"
            + (
                " UNION SELECT checkpoint_ns, checkpoint_id FROM writes WHERE thread_id = :t AND channel = :c"
                if strategy == "keep_latest_and_interrupts"
                else ""
            )
        )
        args = {"t": thread_id, "c": INTERRUPT_CHANNEL}
        n_wr += cur.execute(
            f"DELETE FROM writes WHERE thread_id = :t AND (checkpoint_ns, checkpoint_id) NOT IN ({keep})",
            args,
        ).rowcount
        n_cp += cur.execute(
            f"DELETE FROM checkpoints WHERE thread_id = :t AND (checkpoint_ns, checkpoint_id) NOT IN ({keep})",
            args,
        ).rowcount
    return n_cp, n_wr


class SqlitePrune:
    """LangGraph's ``prune`` for a ``SqliteSaver`` (mixed in before it; the saver is
    synchronous, so ``aprune`` stays LangGraph's ``NotImplementedError``)."""

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> tuple[int, int]:
        """Prune the checkpoints of ``thread_ids`` in one transaction: ``"keep_latest"`` keeps
        the last checkpoint of each namespace, ``"keep_latest_and_interrupts"`` (baton's
        retention) also every one where the thread paused at an ``interrupt()``, ``"delete"``
        removes all. Returns ``(checkpoints deleted, writes deleted)`` (LangGraph's interface
        returns None)."""
        with self.lock, self.cursor(transaction=True) as cur:  # type: ignore[attr-defined]
            return prune_threads(cur, thread_ids, strategy)
