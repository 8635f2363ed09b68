"""Schema of baton's own tables, as sqlite-utils migrations (applied in order, once each).

- ``runs``: one row per task run (``id`` is also the LangGraph ``thread_id``), with its
  status, lease and progress.
- ``review_items``: one row per interrupt (unique per run and interrupt id).
- ``decisions``: the reviewer decision for an item (unique per item: only one can win).
- ``events``: the audit trail, one row per node update, handoff, failure, interrupt,
  decision; unique per ``(run_id, step, node, kind)`` so a replay writes nothing twice.
- ``effects``: the effects ledger, unique per ``(run_id, node, key, effect)``.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("baton")


@migrations()
def m001_initial(db: Database) -> None:
    db["runs"].create(
        {
            "id": str,
            "task_id": str,
            "kind": str,
            "question": str,
            "task": str,  # JSON of the Task
            "status": str,
            "reason": str,
            "hops": int,
            "max_hops": int,
            "current_node": str,
            "claims": int,
            "supported": int,
            "unsupported": int,
            "contradicted": int,
            "report": str,  # JSON of the Report
            "error": str,
            "lease_owner": str,
            "lease_expires_at": float,  # unix seconds
            "heartbeat_at": float,
            "attempts": int,
            "created_at": str,  # ISO 8601 UTC
            "updated_at": str,
            "finished_at": str,
        },
        pk="id",
        not_null={"status", "created_at", "task"},
        defaults={
            "status": "queued",
            "hops": 0,
            "claims": 0,
            "supported": 0,
            "unsupported": 0,
            "contradicted": 0,
            "attempts": 0,
        },
        if_not_exists=True,
    )
    db["runs"].create_index(["status", "created_at"], if_not_exists=True)
    db["review_items"].create(
        {
            "id": str,
            "run_id": str,
            "interrupt_id": str,
            "reason": str,
            "hop": int,
            "max_hops": int,
            "request": str,  # JSON of the ReviewRequest
            "status": str,  # pending | decided | applied
            "created_at": str,
            "decided_at": str,
            "decided_by": str,
            "action": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        not_null={"run_id", "interrupt_id", "status", "created_at"},
        if_not_exists=True,
    )
    db["review_items"].create_index(["run_id", "interrupt_id"], unique=True, if_not_exists=True)
    db["review_items"].create_index(["status", "created_at"], if_not_exists=True)
    db["decisions"].create(
        {
            "id": int,
            "item_id": str,
            "run_id": str,
            "action": str,
            "reviewer": str,
            "note": str,
            "decision": str,  # JSON of the Decision
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("item_id", "review_items", "id"), ("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db["decisions"].create_index(["item_id"], unique=True, if_not_exists=True)
    db["events"].create(
        {
            "id": int,
            "run_id": str,
            "step": int,  # LangGraph superstep of the checkpoint the event belongs to
            "node": str,
            "kind": str,  # node | handoff | failure | interrupt | decision | status | bound | lease_lost
            "hop": int,
            "summary": str,
            "payload": str,  # JSON
            "duration_ms": float,
            "tokens": int,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db["events"].create_index(["run_id", "step", "node", "kind"], unique=True, if_not_exists=True)


@migrations()
def m003_effects(db: Database) -> None:
    """The effects ledger (``baton.checkpoints.ledger``): one row per side effect a worker
    completed, unique per ``(run_id, node, checkpoint_id, effect)``."""
    db["effects"].create(
        {
            "id": int,
            "run_id": str,
            "node": str,  # the node whose checkpoint caused the effect ("" for the worker itself)
            "checkpoint_id": str,  # LangGraph checkpoint id (or "start" before the first one)
            "effect": str,  # "events" (a checkpoint's events are recorded) | "started"
            "worker_id": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        not_null={"run_id", "node", "checkpoint_id", "effect"},
        if_not_exists=True,
    )
    db["effects"].create_index(
        ["run_id", "node", "checkpoint_id", "effect"], unique=True, if_not_exists=True
    )


@migrations()
def m004_effects_key(db: Database) -> None:
    """The ledger's ``checkpoint_id`` column becomes ``key``: a node's recorded events are
    keyed by LangGraph's task id (deterministic, the same in ``get_state_history``), which
    the worker knows as the node runs; effects before the first checkpoint keep ``"start"``.
    Marks written before (keyed by the child checkpoint id) stay: they match no task id, so a
    crashed run of that time re-records its events once, which the ``events`` unique key
    turns into no new rows."""
    db.execute("ALTER TABLE effects RENAME COLUMN checkpoint_id TO key")
    db.execute("DROP INDEX IF EXISTS idx_effects_run_id_node_checkpoint_id_effect")
    db["effects"].create_index(["run_id", "node", "key", "effect"], unique=True, if_not_exists=True)


@migrations()
def m005_lease_epoch(db: Database) -> None:
    """``runs.lease_epoch``: incremented by every claim; with ``lease_owner`` it is the run's
    fencing token (``baton.checkpoints.protocol.Lease``)."""
    db.execute("ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0")


@migrations()
def m006_review_desk(db: Database) -> None:
    """The reviewer's desk (issue 17): who submitted a run (``runs.submitted_by``, NULL for
    runs queued before or by the command line without a name), and a reviewer's short claim on
    a pending item (``review_items.claimed_by`` until ``claimed_until``, unix seconds).
    Sign-in failures and sign-outs are ``events`` rows without a run (``run_id`` NULL)."""
    db.execute("ALTER TABLE runs ADD COLUMN submitted_by TEXT")
    db.execute("ALTER TABLE review_items ADD COLUMN claimed_by TEXT")
    db.execute("ALTER TABLE review_items ADD COLUMN claimed_until FLOAT")
    db["runs"].create_index(["submitted_by", "created_at"], if_not_exists=True)
    db["events"].create_index(["kind", "created_at"], if_not_exists=True)
