"""``PostgresStore``: baton's own tables (runs, review items, decisions, events, effects,
users) in the same PostgreSQL database as LangGraph's checkpoints, as a ``RunStore``.

Concurrency: every write that must have a single winner is one conditional statement or one
transaction. Claiming a run is ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED
LIMIT 1)`` incrementing ``lease_epoch``, so workers on many machines never wait on each other
and never claim the same run; ``fenced(lease)`` locks the run row (``SELECT ... FOR UPDATE``)
and checks the fencing token ``(lease_owner, lease_epoch)`` before any write of the
transaction. The store holds one autocommit connection; ``transaction()`` is explicit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg

from baton.checkpoints.postgres.connection import connect, pool
from baton.checkpoints.postgres.desk import PostgresDesk
from baton.checkpoints.postgres.ledger import PostgresLedger
from baton.checkpoints.postgres.migrations import migrate
from baton.checkpoints.postgres.retention import PostgresRetention
from baton.checkpoints.postgres.saver import FencedPostgresSaver, check_lease
from baton.checkpoints.postgres.users import PostgresUsers
from baton.checkpoints.protocol import RUN_COLUMNS, TERMINAL, Lease, new_id, now_iso, with_policy
from baton.checkpoints.saver import serializer
from baton.contracts import Decision, Report, ReviewRequest, RunStatus, Task
from baton.errors import DecisionConflict, InvalidDecision, NotFoundError
from baton.policy import Policy

_RUN = (
    "id, task_id, kind, question, task, status, reason, hops, max_hops, current_node, claims, "
    "supported, unsupported, contradicted, report, error, lease_owner, lease_expires_at, "
    "heartbeat_at, attempts, created_at, updated_at, finished_at, lease_epoch, submitted_by"
)
"""The columns of a run row, as SQLite's ``runs`` has them (``seq``, the insertion order, is
left out)."""
_ITEM = (
    "id, run_id, interrupt_id, reason, hop, max_hops, request, status, created_at, decided_at, "
    "decided_by, action"
)
_INSERT_EVENT = (
    "INSERT INTO events (run_id, step, node, kind, hop, summary, payload, duration_ms, tokens, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
_PROGRESS = frozenset(
    {
        "hops",
        "max_hops",
        "current_node",
        "claims",
        "supported",
        "unsupported",
        "contradicted",
        "reason",
        "status",
        "report",
        "error",
        "lease_owner",
        "lease_expires_at",
        "updated_at",
        "finished_at",
    }
)
"""Columns ``progress`` and ``release`` may set (they are named in SQL, so only these)."""


def _loads(value: str | None) -> Any:
    return None if value in (None, "") else json.loads(value)


def _dumps(payload: Any) -> str:
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


def _sets(fields: Mapping[str, Any]) -> str:
    unknown = set(fields) - _PROGRESS
    if unknown:
        raise ValueError(f"not a run column that can be set: {', '.join(sorted(unknown))}")
    return ", ".join(f"{k} = %({k})s" for k in fields)


class PostgresStore(PostgresRetention, PostgresDesk):
    """baton's tables in one PostgreSQL database (a ``RunStore``).

    ``PostgresStore(location)`` (a libpq URL) connects and applies pending migrations. Use one
    per thread; it holds one connection (``conn``, autocommit, dict rows).
    """

    def __init__(self, location: str):
        self.location = location
        self.url = location
        self.conn = connect(location)
        migrate(self.conn)
        self.ledger = PostgresLedger(self)
        self.users = PostgresUsers(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_saver(self) -> FencedPostgresSaver:
        """LangGraph's checkpointer on this database, on its own connection pool (``saver.conn``;
        close it when done): a ``FencedPostgresSaver`` with baton's serializer."""
        return FencedPostgresSaver(pool(self.location), serde=serializer())

    @contextmanager
    def saver(self) -> Iterator[Any]:
        """A checkpointer on this database for a few reads, its pool closed on exit."""
        saver = self.open_saver()
        try:
            yield saver
        finally:
            saver.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """One transaction (rolled back on error); inside an open one it joins it (the
        outermost one commits)."""
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield self.conn
            return
        with self.conn.transaction():
            yield self.conn

    @contextmanager
    def fenced(self, lease: Lease) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """One write transaction that first locks the run row and checks the fencing token
        (``lease_owner``, ``lease_epoch``, status ``running``); raises ``LeaseLost`` (nothing
        written) when the lease moved on. Joins an open transaction (and still checks)."""
        with self.transaction() as conn:
            check_lease(conn, lease)
            yield conn

    # -- runs -----------------------------------------------------------------------------

    def submit(
        self, task: Task, policy: Policy | None = None, *, submitted_by: str | None = None
    ) -> str:
        """Write a ``queued`` run for ``task`` and return its id (its policy: the task's,
        else ``policy``, else the defaults, stored in the task JSON; ``submitted_by`` names the
        user)."""
        task = with_policy(task, policy)
        assert task.policy is not None
        run_id = new_id()
        ts = now_iso()
        with self.transaction() as c:
            c.execute(
                "INSERT INTO runs (id, task_id, kind, question, task, status, hops, max_hops, "
                "submitted_by, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, 'queued', 0, %s, %s, %s, %s)",
                (
                    run_id,
                    task.id,
                    task.kind,
                    task.question[:500],
                    task.model_dump_json(),
                    task.policy.max_hops,
                    submitted_by,
                    ts,
                    ts,
                ),
            )
            self.add_event(run_id, step=-1, node="", kind="status", summary="queued")
        return run_id

    @staticmethod
    def _parsed(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "task": _loads(row["task"]), "report": _loads(row["report"])}

    def run(self, run_id: str) -> dict[str, Any]:
        """The run row with ``task`` and ``report`` parsed. Raises ``NotFoundError``."""
        row = self.conn.execute(f"SELECT {_RUN} FROM runs WHERE id = %s", (run_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no run {run_id!r}")
        return self._parsed(row)

    def runs(
        self, status: RunStatus | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Runs, oldest first, optionally only those with ``status``."""
        sql = f"SELECT {_RUN} FROM runs" + (" WHERE status = %s" if status else "")
        sql += " ORDER BY created_at, seq" + (f" LIMIT {int(limit)}" if limit else "")
        return [self._parsed(r) for r in self.conn.execute(sql, [status] if status else [])]

    def task(self, run_id: str) -> Task:
        return Task.model_validate(self.run(run_id)["task"])

    def claim(self, worker_id: str, lease_s: float) -> dict[str, Any] | None:
        """Lease the oldest run that is ``queued`` or whose ``running`` lease expired, in one
        statement (``FOR UPDATE SKIP LOCKED``: concurrent claims take different runs), and
        increment its ``lease_epoch``. Returns the run row, or None when there is none."""
        now = time.time()
        row = self.conn.execute(
            "UPDATE runs SET status = 'running', lease_owner = %(w)s, lease_epoch = lease_epoch + 1, "
            "lease_expires_at = %(exp)s, heartbeat_at = %(now)s, attempts = attempts + 1, updated_at = %(ts)s "
            "WHERE id = (SELECT id FROM runs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < %(now)s) "
            "ORDER BY created_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED) "
            f"RETURNING {_RUN}",
            {"w": worker_id, "exp": now + lease_s, "now": now, "ts": now_iso()},
        ).fetchone()
        return None if row is None else self._parsed(row)

    def heartbeat(self, run_id: str, worker_id: str, lease_s: float) -> bool:
        """Extend the lease; False when this worker no longer holds it."""
        now = time.time()
        cur = self.conn.execute(
            "UPDATE runs SET lease_expires_at = %s, heartbeat_at = %s "
            "WHERE id = %s AND lease_owner = %s AND status = 'running'",
            (now + lease_s, now, run_id, worker_id),
        )
        return cur.rowcount == 1

    def progress(self, run_id: str, worker_id: str, **fields: Any) -> bool:
        """Update progress columns (hops, current_node, counts) while holding the lease."""
        if not fields:
            return True
        fields["updated_at"] = now_iso()
        cur = self.conn.execute(
            f"UPDATE runs SET {_sets(fields)} WHERE id = %(_id)s AND lease_owner = %(_w)s",
            {**fields, "_id": run_id, "_w": worker_id},
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
        """End this worker's lease and set ``status`` (with its status event, in one
        transaction). False when the lease was lost."""
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
        with self.transaction() as c:
            cur = c.execute(
                f"UPDATE runs SET {_sets(values)} WHERE id = %(_id)s AND lease_owner = %(_w)s",
                {**values, "_id": run_id, "_w": worker_id},
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
        """Append an audit event; with a ``step`` it is unique per (run, step, node, kind), so
        a replayed superstep writes nothing twice (returns False)."""
        cur = self.conn.execute(
            _INSERT_EVENT,
            _event_row(
                run_id, now_iso(), step, node, kind, summary, hop, payload, duration_ms, tokens
            ),
        )
        return cur.rowcount == 1

    def add_events(self, run_id: str, events: Iterable[Mapping[str, Any]]) -> int:
        """Append many events (``add_event`` keyword dicts) in one transaction; returns how
        many were written (replays are skipped)."""
        now = now_iso()
        rows = [_event_row(run_id, now, **e) for e in events]
        if not rows:
            return 0
        n = 0
        with self.transaction() as c, c.cursor() as cur:
            for row in rows:
                cur.execute(_INSERT_EVENT, row)
                n += cur.rowcount
        return n

    def events(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM events WHERE run_id = %s ORDER BY id", (run_id,))
        return [{**r, "payload": _loads(r["payload"])} for r in rows]

    # -- review items and decisions -------------------------------------------------------

    def add_review_item(self, run_id: str, interrupt_id: str, request: ReviewRequest) -> str:
        """Record a pending review item for an interrupt; idempotent per (run, interrupt)."""
        self.conn.execute(
            "INSERT INTO review_items (id, run_id, interrupt_id, reason, hop, max_hops, request, status, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s) ON CONFLICT DO NOTHING",
            (
                new_id(),
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
            "SELECT id FROM review_items WHERE run_id = %s AND interrupt_id = %s",
            (run_id, interrupt_id),
        ).fetchone()
        return row["id"]

    def item(self, item_id: str) -> dict[str, Any]:
        """The review item with ``request`` parsed and its ``decision`` (or None). Raises
        ``NotFoundError``."""
        row = self.conn.execute(
            f"SELECT {_ITEM} FROM review_items WHERE id = %s", (item_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no review item {item_id!r}")
        dec = self.conn.execute(
            "SELECT decision FROM decisions WHERE item_id = %s", (item_id,)
        ).fetchone()
        return {
            **row,
            "request": _loads(row["request"]),
            "decision": _loads(dec["decision"]) if dec else None,
        }

    def queue(self, status: str = "pending") -> list[dict[str, Any]]:
        """Review items with ``status`` (default: pending), oldest first."""
        return self.conn.execute(
            "SELECT id AS item_id, run_id, reason, hop, max_hops, created_at, status FROM review_items "
            "WHERE status = %s ORDER BY created_at, seq",
            (status,),
        ).fetchall()

    def items(self, run_id: str) -> list[dict[str, Any]]:
        ids = self.conn.execute(
            "SELECT id FROM review_items WHERE run_id = %s ORDER BY created_at, seq", (run_id,)
        ).fetchall()
        return [self.item(r["id"]) for r in ids]

    def decide(self, item_id: str, decision: Decision) -> dict[str, Any]:
        """Record ``decision`` for a pending item and queue its run for resumption, in one
        transaction; only one decision can win. Raises ``NotFoundError`` (unknown item),
        ``InvalidDecision`` (a send-back target the request does not allow; nothing written)
        and ``DecisionConflict`` (saying by whom and when the item was decided)."""
        item = self.item(item_id)
        refusal = ReviewRequest.model_validate(item["request"]).refusal(decision)
        if refusal:
            raise InvalidDecision(refusal)
        ts = now_iso()
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE review_items SET status = 'decided', decided_at = %s, decided_by = %s, action = %s "
                "WHERE id = %s AND status = 'pending'",
                (ts, decision.reviewer, decision.action, item_id),
            )
            if cur.rowcount != 1:
                won = c.execute(
                    "SELECT decided_by, decided_at, action FROM review_items WHERE id = %s",
                    (item_id,),
                ).fetchone()
                raise DecisionConflict(
                    item_id,
                    won["decided_by"] or "?",
                    won["decided_at"] or "?",
                    won["action"] or "?",
                )
            c.execute(
                "INSERT INTO decisions (item_id, run_id, action, reviewer, note, decision, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
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
                "UPDATE runs SET status = 'queued', updated_at = %s WHERE id = %s AND status = 'waiting_review'",
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
        r = self.conn.execute(
            "SELECT r.id, r.interrupt_id, d.decision FROM review_items r JOIN decisions d ON d.item_id = r.id "
            "WHERE r.run_id = %s AND r.status = 'decided' ORDER BY r.created_at, r.seq LIMIT 1",
            (run_id,),
        ).fetchone()
        if r is None:
            return None
        return r["id"], r["interrupt_id"], Decision.model_validate_json(r["decision"])

    def mark_applied(self, item_id: str) -> None:
        self.conn.execute(
            "UPDATE review_items SET status = 'applied' WHERE id = %s AND status = 'decided'",
            (item_id,),
        )

    def decisions(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM decisions WHERE run_id = %s ORDER BY id", (run_id,))
        return [{**r, "decision": _loads(r["decision"])} for r in rows]

    # -- views (read-only, for the browser app) -------------------------------------------

    def run_rows(self, statuses: Iterable[str] = (), limit: int = 200) -> list[dict[str, Any]]:
        """Runs newest first (at most ``limit``; ``RUN_COLUMNS``), only those whose status is
        in ``statuses`` when it is not empty."""
        statuses = list(statuses)
        where = " WHERE status = ANY(%(s)s)" if statuses else ""
        return self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs{where} ORDER BY created_at DESC, seq DESC LIMIT %(n)s",
            {"s": statuses, "n": int(limit)},
        ).fetchall()

    def status_counts(self) -> dict[str, int]:
        """``{status: number of runs}`` for the statuses present."""
        rows = self.conn.execute("SELECT status, count(*) AS n FROM runs GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    def pending_items(self) -> list[dict[str, Any]]:
        """Pending review items oldest first, each with its run's question, task id and kind:
        ``{item_id, run_id, reason, hop, max_hops, created_at, question, task_id, kind,
        claimed_by, claimed_until}`` (the claim as ``claim_item`` left it; it may have expired)."""
        return self.conn.execute(
            "SELECT r.id AS item_id, r.run_id, r.reason, r.hop, r.max_hops, r.created_at, "
            "r.claimed_by, r.claimed_until, "
            "u.question, u.task_id, u.kind FROM review_items r JOIN runs u ON u.id = r.run_id "
            "WHERE r.status = 'pending' ORDER BY r.created_at, r.seq"
        ).fetchall()

    def reason_counts(self) -> dict[str, int]:
        """``{reason: pending items}``, most frequent first."""
        rows = self.conn.execute(
            "SELECT reason, count(*) AS n FROM review_items WHERE status = 'pending' "
            "GROUP BY reason ORDER BY n DESC, reason"
        )
        return {r["reason"]: int(r["n"]) for r in rows}
