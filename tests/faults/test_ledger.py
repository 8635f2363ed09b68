"""The effects ledger: write-once effects, marks, recovery of events a crash cut off, and a
decision applied before a crash never replayed onto a later interrupt."""

from __future__ import annotations

import pytest

from backend_sql import sql
from baton.checkpoints.ledger import START, Ledger, duplicates, lost
from baton.contracts import Decision
from baton.policy import Policy
from baton.worker import Worker


def test_write_once_writes_exactly_once_and_rolls_back_with_its_effect(store, example_tasks):
    run_id = store.submit(example_tasks[0])
    ledger = store.ledger
    assert isinstance(ledger, Ledger)
    event = {"step": None, "node": "", "kind": "status", "summary": "started"}
    assert (
        ledger.write_once(run_id, "", START, "started", lambda: store.add_event(run_id, **event))
        is True
    )
    assert (
        ledger.write_once(run_id, "", START, "started", lambda: store.add_event(run_id, **event))
        is False
    )

    def crash():
        store.add_event(run_id, step=None, node="", kind="status", summary="half-written")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        ledger.write_once(run_id, "x", "c1", "report", crash)
    summaries = [e["summary"] for e in store.events(run_id)]
    assert summaries == ["queued", "started"], "the crashed write left nothing behind"
    assert not ledger.done(run_id, "x", "c1", "report")
    assert [(e["node"], e["key"], e["effect"]) for e in ledger.effects(run_id)] == [
        ("", START, "started")
    ]
    assert duplicates(store) == {"events": 0, "review_items": 0, "decisions": 0, "reports": 0}


def test_duplicates_counts_what_a_double_write_leaves(store, example_tasks):
    run_id = store.submit(example_tasks[0])
    for _ in range(3):
        store.add_event(run_id, step=None, node="", kind="status", summary="started")
    assert duplicates(store)["events"] == 2


def test_events_a_crash_cut_off_are_recorded_by_the_next_worker(store, example_tasks):
    run_id = store.submit(example_tasks[4])
    Worker(store).drain()
    full = [
        (e["step"], e["node"], e["kind"])
        for e in store.events(run_id)
        if e["kind"] in ("node", "handoff")
    ]
    # simulate a worker that died after the last checkpoints were saved but before their events
    sql(
        store,
        "DELETE FROM events WHERE run_id = ? AND step >= 6 AND kind IN ('node', 'handoff', 'node_start')",
        (run_id,),
    )
    sql(
        store,
        "DELETE FROM effects WHERE run_id = ? AND effect = 'events' AND id IN (SELECT id FROM effects WHERE run_id = ? AND effect = 'events' ORDER BY id DESC LIMIT 5)",
        (run_id, run_id),
    )
    sql(
        store,
        "UPDATE runs SET status = 'running', lease_owner = 'dead', lease_expires_at = 0 WHERE id = ?",
        (run_id,),
    )
    Worker(store).drain()
    again = [
        (e["step"], e["node"], e["kind"])
        for e in store.events(run_id)
        if e["kind"] in ("node", "handoff")
    ]
    assert sorted(again, key=str) == sorted(full, key=str)
    assert store.run(run_id)["status"] == "finished"
    assert duplicates(store)["events"] == 0


def test_a_decision_applied_before_a_crash_is_never_replayed(store, example_tasks):
    """The reviewer's decision was applied (the review node's checkpoint is saved) but the
    worker died before marking the item applied; the run later pauses again: the old decision
    must not answer the new interrupt."""
    task = example_tasks[4].model_copy(update={"policy": Policy(max_hops=1)})
    run_id = store.submit(task)
    Worker(store).drain()
    (item,) = store.queue()
    store.decide(item["item_id"], Decision(action="extend", extra_hops=1, reviewer="ann"))
    real_mark = store.mark_applied
    store.mark_applied = lambda item_id: None  # the worker "dies" before this write
    try:
        Worker(store).drain()
    finally:
        store.mark_applied = real_mark
    row = store.run(run_id)
    assert (row["status"], row["reason"]) == ("waiting_review", "hop_limit")
    # the next worker run (any claim) cleans up: the old item is applied, the new one pending
    sql(store, "UPDATE runs SET status = 'queued' WHERE id = ?", (run_id,))
    Worker(store).drain()
    items = store.items(run_id)
    assert [i["status"] for i in items] == ["applied", "pending"]
    assert store.run(run_id)["status"] == "waiting_review"
    assert lost(store) == {"decisions": 0, "runs": 0}


def test_a_crash_between_a_nodes_writes_and_the_next_checkpoint(store, example_tasks):
    """The node's writes are saved but the next checkpoint is not: LangGraph then reports
    ``next == ()`` although the run is not over. The next worker must resume (not mistake it
    for a finished run) and record that node's events once."""
    run_id = store.submit(example_tasks[4])
    Worker(store).drain()

    def c(statement: str, params: tuple = ()):
        return sql(store, statement, params)

    ids = [
        r[0]
        for r in c(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC LIMIT 3",
            (run_id,),
        )
    ]
    # drop the last two checkpoints: the one before them keeps its task's saved writes
    for cid in ids[:2]:
        c("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?", (run_id, cid))
        c("DELETE FROM {writes} WHERE thread_id = ? AND checkpoint_id = ?", (run_id, cid))
    last_step = c("SELECT MAX(step) FROM events WHERE run_id = ?", (run_id,)).fetchone()[0]
    c(
        "DELETE FROM events WHERE run_id = ? AND (step >= ? OR kind = 'status' AND summary LIKE 'finished%')",
        (run_id, last_step - 1),
    )
    c(  # and the ledger marks of those two turns (supervise, finish)
        "DELETE FROM effects WHERE id IN (SELECT id FROM effects WHERE run_id = ? AND effect = 'events' ORDER BY id DESC LIMIT 2)",
        (run_id,),
    )
    c(
        "UPDATE runs SET status = 'running', lease_owner = 'dead', lease_expires_at = 0, report = NULL WHERE id = ?",
        (run_id,),
    )
    Worker(store).drain()
    row = store.run(run_id)
    assert (row["status"], row["error"]) == ("finished", None)
    nodes = [(e["step"], e["node"]) for e in store.events(run_id) if e["kind"] == "node"]
    assert not any(n.startswith("__") for _, n in nodes)
    assert [n for _, n in nodes][-2:] == ["supervise", "finish"]
    assert duplicates(store) == {"events": 0, "review_items": 0, "decisions": 0, "reports": 0}


def test_events_written_as_they_happen_are_not_replays(store, example_tasks):
    run_id = store.submit(example_tasks[0])
    for _ in range(3):  # call 1 of each supervise turn: same summary, no superstep
        store.add_event(
            run_id, step=None, node="supervise", kind="model_call",
            summary="supervise: waiting for the model (call 1)",
        )  # fmt: skip
    calls = [e["summary"] for e in store.events(run_id) if e["kind"] == "model_call"]
    assert calls == ["supervise: waiting for the model (call 1)"] * 3  # three real calls
    assert duplicates(store)["events"] == 0
