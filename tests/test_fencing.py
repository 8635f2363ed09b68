"""Fenced leases (issue 16): a worker that stalled past its lease cannot write anything for the
run once another worker claimed it (events, progress, ledger marks, release, a decision
applied, checkpoints); it records ``lease_lost`` and stops. Runs on every backend."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from langgraph.checkpoint.base import empty_checkpoint

import baton.worker as worker_module
from baton.checkpoints import LEASE_KEY, Lease, open_store
from baton.contracts import Decision
from baton.errors import LeaseLost
from baton.policy import Policy
from baton.worker import Worker, run_tasks


@pytest.fixture
def task(example_tasks):
    return next(t for t in example_tasks if t.id == "fcgpt-r57-answer")


def _expired_and_reclaimed(store, run_id: str) -> tuple[Lease, Lease]:
    """``(stale, current)``: ``first`` claims ``run_id`` for 0.05 s, the lease expires, and
    ``second`` claims it again."""
    stale = Lease.of(store.claim("first", 0.05))
    time.sleep(0.1)
    current = Lease.of(store.claim("second", 30))
    assert (stale.run_id, current.run_id) == (run_id, run_id)
    return stale, current


def test_each_claim_increments_the_lease_epoch(store, task):
    run_id = store.submit(task)
    stale, current = _expired_and_reclaimed(store, run_id)
    assert (stale.owner, stale.epoch, current.owner, current.epoch) == ("first", 1, "second", 2)
    assert store.run(run_id)["lease_epoch"] == 2


def test_a_stale_lease_writes_nothing_through_the_store(store, task):
    run_id = store.submit(task)
    stale, current = _expired_and_reclaimed(store, run_id)
    writes = {
        "event": lambda: store.add_event(run_id, step=1, node="research", kind="node", summary="x"),
        "progress": lambda: store.progress(run_id, "first", hops=9),
        "heartbeat": lambda: store.heartbeat(run_id, "first", 30),
        "ledger mark": lambda: store.ledger.mark(run_id, "research", "t1", "events", "first"),
        "release": lambda: store.release(run_id, "first", "finished", reason="completed"),
    }
    for name, write in writes.items():
        with pytest.raises(LeaseLost) as err, store.fenced(stale):
            write()
        assert err.value.run_id == run_id, name
    row = store.run(run_id)
    assert (row["status"], row["lease_owner"], row["lease_epoch"], row["hops"]) == (
        "running",
        "second",
        2,
        0,
    )
    assert [e["summary"] for e in store.events(run_id)] == ["queued"]
    assert store.ledger.effects(run_id) == []
    with store.fenced(current):  # the holder writes
        assert store.progress(run_id, "second", hops=1) is True
    assert store.run(run_id)["hops"] == 1


def test_a_stale_lease_cannot_apply_a_decision(store, task):
    (run_id,) = run_tasks(store, [task.model_copy(update={"policy": Policy(max_hops=2)})])
    (item,) = store.queue()
    store.decide(item["item_id"], Decision(action="extend", reviewer="ann", extra_hops=4))
    stale, _ = _expired_and_reclaimed(store, run_id)
    with pytest.raises(LeaseLost), store.fenced(stale):
        store.mark_applied(item["item_id"])
    assert store.item(item["item_id"])["status"] == "decided"


def test_a_stale_lease_writes_no_checkpoint(store, task):
    run_id = store.submit(task)
    stale, current = _expired_and_reclaimed(store, run_id)
    saver = store.open_saver()
    try:

        def config(lease: Lease) -> dict:
            return {"configurable": {"thread_id": run_id, "checkpoint_ns": "", LEASE_KEY: lease}}

        with pytest.raises(LeaseLost):
            saver.put(config(stale), empty_checkpoint(), {"step": 0}, {})
        with pytest.raises(LeaseLost):
            saver.put_writes(
                {"configurable": {**config(stale)["configurable"], "checkpoint_id": "c1"}},
                [("x", 1)],
                "task-1",
            )
        assert list(saver.list({"configurable": {"thread_id": run_id}})) == []
        saved = saver.put(config(current), empty_checkpoint(), {"step": 0}, {})
        assert [c.config["configurable"]["checkpoint_id"] for c in saver.list(saved)] == [
            saved["configurable"]["checkpoint_id"]
        ]
        unfenced = {"configurable": {"thread_id": "other-thread", "checkpoint_ns": ""}}
        assert (
            saver.put(unfenced, empty_checkpoint(), {"step": 0}, {})["configurable"]["thread_id"]
            == "other-thread"
        )
    finally:
        saver.conn.close()


def _forks(store, run_id: str) -> int:
    """Checkpoints of ``run_id`` with more than one child."""
    with store.saver() as saver:
        parents = Counter(
            c.parent_config["configurable"]["checkpoint_id"]
            for c in saver.list({"configurable": {"thread_id": run_id}})
            if c.parent_config
        )
    return sum(1 for n in parents.values() if n > 1)


def test_a_worker_stalled_past_its_lease_stops_with_lease_lost_and_the_successor_finishes(
    store, task, example_tasks, monkeypatch
):
    """The first worker's heartbeat stalls (as under SIGSTOP) while it is in ``research``; its
    lease expires, a second worker claims the run and finishes it; then the first one's node
    returns: its checkpoint writes raise ``LeaseLost``, it writes ``lease_lost`` and stops.
    The history does not fork, nothing is recorded twice, the report is a clean run's."""
    from baton.nodes import research

    (clean_id,) = run_tasks(store, [task])
    run_id = store.submit(task)
    successor: list[str] = []

    def stalled_research(state, ctx):
        time.sleep(0.3)  # past the 0.1 s lease
        successor.extend(Worker(open_store(store.url), worker_id="second").drain())
        return research(state, ctx)

    monkeypatch.setattr(worker_module._Heartbeat, "run", lambda self: None)  # no beats
    first = Worker(
        store, nodes={"research": stalled_research}, lease_seconds=0.1, worker_id="first"
    )
    assert first.run_once() == run_id
    assert successor == [run_id]

    row = store.run(run_id)
    assert (row["status"], row["lease_owner"], row["lease_epoch"], row["attempts"]) == (
        "finished",
        None,
        2,
        2,
    )
    assert row["report"] == store.run(clean_id)["report"]
    events = store.events(run_id)
    (lost,) = [e for e in events if e["kind"] == "lease_lost"]
    assert (lost["summary"], lost["payload"]) == (
        "lease lost by first (epoch 1)",
        {"worker_id": "first", "epoch": 1},
    )
    assert [e["summary"] for e in events if e["kind"] == "status"] == [
        "queued",
        "started",
        "resumed from checkpoint after a lost worker",
        "finished (completed)",
    ]
    clean_nodes = [(e["step"], e["node"]) for e in store.events(clean_id) if e["kind"] == "node"]
    assert [(e["step"], e["node"]) for e in events if e["kind"] == "node"] == clean_nodes
    assert _forks(store, run_id) == 0
    assert store.ledger.duplicates() == {
        "events": 0,
        "review_items": 0,
        "decisions": 0,
        "reports": 0,
    }
