"""Retention: prune the LangGraph checkpoints of finished runs, and size the database.

LangGraph's savers keep every checkpoint of every thread forever, each holding the whole
state (the task and its sources included), so a 40-hop run stores the state some 80 times.
They have no pruning of their own. Once a run is ``finished``, ``rejected`` or ``failed``,
``prune`` deletes its checkpoints and their pending writes except:

- the **last** checkpoint of each checkpoint namespace (the final state: ``get_state`` keeps
  working and the report can be rebuilt);
- every checkpoint where the run **paused for review** (it holds an ``__interrupt__`` write;
  the request the reviewer saw and the resume value stay with it).

What the audit needs is kept elsewhere and never pruned: ``events`` (what each node saw,
changed, decided, with claims, citations and check results), ``review_items`` and
``decisions``, and the run's ``report``. Runs that are queued, running or waiting for review
are never touched. The policy is here; the deleting goes through LangGraph's standard
``saver.prune(thread_ids, strategy=KEEP_REVIEWED)``, which baton's savers implement (SQLite:
``baton.checkpoints.sqlite.prune``, PostgreSQL: ``baton.checkpoints.postgres.retention``), so
any LangGraph user can prune a baton database the same way; each backend gives the other
primitives (``RunStore``: ``prunable_runs``, ``kept_checkpoints``, ``checkpoint_bytes``,
``compact``, ``table_sizes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from baton.checkpoints.protocol import RunStore

INTERRUPT_CHANNEL = "__interrupt__"
"""The pending-write channel LangGraph uses for an ``interrupt()``."""

KEEP_REVIEWED = "keep_latest_and_interrupts"
"""baton's strategy for LangGraph's ``saver.prune(thread_ids, strategy=...)``: LangGraph's
``"keep_latest"`` plus every checkpoint with an ``__interrupt__`` write."""

STRATEGIES = ("keep_latest", "delete", KEEP_REVIEWED)
"""The ``strategy`` values baton's savers' ``prune`` takes (LangGraph's two, then baton's)."""


@dataclass
class PruneResult:
    """What ``prune`` did: ``runs`` pruned (ids), rows deleted, and the kept checkpoints as
    ``(thread_id, checkpoint_ns, checkpoint_id)`` triples; checkpoint data in bytes before
    and after."""

    runs: list[str] = field(default_factory=list)
    checkpoints_deleted: int = 0
    writes_deleted: int = 0
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    bytes_before: int = 0
    bytes_after: int = 0


def prune(
    store: RunStore,
    *,
    older_than_days: float = 0.0,
    run_ids: list[str] | None = None,
    vacuum: bool = True,
    now: datetime | None = None,
) -> PruneResult:
    """Delete the prunable checkpoints (see the module docstring) of runs that ended at least
    ``older_than_days`` days before ``now`` (default: the current UTC time), or of ``run_ids``
    (only those that ended). With ``vacuum`` the space is given back afterwards
    (``store.compact()``; SQLite waits for other writers). Idempotent."""
    result = PruneResult()
    ended = store.prunable_runs(older_than_days, now)
    if run_ids is not None:
        wanted = set(run_ids)
        ended = [r for r in ended if r in wanted]
    result.bytes_before = store.checkpoint_bytes()
    with store.saver() as saver:
        for run_id in ended:
            keep = store.kept_checkpoints(run_id)
            n_cp, n_wr = saver.prune([run_id], strategy=KEEP_REVIEWED)
            result.checkpoints_deleted += n_cp
            result.writes_deleted += n_wr
            if n_cp or n_wr:
                result.runs.append(run_id)
            result.kept.extend((run_id, ns, cid) for ns, cid in keep)
    result.bytes_after = store.checkpoint_bytes()
    if vacuum and (result.checkpoints_deleted or result.writes_deleted):
        store.compact()
    return result


def checkpoint_bytes(store: RunStore, thread_id: str | None = None) -> int:
    """``store.checkpoint_bytes(thread_id)``: bytes of checkpoint data, one thread or all
    (the measure ``bench/orchestration.py`` prints)."""
    return store.checkpoint_bytes(thread_id)
