"""What a storage backend offers: ``RunStore`` (runs, review items, decisions, events, the
effects ledger, users, the read-only views and the retention primitives), ``Ledger`` and
``UserStore``. The worker, the service layer, the browser app and the CLI speak only these
protocols; SQL lives in the backend packages (``baton.checkpoints.sqlite`` today).

A second backend (PostgreSQL) is one new package offering ``open_store(location)`` and
``open_saver(location)`` and one line in ``baton.checkpoints.backends.BACKENDS``; it must pass
the backend-parametrised store tests (``tests/checkpoints``).

Fencing: a claim increments the run's ``lease_epoch``; ``(lease_owner, lease_epoch)`` is the
run's fencing token, carried by a ``Lease``. Every write a worker makes for a run goes through
``RunStore.fenced(lease)`` (a transaction whose first statement checks the token) and every
checkpoint it writes carries the lease in ``config["configurable"][LEASE_KEY]`` (the store's
saver checks it in the checkpoint's own transaction), so a worker that stalled past its lease
cannot write anything once another worker has claimed the run: it gets ``LeaseLost``.

Shapes: rows are plain dicts keyed by column name; times are ISO 8601 UTC strings (``now_iso``)
for people and unix seconds (floats) for leases; ids are 12 hex characters (``new_id``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, get_args, runtime_checkable

from langgraph.checkpoint.base import BaseCheckpointSaver

from baton.contracts import Decision, Report, ReviewRequest, RunStatus, Task
from baton.policy import Policy, resolve_policy

STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
"""Every run status, in the order a run meets them."""
TERMINAL: tuple[RunStatus, ...] = ("finished", "rejected", "failed")
"""The statuses a run ends in (retention may prune these runs' checkpoints)."""

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
"""Columns of ``RunStore.run_rows`` (the task and report JSON are left out: they can be large)."""


LEASE_KEY = "baton_lease"
"""Key of the ``Lease`` in a LangGraph ``RunnableConfig``'s ``configurable``: checkpoints written
under such a config are fenced by it (a ``Lease`` is not a primitive, so LangGraph does not copy
it into checkpoint metadata)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A worker's hold on a run: the fencing token ``(owner, epoch)`` every write checks.

    ``epoch`` is ``runs.lease_epoch`` after the claim (each claim increments it);
    ``expires_at`` is the lease's end at claim time in unix seconds (heartbeats extend the
    row, not this value)."""

    run_id: str
    owner: str
    epoch: int
    expires_at: float

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Lease:
        """The lease of a run row ``RunStore.claim`` returned (``id``, ``lease_owner``,
        ``lease_epoch``, ``lease_expires_at``)."""
        return cls(
            str(row["id"]),
            str(row["lease_owner"]),
            int(row["lease_epoch"]),
            float(row["lease_expires_at"]),
        )


def with_policy(task: Task, policy: Policy | None = None) -> Task:
    """``task`` carrying the policy its run uses: the task's own, else ``policy``, else the
    defaults (what ``RunStore.submit`` stores; every backend calls this, none repeats it)."""
    return task.model_copy(update={"policy": resolve_policy(task.policy, policy)})


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a ``Z`` (``2026-01-31T12:00:00.000Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    """A new run or review item id: 12 hex characters of a random UUID."""
    return uuid.uuid4().hex[:12]


@runtime_checkable
class Ledger(Protocol):
    """The effects ledger of a store (see ``baton.checkpoints.ledger``): which side effects of
    a run a worker completed, unique per ``(run_id, node, key, effect)``."""

    def done(self, run_id: str, node: str, key: str, effect: str) -> bool:
        """Whether the effect is recorded as completed."""
        ...

    def mark(
        self, run_id: str, node: str, key: str, effect: str, worker_id: str | None = None
    ) -> bool:
        """Record a completed (idempotent) effect; False when it was already recorded."""
        ...

    def mark_all(
        self, run_id: str, marks: list[tuple[str, str]], effect: str, worker_id: str | None = None
    ) -> int:
        """``mark`` each ``(node, key)``; returns how many were new."""
        ...

    def write_once(
        self,
        run_id: str,
        node: str,
        key: str,
        effect: str,
        write: Callable[[], Any],
        worker_id: str | None = None,
    ) -> bool:
        """Claim the effect and run ``write()`` (store writes, no transaction of their own) in
        one transaction; False, writing nothing, when the effect was already done."""
        ...

    def effects(self, run_id: str) -> list[dict[str, Any]]:
        """The run's completed effects, oldest first: ``{run_id, node, key, effect, worker_id, created_at}``."""
        ...

    def duplicates(self) -> dict[str, int]:
        """Surplus rows a double write would have made: ``{events, review_items, decisions, reports}``."""
        ...

    def lost(self) -> dict[str, int]:
        """Work a crash could have lost: ``{decisions, runs}`` (see ``baton.checkpoints.ledger.lost``)."""
        ...


@runtime_checkable
class UserStore(Protocol):
    """Users of the browser app (see ``baton.checkpoints.users``). Rows are
    ``{name, role, created_at, last_login_at, oidc}``; the password hash is never returned."""

    def add(
        self, name: str, role: str, password: str | None, *, replace: bool = False
    ) -> dict[str, Any]:
        """Create a user (``password=None``: OIDC only). Raises ``ConfigError``."""
        ...

    def get(self, name: str) -> dict[str, Any]:
        """The user called ``name``. Raises ``NotFoundError``."""
        ...

    def find(self, name: str) -> dict[str, Any] | None: ...

    def authenticate(self, name: str, password: str) -> dict[str, Any] | None:
        """The user when ``password`` is theirs (recording the sign-in), else None."""
        ...

    def touch(self, name: str) -> None: ...

    def list(self) -> list[dict[str, Any]]: ...

    def count(self) -> int: ...


@runtime_checkable
class RunStore(Protocol):
    """baton's own tables in one database, beside LangGraph's checkpoints of the same runs.

    Every write that must have a single winner (claiming a run, deciding an item, releasing
    a lease) is a conditional update in one transaction, so two workers or two reviewers can
    never both win. Open one with ``baton.checkpoints.open_store(url)``; use one per thread.
    """

    url: str
    """Where the store lives, as a URL ``open_store`` takes (``sqlite:////abs/path.db``)."""
    ledger: Ledger
    users: UserStore

    def close(self) -> None: ...

    def __enter__(self) -> RunStore: ...

    def __exit__(self, *exc: object) -> None: ...

    def transaction(self) -> AbstractContextManager[Any]:
        """One write transaction (rolled back on error); joins an open one."""
        ...

    def open_saver(self) -> BaseCheckpointSaver:
        """A LangGraph checkpointer on the same database, on its own connection (the worker's)."""
        ...

    def saver(self) -> AbstractContextManager[BaseCheckpointSaver]:
        """``open_saver()`` closed on exit (for a few reads)."""
        ...

    # -- runs ---------------------------------------------------------------------------

    def submit(
        self, task: Task, policy: Policy | None = None, *, submitted_by: str | None = None
    ) -> str:
        """Write a ``queued`` run of ``task`` (its policy: the task's, else ``policy``, else
        the defaults; ``submitted_by``: the user's name, None from the command line) and
        return the run id."""
        ...

    def run(self, run_id: str) -> dict[str, Any]:
        """The run row with ``task`` and ``report`` parsed. Raises ``NotFoundError``."""
        ...

    def runs(
        self, status: RunStatus | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Runs oldest first, only those with ``status`` when given."""
        ...

    def task(self, run_id: str) -> Task: ...

    def claim(self, worker_id: str, lease_s: float) -> dict[str, Any] | None:
        """Lease the oldest queued run (or one whose lease expired), incrementing its
        ``lease_epoch``: the run row (``Lease.of(row)`` is the worker's lease); None when
        there is none. Two workers never claim the same epoch."""
        ...

    def fenced(self, lease: Lease) -> AbstractContextManager[Any]:
        """A write transaction whose first statement checks that the run still has
        ``lease_owner = lease.owner``, ``lease_epoch = lease.epoch`` and status ``running``
        (holding the row until commit: SQLite's single writer, PostgreSQL's ``FOR UPDATE``);
        writes inside it commit with the check. Raises ``LeaseLost`` (nothing written) when
        the lease moved on. Joins an open transaction, still checking."""
        ...

    def heartbeat(self, run_id: str, worker_id: str, lease_s: float) -> bool:
        """Extend the lease; False when this worker no longer holds it."""
        ...

    def progress(self, run_id: str, worker_id: str, **fields: Any) -> bool:
        """Update progress columns while holding the lease; False when it was lost."""
        ...

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
        """End the lease and set ``status``; False when the lease was lost."""
        ...

    # -- events -------------------------------------------------------------------------

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
        """Append an audit event, unique per (run, step, node, kind) when ``step`` is given;
        False when it was there already (a replay)."""
        ...

    def add_events(self, run_id: str, events: Iterable[Mapping[str, Any]]) -> int: ...

    def events(self, run_id: str) -> list[dict[str, Any]]: ...

    # -- review items and decisions -----------------------------------------------------

    def add_review_item(self, run_id: str, interrupt_id: str, request: ReviewRequest) -> str: ...

    def item(self, item_id: str) -> dict[str, Any]: ...

    def queue(self, status: str = "pending") -> list[dict[str, Any]]: ...

    def items(self, run_id: str) -> list[dict[str, Any]]: ...

    def decide(self, item_id: str, decision: Decision) -> dict[str, Any]:
        """Record ``decision`` for a pending item and queue its run. Raises ``NotFoundError``,
        ``InvalidDecision`` (a send-back target the request does not allow) and
        ``DecisionConflict``."""
        ...

    def decided_unapplied(self, run_id: str) -> tuple[str, str, Decision] | None: ...

    def mark_applied(self, item_id: str) -> None: ...

    def decisions(self, run_id: str) -> list[dict[str, Any]]: ...

    # -- views (read-only, for the browser app) -----------------------------------------

    def run_rows(self, statuses: Iterable[str] = (), limit: int = 200) -> list[dict[str, Any]]:
        """Runs newest first (``RUN_COLUMNS``), filtered by status when ``statuses`` is not empty."""
        ...

    def status_counts(self) -> dict[str, int]: ...

    def pending_items(self) -> list[dict[str, Any]]:
        """Pending items oldest first: ``{item_id, run_id, reason, hop, max_hops, created_at,
        question, task_id, kind, claimed_by, claimed_until}`` (see ``claim_item``)."""
        ...

    def reason_counts(self) -> dict[str, int]: ...

    # -- retention primitives (the policy is baton.checkpoints.retention) ---------------

    def prunable_runs(self, older_than_days: float = 0.0, now: datetime | None = None) -> list[str]:
        """Ids of runs that ended (``TERMINAL``) at least ``older_than_days`` days ago."""
        ...

    def kept_checkpoints(self, thread_id: str) -> list[tuple[str, str]]:
        """``(checkpoint_ns, checkpoint_id)`` pairs pruning keeps: the last of each namespace
        and each with an interrupt write, oldest first."""
        ...

    def delete_checkpoints(self, thread_id: str, keep: list[tuple[str, str]]) -> tuple[int, int]:
        """Delete the thread's checkpoints and writes except ``keep``, in one transaction;
        returns ``(checkpoints deleted, writes deleted)``."""
        ...

    def checkpoint_bytes(self, thread_id: str | None = None) -> int:
        """Bytes of checkpoint data (checkpoints, metadata, pending writes)."""
        ...

    def compact(self) -> None:
        """Give the space of deleted rows back to the file system (SQLite: ``VACUUM``)."""
        ...

    def table_sizes(self) -> list[dict[str, int | str]]:
        """``{table, rows, bytes}`` largest first, then a ``(file)`` row with the total size."""
        ...

    # -- the reviewer's desk (issue 17) --------------------------------------------------

    def claim_item(self, item_id: str, reviewer: str, ttl_s: float) -> dict[str, Any]:
        """Claim a pending item for ``reviewer`` for ``ttl_s`` seconds unless another
        reviewer's claim is unexpired (a conditional update; claiming again renews). Returns
        ``{item_id, claimed_by, claimed_until (unix s), mine}``; ``claimed_by`` None when the
        item is not pending."""
        ...

    def run_page(
        self,
        *,
        search: str = "",
        submitted_by: str | None = None,
        statuses: Iterable[str] = (),
        offset: int = 0,
        limit: int = 25,
    ) -> tuple[list[dict[str, Any]], int]:
        """``(rows, total)``: one page of runs newest first (``RUN_COLUMNS`` and
        ``submitted_by``) matching ``search`` (id, task id or question, case-insensitive),
        ``submitted_by`` and ``statuses``, and how many match in all."""
        ...

    def failed_sign_ins(self, name: str, client: str, since: str) -> dict[str, Any]:
        """Failed sign-ins (``events`` without a run, kind ``sign_in_failed``, payload
        ``{name, client}``) since the ISO time ``since``: ``{name: n, client: n, last_at}``."""
        ...

    def session_revoked(self, session_id: str) -> bool:
        """Whether a ``sign_out`` event (no run, payload ``{session}``) revoked the session."""
        ...
