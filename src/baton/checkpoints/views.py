"""Read-only views of a run's LangGraph checkpoints for the browser app, on any backend (the
store's own views are ``RunStore.run_rows``, ``status_counts``, ``pending_items`` and
``reason_counts``). Nothing here writes."""

from __future__ import annotations

from typing import Any

from baton.checkpoints.protocol import RunStore


def checkpoint_history(store: RunStore, run_id: str, limit: int = 500) -> list[dict[str, Any]]:
    """The run's LangGraph checkpoints (thread ``run_id``), newest first:
    ``{checkpoint_id, step, source, created_at, hops, pending_writes}`` where
    ``pending_writes`` lists the channels of pending writes. Empty when the run has not started."""
    with store.saver() as saver:
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


def latest_values(store: RunStore, run_id: str) -> dict[str, Any]:
    """The channel values of the run's newest checkpoint (graph state), or ``{}``."""
    with store.saver() as saver:
        tup = saver.get_tuple({"configurable": {"thread_id": run_id}})
        return dict(tup.checkpoint.get("channel_values") or {}) if tup else {}
