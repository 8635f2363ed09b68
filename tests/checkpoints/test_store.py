"""baton's own tables: exact rows written, conditional updates, leases."""

from __future__ import annotations

import re
import threading
import time

import pytest

from backend_sql import integrity_errors, sql
from baton.checkpoints import Store, open_store
from baton.contracts import Decision, ReviewRequest, Source, Task
from baton.errors import DecisionConflict, InvalidDecision, NotFoundError
from baton.policy import Policy


def _task(i: int = 0) -> Task:
    return Task(
        id=f"t{i}",
        kind="answer",
        question=f"Question {i}?",
        sources=[Source(id="s1", text="Some text.")],
    )


def _request(reason: str = "hop_limit", **kw) -> ReviewRequest:
    return ReviewRequest(
        reason=reason, hop=8, max_hops=8, allowed_targets=["analyze", "research"], **kw
    )


def test_a_run_row_has_the_same_fields_on_every_backend(store):
    run_id = store.submit(_task(), submitted_by="bob")
    row = store.run(run_id)
    assert sorted(row) == sorted(
        "id task_id kind question task status reason hops max_hops current_node claims "
        "supported unsupported contradicted report error lease_owner lease_expires_at "
        "heartbeat_at attempts created_at updated_at finished_at lease_epoch submitted_by".split()
    )
    assert row["submitted_by"] == "bob"  # the run page shows an analyst only their own runs


def test_submit_writes_one_queued_run_and_one_event(store):
    run_id = store.submit(_task(), Policy(max_hops=3))
    columns = ("id", "task_id", "kind", "question", "status", "hops", "max_hops", "attempts")
    rows = [{k: r[k] for k in columns} for r in store.run_rows()]
    assert rows == [
        {
            "id": run_id,
            "task_id": "t0",
            "kind": "answer",
            "question": "Question 0?",
            "status": "queued",
            "hops": 0,
            "max_hops": 3,
            "attempts": 0,
        }
    ]
    assert store.task(run_id).policy == Policy(max_hops=3)
    assert [(e["kind"], e["summary"]) for e in store.events(run_id)] == [("status", "queued")]


def test_the_sqlite_file_is_in_wal_mode_and_migrations_apply_once(db_path):
    Store(db_path).close()
    s = Store(db_path)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = list(s.db.query("SELECT name FROM _sqlite_migrations WHERE migration_set = 'baton'"))
    assert applied[0] == {"name": "m001_initial"}
    assert len(applied) == len({r["name"] for r in applied})
    assert {"runs", "review_items", "decisions", "events"} <= set(s.db.table_names())


def test_claim_takes_the_oldest_queued_run_and_sets_the_lease(store):
    first = store.submit(_task(1))
    store.submit(_task(2))
    before = time.time()
    run = store.claim("w1", lease_s=30)
    assert run["id"] == first
    assert (run["status"], run["lease_owner"], run["attempts"]) == ("running", "w1", 1)
    assert before + 29 < run["lease_expires_at"] < time.time() + 31


def test_concurrent_claims_never_take_one_run_twice(store):
    ids = {store.submit(_task(i)) for i in range(12)}
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer(name):
        own = open_store(store.url)
        while (run := own.claim(name, 60)) is not None:
            with lock:
                claimed.append(run["id"])
        own.close()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_an_expired_lease_can_be_claimed_again_and_the_old_owner_loses_it(store):
    run_id = store.submit(_task())
    store.claim("dead", lease_s=0.05)
    assert store.claim("w2", lease_s=30) is None  # still leased
    time.sleep(0.1)
    run = store.claim("w2", lease_s=30)
    assert (run["id"], run["lease_owner"], run["attempts"]) == (run_id, "w2", 2)
    assert store.heartbeat(run_id, "dead", 30) is False
    assert store.release(run_id, "dead", "finished") is False
    assert store.run(run_id)["status"] == "running"
    assert store.heartbeat(run_id, "w2", 30) is True
    assert store.release(run_id, "w2", "failed", reason="error", error="boom") is True
    row = store.run(run_id)
    assert (row["status"], row["reason"], row["error"], row["lease_owner"]) == (
        "failed",
        "error",
        "boom",
        None,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["finished_at"])
    assert row["finished_at"] >= row["created_at"]


def test_events_are_unique_per_run_step_node_and_kind(store):
    run_id = store.submit(_task())
    assert store.add_event(run_id, step=3, node="research", kind="node", summary="first") is True
    assert (
        store.add_event(run_id, step=3, node="research", kind="node", summary="replayed") is False
    )
    assert (
        store.add_event(run_id, step=3, node="research", kind="handoff", summary="other kind")
        is True
    )
    rows = [
        (e["step"], e["node"], e["kind"], e["summary"])
        for e in store.events(run_id)
        if e["step"] == 3
    ]
    assert rows == [(3, "research", "node", "first"), (3, "research", "handoff", "other kind")]


def _paused_run(store) -> tuple[str, str]:
    run_id = store.submit(_task())
    store.claim("w1", 30)
    item_id = store.add_review_item(run_id, "intr-1", _request())
    store.release(run_id, "w1", "waiting_review", reason="hop_limit")
    return run_id, item_id


