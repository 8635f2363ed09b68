"""The worker: runs queued work from the SQLite file, records events and review items, resumes
decided items and runs whose worker died."""

from __future__ import annotations

import time

import pytest

from backend_sql import sql
from baton.contracts import Decision
from baton.inspect import thread_config
from baton.policy import Policy
from baton.worker import Worker, run_tasks


def test_drain_runs_every_example_to_a_stop(store, example_tasks):
    run_ids = run_tasks(store, example_tasks)
    rows = [store.run(r) for r in run_ids]
    assert all(r["status"] in ("finished", "waiting_review") for r in rows)
    assert all(r["reason"] and r["claims"] >= 1 for r in rows)
    for r in rows:
        if r["status"] == "finished":
            assert r["report"]["claims"] and r["report"]["answer"]
            assert r["lease_owner"] is None and r["finished_at"]
        else:
            (item,) = store.items(r["id"])
            assert (item["status"], item["reason"]) == ("pending", r["reason"])


def test_events_record_each_node_handoff_and_status_once(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    (run_id,) = run_tasks(store, [task])
    events = store.events(run_id)
    node_events = [(e["step"], e["node"]) for e in events if e["kind"] == "node"]
    assert node_events == [
        (1, "supervise"),
        (2, "research"),
        (3, "supervise"),
        (4, "analyze"),
        (5, "supervise"),
        (6, "verify"),
        (7, "supervise"),
        (8, "write"),
        (9, "supervise"),
        (10, "finish"),
    ]
    handoffs = [(e["hop"], e["payload"]["recipient"]) for e in events if e["kind"] == "handoff"]
    assert handoffs == [(1, "research"), (2, "analyze"), (3, "verify"), (4, "write")]
    assert [e["summary"] for e in events if e["kind"] == "status"] == [
        "queued",
        "started",
        "finished (completed)",
    ]
    assert all(
        e["duration_ms"] is not None and e["duration_ms"] >= 0
        for e in events
        if e["kind"] == "node"
    )


def test_a_decision_is_resumed_by_the_next_worker_and_applied_once(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    (run_id,) = run_tasks(store, [task.model_copy(update={"policy": Policy(max_hops=2)})])
    assert (store.run(run_id)["status"], store.run(run_id)["reason"]) == (
        "waiting_review",
        "hop_limit",
    )
    (item,) = store.queue()
    store.decide(item["item_id"], Decision(action="extend", reviewer="ann", extra_hops=4))
    Worker(store).drain()
    row = store.run(run_id)
    assert (row["status"], row["hops"], row["max_hops"]) == ("finished", 4, 6)
    assert store.item(item["item_id"])["status"] == "applied"
    kinds = [e["kind"] for e in store.events(run_id)]
    assert kinds.count("interrupt") == 1 and kinds.count("decision") == 1
    # nothing left to do: a second drain claims nothing and writes nothing
    n_events = len(store.events(run_id))
    assert Worker(store).drain() == []
    assert len(store.events(run_id)) == n_events


def test_a_paused_run_with_no_decision_goes_back_to_waiting(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    (run_id,) = run_tasks(store, [task.model_copy(update={"policy": Policy(max_hops=1)})])
    # force it back to queued (as if a decision row were lost) - the worker must not resume it
    sql(store, "UPDATE runs SET status = 'queued' WHERE id = ?", (run_id,))
    Worker(store).drain()
    assert store.run(run_id)["status"] == "waiting_review"
    assert len(store.queue()) == 1


class _Killed(BaseException):
    """Stands in for the process dying mid-run (not an Exception: nothing catches it)."""


def test_a_run_whose_worker_died_resumes_from_its_last_checkpoint(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    run_id = store.submit(task)
    from baton.nodes import analyze

    def dying_analyze(state, ctx):
        raise _Killed()

    first = Worker(store, nodes={"analyze": dying_analyze}, lease_seconds=0.2, worker_id="first")
    with pytest.raises(_Killed):
        first.run_once()
    row = store.run(run_id)
    assert (row["status"], row["lease_owner"]) == ("running", "first")
    time.sleep(0.3)  # the lease expires: no heartbeat comes from a dead worker

    second = Worker(store, nodes={"analyze": analyze}, worker_id="second")
    assert second.drain() == [run_id]
    row = store.run(run_id)
    assert (row["status"], row["attempts"]) == ("finished", 2)
    events = store.events(run_id)
    assert [e["node"] for e in events if e["kind"] == "node"].count("research") == 1, (
        "research ran before the crash and is not redone"
    )
    assert "resumed from checkpoint after a lost worker" in [e["summary"] for e in events]
    steps = [(e["step"], e["node"], e["kind"]) for e in events if e["step"] is not None]
    assert len(steps) == len(set(steps))


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_both_durabilities_record_the_same_run(store, example_tasks, durability):
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    (run_id,) = run_tasks(store, [task], durability=durability)
    row = store.run(run_id)
    assert (row["status"], row["hops"]) == ("finished", 4)
    nodes = [e["node"] for e in store.events(run_id) if e["kind"] == "node"]
    assert nodes == ["supervise", "research", "supervise", "analyze", "supervise", "verify"] + [
        "supervise",
        "write",
        "supervise",
        "finish",
    ]


def test_a_durability_that_loses_killed_runs_is_refused(store):
    from baton.errors import ConfigError

    with pytest.raises(ConfigError, match="durability must be one of sync, async, not 'exit'"):
        Worker(store, durability="exit")


def _slow_research(seconds: float, during=None):
    from baton.nodes import research

    def slow(state, ctx):
        deadline = time.monotonic() + seconds
        if during is not None:
            during()
        time.sleep(max(0.0, deadline - time.monotonic()))
        return research(state, ctx)

    return slow


def test_the_heartbeat_keeps_the_lease_of_a_run_longer_than_it(store, example_tasks):
    from baton.checkpoints import open_store

    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    run_id = store.submit(task)
    thief = open_store(store.url)
    tries: list[object] = []

    def try_to_steal():
        time.sleep(0.7)  # the 0.3 s lease would have expired twice without a heartbeat
        tries.append(thief.claim("thief", 30))

    worker = Worker(store, nodes={"research": _slow_research(0.8, try_to_steal)}, lease_seconds=0.3)
    assert worker.run_once() == run_id
    assert tries == [None]
    assert store.run(run_id)["status"] == "finished"


def test_a_worker_that_lost_its_lease_stops_without_writing(store, example_tasks):
    from baton.checkpoints import open_store

    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    run_id = store.submit(task)
    other = open_store(store.url)

    def take_over():  # as if the lease had expired and another worker had claimed the run
        sql(other, "UPDATE runs SET lease_owner = 'other' WHERE id = ?", (run_id,))

    worker = Worker(store, nodes={"research": _slow_research(0.5, take_over)}, lease_seconds=0.3)
    worker.run_once()
    row = store.run(run_id)
    assert (row["status"], row["lease_owner"]) == ("running", "other")
    kinds = [e["summary"] for e in store.events(run_id) if e["kind"] == "status"]
    assert kinds == ["queued", "started"], "nothing written after the lease was lost"


def test_flushing_at_every_step_records_each_turn_once_and_never_ahead_of_its_checkpoint(
    store, example_tasks, monkeypatch
):
    """With ``FLUSH_S = 0`` the worker records turns while the graph runs; with ``sync``
    durability, when a node's events are written the checkpoint holding its update is
    already on disk (with ``async`` this test fails: events get ahead)."""
    import baton.worker as worker_module

    monkeypatch.setattr(worker_module, "FLUSH_S", 0.0)
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    ahead: list[tuple[int, str]] = []
    progress: list[tuple[int, str | None]] = []

    reader = store.open_saver()

    def on_event(event):
        if event["kind"] != "node":
            return
        saved = list(reader.list(thread_config(event["run_id"]), filter={"step": event["step"]}))
        if not saved:
            ahead.append((event["step"], event["node"]))
        row = store.run(event["run_id"])
        progress.append((row["hops"], row["current_node"]))

    run_id = store.submit(task)
    Worker(store, on_event=on_event).drain()
    reader.conn.close()
    assert ahead == []
    nodes = [(e["step"], e["node"]) for e in store.events(run_id) if e["kind"] == "node"]
    assert [n for _, n in nodes] == [
        "supervise", "research", "supervise", "analyze", "supervise", "verify",
        "supervise", "write", "supervise", "finish",
    ]  # fmt: skip
    assert [s for s, _ in nodes] == list(range(1, 11))
    # mid-run flushes wrote progress as the run went (not only at its end)
    assert (1, "research") in progress and store.run(run_id)["status"] == "finished"
