"""``SqliteStore``: baton's own tables (runs, review items, decisions, events, effects, users)
in the same SQLite file as LangGraph's checkpoints, as a ``RunStore``.

Concurrency: every write that must have a single winner (claiming a run, deciding an item,
releasing a lease) is a conditional update inside ``BEGIN IMMEDIATE``, so two workers or two
reviewers can never both win. A transaction holds the lock of the checkpointer this store
opened (``open_saver``), so a checkpoint write in progress on the saver's connection is waited
for in-process, not by SQLite's busy handler (sleeps of >= 1 ms). Times are ISO 8601 UTC
strings for humans and unix seconds (floats) for leases.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from baton.checkpoints.protocol import TERMINAL, Lease, new_id, now_iso, with_policy
from baton.checkpoints.sqlite.connection import connect, migrate
from baton.checkpoints.sqlite.desk import SqliteDesk
from baton.checkpoints.sqlite.ledger import SqliteLedger
from baton.checkpoints.sqlite.migrations import migrations
from baton.checkpoints.sqlite.retention import SqliteRetention
from baton.checkpoints.sqlite.saver import FencedSqliteSaver, check_lease, open_saver
from baton.checkpoints.sqlite.users import SqliteUsers
from baton.checkpoints.sqlite.views import SqliteViews
from baton.contracts import Decision, Report, ReviewRequest, RunStatus, Task
from baton.errors import DecisionConflict, InvalidDecision, NotFoundError
from baton.policy import Policy


def _loads(value: str | None) -> Any:
    return None if value in (None, "") else json.loads(value)


_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (run_id, step, node, kind, hop, summary, payload, duration_ms, tokens, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _dumps(payload: Any) -> str:
    """JSON text of an event payload (orjson: the audit writes several per hop; anything it
    cannot encode is written as its ``str``)."""
    return orjson.dumps(payload, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _event_row(
    run_id: str,
    created_at: str,
    step: int | None,
    node: str,
    kind: str,
    summary: str,
    hop: int | None = None,
    payload: Any = None,
    duration_ms: float | None = None,
    tokens: int | None = None,
) -> tuple[Any, ...]:
    payload_json = None if payload is None else _dumps(payload)
    return (run_id, step, node, kind, hop, summary, payload_json, duration_ms, tokens, created_at)


class SqliteStore(SqliteViews, SqliteRetention, SqliteDesk):
    """baton's tables in one SQLite file (a ``RunStore``).

    ``SqliteStore(path)`` creates the file and applies pending migrations. Use one per
    process (or thread); it holds one connection (``conn``; ``db`` is the same connection as
    a sqlite-utils ``Database``).
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.url = "sqlite:///" + str(Path(self.path).resolve())
        self.conn = connect(self.path)
        self.db = migrate(self.conn, migrations)
        self.ledger = SqliteLedger(self)
        self._saver_lock: threading.RLock | None = None

    @cached_property
    def users(self) -> SqliteUsers:
        """The ``users`` table (migrated on first use)."""
        return SqliteUsers(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_saver(self) -> FencedSqliteSaver:
        """LangGraph's checkpointer on this file, on its own connection; this store's
        transactions hold its lock from now on (see the module docstring)."""
        saver = open_saver(self.path)
        self._saver_lock = saver.lock
        return saver

    @contextmanager
    def saver(self) -> Iterator[FencedSqliteSaver]:
        """A checkpointer on this file for a few reads, closed on exit."""
        saver = open_saver(self.path)
        try:
            yield saver
        finally:
            saver.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error), holding the lock of the
        checkpointer opened by ``open_saver``. Inside an open transaction it joins it (the
        outermost one commits or rolls back)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        lock = self._saver_lock
        if lock is not None:
            lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def fenced(self, lease: Lease) -> Iterator[sqlite3.Connection]:
        """A ``transaction`` that first checks ``lease`` still holds the run (``check_lease``);
        raises ``LeaseLost``, writing nothing, when it moved on. ``BEGIN IMMEDIATE`` makes
        this connection the only writer until commit, so the check holds for every write
        inside."""
        with self.transaction() as c:
            check_lease(c, lease)
            yield c

    # -- runs -----------------------------------------------------------------------------

    def submit(
        self, task: Task, policy: Policy | None = None, *, submitted_by: str | None = None
    ) -> str:
        """Write a ``queued`` run for ``task`` and return its id. ``policy`` (else the task's
        own, else defaults) is stored inside the task JSON; ``submitted_by`` names the user."""
        task = with_policy(task, policy)
        assert task.policy is not None
        run_id = new_id()
        ts = now_iso()
        self.db["runs"].insert(
            {
                "id": run_id,
                "task_id": task.id,
                "kind": task.kind,
                "question": task.question[:500],
                "task": task.model_dump_json(),
                "status": "queued",
                "reason": None,
                "hops": 0,
                "max_hops": task.policy.max_hops,
                "submitted_by": submitted_by,
                "created_at": ts,
                "updated_at": ts,
            }
        )
        self.add_event(run_id, step=-1, node="", kind="status", summary="queued")
        return run_id

    def run(self, run_id: str) -> dict[str, Any]:
        """The run row with ``task`` and ``report`` parsed. Raises ``NotFoundError``."""
        rows = list(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
        if not rows:
            raise NotFoundError(f"no run {run_id!r}")
        return self._parsed(rows[0])

    @staticmethod
    def _parsed(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "task": _loads(row["task"]), "report": _loads(row["report"])}

    def runs(
        self, status: RunStatus | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Runs, oldest first, optionally only those with ``status``."""
        sql = (
            "SELECT * FROM runs"
            + (" WHERE status = ?" if status else "")
            + " ORDER BY created_at, rowid"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._parsed(r) for r in self.db.query(sql, [status] if status else [])]

    def task(self, run_id: str) -> Task:
        return Task.model_validate(self.run(run_id)["task"])

    def claim(self, worker_id: str, lease_s: float) -> dict[str, Any] | None:
        """Atomically lease the oldest run that is ``queued`` or whose ``running`` lease has
        expired (its worker died), incrementing its ``lease_epoch``. Returns the run row
        (``Lease.of(row)``), or None when there is nothing to do."""
        now = time.time()
        with self.transaction() as c:
            row = c.execute(
                "SELECT id FROM runs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < ?) "
                "ORDER BY created_at, rowid LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            c.execute(
                "UPDATE runs SET status = 'running', lease_owner = ?, lease_expires_at = ?, heartbeat_at = ?, "
                "lease_epoch = lease_epoch + 1, attempts = attempts + 1, updated_at = ? WHERE id = ?",
                (worker_id, now + lease_s, now, now_iso(), row[0]),
            )
        return self.run(row[0])

    def heartbeat(self, run_id: str, worker_id: str, lease_s: float) -> bool:
        """Extend the lease; False when this worker no longer holds it."""
        now = time.time()
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE runs SET lease_expires_at = ?, heartbeat_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                (now + lease_s, now, run_id, worker_id),
            )
            return cur.rowcount == 1

    def progress(self, run_id: str, worker_id: str, **fields: Any) -> bool:
        """Update progress columns (hops, current_node, counts) while holding the lease."""
        if not fields:
            return True
        fields["updated_at"] = now_iso()
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as c:
            cur = c.execute(
                f"UPDATE runs SET {sets} WHERE id = ? AND lease_owner = ?",
                (*fields.values(), run_id, worker_id),
            )
            return cur.rowcount == 1

    def release(
        self,
        run_id: str,
        worker_id: str,
        status: RunStatus,
        *,
        reason: str | None = None,
        report: Report | None = None,
        error: str | None = None,
        **fields: Any,
    ) -> bool:
        """End this worker's lease and set ``status`` (``waiting_review``, ``finished``,
        ``rejected``, ``failed`` or back to ``queued``). False when the lease was lost."""
        values: dict[str, Any] = {
            "status": status,
            "reason": reason,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now_iso(),
            **fields,
        }
        if report is not None:
            values["report"] = report.model_dump_json()
        if error is not None:
            values["error"] = error
        if status in TERMINAL:
            values["finished_at"] = now_iso()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.transaction() as c:
            cur = c.execute(
                f"UPDATE runs SET {sets} WHERE id = ? AND lease_owner = ?",
                (*values.values(), run_id, worker_id),
            )
            ok = cur.rowcount == 1
        if ok:
            self.add_event(
                run_id,
                step=None,
                node="",
                kind="status",
                summary=status + (f" ({reason})" if reason else ""),
            )
        return ok

    # -- events ---------------------------------------------------------------------------

    def add_event(
        self,
        run_id: str,
        *,
        step: int | None,
        node: str,
        kind: str,
        summary: str,
        hop: int | None = None,
        payload: Any = None,
        duration_ms: float | None = None,
        tokens: int | None = None,
    ) -> bool:
        """Append an audit event. With a ``step``, the event is unique per (run, step, node,
        kind): replaying the same superstep after a crash writes nothing twice (returns False)."""
        cur = self.conn.execute(
            _INSERT_EVENT,
            _event_row(
                run_id, now_iso(), step, node, kind, summary, hop, payload, duration_ms, tokens
            ),
        )
        return cur.rowcount == 1

    def add_events(self, run_id: str, events: Iterable[Mapping[str, Any]]) -> int:
        """Append many events (``add_event`` keyword dicts) with one statement; returns how
        many were written (replays of a superstep are skipped, as in ``add_event``)."""
        now = now_iso()
        cur = self.conn.executemany(_INSERT_EVENT, [_event_row(run_id, now, **e) for e in events])
        return max(cur.rowcount, 0)

    def events(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM events WHERE run_id = ? ORDER BY id", [run_id])
        return [{**r, "payload": _loads(r["payload"])} for r in rows]

    # -- review items and decisions -------------------------------------------------------

    def add_review_item(self, run_id: str, interrupt_id: str, request: ReviewRequest) -> str:
        """Record a pending review item for an interrupt; idempotent per (run, interrupt)."""
        existing = self.conn.execute(
            "SELECT id FROM review_items WHERE run_id = ? AND interrupt_id = ?",
            (run_id, interrupt_id),
        ).fetchone()
        if existing:
            return existing[0]
        item_id = new_id()
        self.conn.execute(
            "INSERT OR IGNORE INTO review_items (id, run_id, interrupt_id, reason, hop, max_hops, request, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
            (
                item_id,
                run_id,
                interrupt_id,
                request.reason,
                request.hop,
                request.max_hops,
                request.model_dump_json(),
                now_iso(),
            ),
        )
        row = self.conn.execute(
            "SELECT id FROM review_items WHERE run_id = ? AND interrupt_id = ?",
            (run_id, interrupt_id),
        ).fetchone()
        return row[0]

    def item(self, item_id: str) -> dict[str, Any]:
        """The review item with ``request`` parsed and its ``decision`` (or None). Raises ``NotFoundError``."""
        rows = list(self.db.query("SELECT * FROM review_items WHERE id = ?", [item_id]))
        if not rows:
            raise NotFoundError(f"no review item {item_id!r}")
        row = rows[0]
        row["request"] = _loads(row["request"])
        dec = list(self.db.query("SELECT * FROM decisions WHERE item_id = ?", [item_id]))
        row["decision"] = _loads(dec[0]["decision"]) if dec else None
        return row

    def queue(self, status: str = "pending") -> list[dict[str, Any]]:
        """Review items with ``status`` (default: pending), oldest first."""
        return list(
            self.db.query(
                "SELECT id AS item_id, run_id, reason, hop, max_hops, created_at, status FROM review_items "
                "WHERE status = ? ORDER BY created_at, rowid",
                [status],
            )
        )

    def items(self, run_id: str) -> list[dict[str, Any]]:
        return [
            self.item(r["id"])
            for r in self.db.query(
                "SELECT id FROM review_items WHERE run_id = ? ORDER BY created_at", [run_id]
            )
        ]

    def decide(self, item_id: str, decision: Decision) -> dict[str, Any]:
        """Record ``decision`` for a pending item and queue its run for resumption, in one
        transaction. Only one decision can win: a second one raises ``DecisionConflict``
        (saying by whom and when). Raises ``NotFoundError`` for an unknown item, and
        ``InvalidDecision`` for a send_back target the request does not allow (the one check
        of a reviewer's target; nothing is written then)."""
        item = self.item(item_id)
        request = ReviewRequest.model_validate(item["request"])
        refusal = request.refusal(decision)
        if refusal:
            raise InvalidDecision(refusal)
        ts = now_iso()
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE review_items SET status = 'decided', decided_at = ?, decided_by = ?, action = ? "
                "WHERE id = ? AND status = 'pending'",
                (ts, decision.reviewer, decision.action, item_id),
            )
            if cur.rowcount != 1:
                won = c.execute(
                    "SELECT decided_by, decided_at, action FROM review_items WHERE id = ?",
                    (item_id,),
                ).fetchone()
                raise DecisionConflict(item_id, won[0] or "?", won[1] or "?", won[2] or "?")
            c.execute(
                "INSERT INTO decisions (item_id, run_id, action, reviewer, note, decision, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    item_id,
                    item["run_id"],
                    decision.action,
                    decision.reviewer,
                    decision.note,
                    decision.model_dump_json(),
                    ts,
                ),
            )
            c.execute(
                "UPDATE runs SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'waiting_review'",
                (ts, item["run_id"]),
            )
        self.add_event(
            item["run_id"],
            step=None,
            node="review",
            kind="decision",
            hop=item["hop"],
            summary=f"{decision.action} by {decision.reviewer}"
            + (f": {decision.note}" if decision.note else ""),
            payload=decision.model_dump(mode="json"),
        )
        return self.item(item_id)

    def decided_unapplied(self, run_id: str) -> tuple[str, str, Decision] | None:
        """The decided item of this run not yet applied: ``(item_id, interrupt_id, decision)``."""
        rows = list(
            self.db.query(
                "SELECT r.id, r.interrupt_id, d.decision FROM review_items r JOIN decisions d ON d.item_id = r.id "
                "WHERE r.run_id = ? AND r.status = 'decided' ORDER BY r.created_at LIMIT 1",
                [run_id],
            )
        )
        if not rows:
            return None
        r = rows[0]
        return r["id"], r["interrupt_id"], Decision.model_validate_json(r["decision"])

    def mark_applied(self, item_id: str) -> None:
        self.conn.execute(
            "UPDATE review_items SET status = 'applied' WHERE id = ? AND status = 'decided'",
            (item_id,),
        )

    def decisions(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM decisions WHERE run_id = ? ORDER BY id", [run_id])
        return [{**r, "decision": _loads(r["decision"])} for r in rows]