def test_review_items_are_idempotent_per_interrupt(store):
    run_id, item_id = _paused_run(store)
    assert store.add_review_item(run_id, "intr-1", _request()) == item_id
    assert [i["item_id"] for i in store.queue()] == [item_id]


def test_a_decision_wins_once_and_requeues_the_run(store):
    run_id, item_id = _paused_run(store)
    item = store.decide(item_id, Decision(action="extend", reviewer="ann", extra_hops=2))
    assert (item["status"], item["decided_by"], item["action"]) == ("decided", "ann", "extend")
    assert store.run(run_id)["status"] == "queued"
    with pytest.raises(DecisionConflict) as err:
        store.decide(item_id, Decision(action="approve", reviewer="bob"))
    assert err.value.decided_by == "ann" and err.value.decided_at == item["decided_at"]
    assert f"already decided (extend) by ann at {item['decided_at']}" in str(err.value)
    rows = [
        {k: d[k] for k in ("item_id", "run_id", "action", "reviewer")}
        for d in store.decisions(run_id)
    ]
    assert rows == [{"item_id": item_id, "run_id": run_id, "action": "extend", "reviewer": "ann"}]
    assert store.queue() == []
    got = store.decided_unapplied(run_id)
    assert got[0] == item_id and got[1] == "intr-1" and got[2].extra_hops == 2


def test_two_reviewers_racing_on_one_item_give_exactly_one_winner(store):
    run_id, item_id = _paused_run(store)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def reviewer(name):
        own = open_store(store.url)
        barrier.wait()
        try:
            own.decide(item_id, Decision(action="approve", reviewer=name))
            results.append(f"won:{name}")
        except DecisionConflict:
            results.append("conflict")
        finally:
            own.close()

    threads = [threading.Thread(target=reviewer, args=(f"r{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("conflict") == 5
    (won,) = [r.removeprefix("won:") for r in results if r.startswith("won:")]
    assert [d["reviewer"] for d in store.decisions(run_id)] == [won]


def test_send_back_to_a_node_the_request_does_not_allow_is_refused(store):
    run_id, _ = _paused_run(store)
    item_id = store.add_review_item(run_id, "intr-2", _request(reason="contradicted"))
    with pytest.raises(InvalidDecision, match="send_back target 'write' is not allowed here"):
        store.decide(item_id, Decision(action="send_back", reviewer="ann", target="write"))
    assert store.item(item_id)["status"] == "pending"


def test_an_action_the_reason_does_not_allow_is_refused(store):
    _, item_id = _paused_run(store)  # hop_limit: extend, approve, reject
    with pytest.raises(InvalidDecision) as err:
        store.decide(item_id, Decision(action="send_back", reviewer="ann", target="research"))
    assert str(err.value) == (
        "send_back does not apply to a hop_limit review (allowed: extend, approve, reject)"
    )
    assert store.item(item_id)["status"] == "pending"


def test_unknown_ids_raise_not_found(store):
    with pytest.raises(NotFoundError) as err:
        store.run("nope")
    assert str(err.value) == "no run 'nope'"
    with pytest.raises(NotFoundError) as err:
        store.item("nope")
    assert str(err.value) == "no review item 'nope'"


def test_decisions_table_refuses_a_second_row_for_one_item(store):
    run_id, item_id = _paused_run(store)
    store.decide(item_id, Decision(action="approve", reviewer="ann"))
    with pytest.raises(integrity_errors()):
        sql(
            store,
            "INSERT INTO decisions (item_id, run_id, action, reviewer) VALUES (?, ?, 'reject', 'x')",
            (item_id, run_id),
        )


def test_event_payloads_round_trip_and_odd_values_are_written_as_text(store):
    run_id = store.submit(_task())

    class Opaque:
        def __str__(self) -> str:
            return "opaque value"

    payload = {"changed": {"hops": "2"}, 3: ["é", 1.5, None], "odd": Opaque()}
    store.add_events(
        run_id, [{"step": 4, "node": "write", "kind": "node", "summary": "s", "payload": payload}]
    )
    (row,) = [e for e in store.events(run_id) if e["step"] == 4]
    assert row["payload"] == {
        "changed": {"hops": "2"},
        "3": ["é", 1.5, None],
        "odd": "opaque value",
    }


def test_an_old_effects_ledger_is_migrated_with_its_rows(db_path):
    """A database from before m004: its ``effects.checkpoint_id`` column becomes ``key``,
    rows and uniqueness kept."""
    from sqlite_utils import Database

    from baton.checkpoints.sqlite.migrations import migrations

    db = Database(db_path)
    migrations.apply(db, stop_before="m004_effects_key")
    db["runs"].insert({"id": "r1", "task": "{}", "created_at": "2026-01-01"})
    db["effects"].insert(
        {"run_id": "r1", "node": "", "checkpoint_id": "start", "effect": "started"}
    )
    db.conn.close()

    store = Store(db_path)
    assert [(e["node"], e["key"], e["effect"]) for e in store.ledger.effects("r1")] == [
        ("", "start", "started")
    ]
    assert not store.ledger.mark("r1", "", "start", "started")  # still unique
    assert store.ledger.mark("r1", "analyze", "task-1", "events")
