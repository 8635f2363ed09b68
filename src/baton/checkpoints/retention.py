"""Retention: prune the LangGraph checkpoints of finished runs, and size the database.

LangGraph's ``SqliteSaver`` keeps every checkpoint of every thread forever, each holding the
whole state (the task and its sources included), so a 40-hop run stores the state some 80
times. It has no pruning of its own. Once a run is ``finished``, ``rejected`` or ``failed``,
``prune`` deletes its checkpoints and their pending writes except:

- the **last** checkpoint of each checkpoint namespace (the final state: ``get_state`` keeps
  working and the report can be rebuilt);
- every checkpoint where the run **paused for review** (it holds an ``__interrupt__`` write;
  the request the reviewer saw and the resume value stay with it).

What the audit needs is kept elsewhere and never pruned: ``events`` (what each node saw,
changed, decided, with claims, citations and check results), ``review_items`` and
``decisions``, and the run's ``report``. Runs that are queued, running or waiting for review
are never touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from baton.checkpoints.store import TERMINAL, Store

INTERRUPT_CHANNEL = "__interrupt__"
"""The pending-write channel LangGraph uses for an ``interrupt()``."""


@dataclass
class PruneResult:
    """What ``prune`` did: ``runs`` pruned (ids), rows deleted, and the kept checkpoints as
    ``(thread_id, checkpoint_ns, checkpoint_id)`` triples."""

    runs: list[str] = field(default_factory=list)
    checkpoints_deleted: int = 0
    writes_deleted: int = 0
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    bytes_before: int = 0
    bytes_after: int = 0


def _has_checkpoint_tables(store: Store) -> bool:
    names = {
        r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    return {"checkpoints", "writes"} <= names


def kept_checkpoints(store: Store, thread_id: str) -> list[tuple[str, str]]:
    """The ``(checkpoint_ns, checkpoint_id)`` pairs of ``thread_id`` that pruning keeps: the
    last of each namespace and every one with an interrupt write, oldest first."""
    if not _has_checkpoint_tables(store):
        return []
    rows = store.conn.execute(
        "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? GROUP BY checkpoint_ns "
        "UNION SELECT DISTINCT checkpoint_ns, checkpoint_id FROM writes WHERE thread_id = ? AND channel = ?",
        (thread_id, thread_id, INTERRUPT_CHANNEL),
    ).fetchall()
    return sorted({(r[0], r[1]) for r in rows}, key=lambda r: (r[1], r[0]))


def checkpoint_bytes(store: Store, thread_id: str | None = None) -> int:
    """Bytes of checkpoint data stored (checkpoint and metadata blobs plus pending-write
    values), for one thread or all of them."""
    if not _has_checkpoint_tables(store):
        return 0
    where, args = ("WHERE thread_id = ?", (thread_id,)) if thread_id else ("", ())
    a = store.conn.execute(
        f"SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) FROM checkpoints {where}",
        args,
    ).fetchone()[0]
    b = store.conn.execute(
        f"SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes {where}", args
    ).fetchone()[0]
    return int(a) + int(b)


def prunable_runs(
    store: Store, older_than_days: float = 0.0, now: datetime | None = None
) -> list[str]:
    """Ids of runs that ended (finished, rejected, failed) at least ``older_than_days`` days
    before ``now`` (default: the current UTC time), oldest first."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=float(older_than_days))
    stamp = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    marks = ", ".join("?" for _ in TERMINAL)
    rows = store.conn.execute(
        f"SELECT id FROM runs WHERE status IN ({marks}) AND finished_at IS NOT NULL AND finished_at <= ? "
        "ORDER BY finished_at, rowid",
        (*TERMINAL, stamp),
    ).fetchall()
    return [r[0] for r in rows]


def prune(
    store: Store,
    *,
    older_than_days: float = 0.0,
    run_ids: list[str] | None = None,
    vacuum: bool = True,
    now: datetime | None = None,
) -> PruneResult:
    """Delete the prunable checkpoints (see the module docstring) of runs that ended at least
    ``older_than_days`` days ago, or of ``run_ids`` (only those that ended). With ``vacuum``,
    the file is compacted afterwards (``VACUUM``; it waits for other writers). Idempotent."""
    result = PruneResult()
    if not _has_checkpoint_tables(store):
        return result
    ended = prunable_runs(store, older_than_days, now)
    if run_ids is not None:
        wanted = set(run_ids)
        ended = [r for r in ended if r in wanted]
    result.bytes_before = checkpoint_bytes(store)
    for run_id in ended:
        keep = kept_checkpoints(store, run_id)
        marks = " OR ".join("(checkpoint_ns = ? AND checkpoint_id = ?)" for _ in keep) or "0"
        args = [a for pair in keep for a in pair]
        with store.transaction() as c:
            n_cp = c.execute(
                f"DELETE FROM checkpoints WHERE thread_id = ? AND NOT ({marks})", (run_id, *args)
            ).rowcount
            n_wr = c.execute(
                f"DELETE FROM writes WHERE thread_id = ? AND NOT ({marks})", (run_id, *args)
            ).rowcount
        result.checkpoints_deleted += n_cp
        result.writes_deleted += n_wr
        if n_cp or n_wr:
            result.runs.append(run_id)
        result.kept.extend((run_id, ns, cid) for ns, cid in keep)
    result.bytes_after = checkpoint_bytes(store)
    if vacuum and (result.checkpoints_deleted or result.writes_deleted):
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.conn.execute("VACUUM")
    return result


def table_sizes(store: Store) -> list[dict[str, int | str]]:
    """The database size by table, largest first: ``{"table", "rows", "bytes"}`` where
    ``bytes`` counts the pages of the table and of its indexes (SQLite's ``dbstat``), plus a
    final ``{"table": "(file)", ...}`` row with the file size and its ``-wal`` file."""
    conn = store.conn
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
        os.path.getsize(p) for p in (store.path, store.path + "-wal") if os.path.exists(p)
    )
    out.append({"table": "(file)", "rows": sum(int(r["rows"]) for r in out), "bytes": file_bytes})
    return out
