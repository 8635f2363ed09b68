"""Retention: the exact checkpoints kept after pruning (the last one, the ones where a run paused
for review), runs that have not ended are untouched, the audit trail survives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from baton.checkpoints.retention import checkpoint_bytes, prune
from baton.contracts import Decision
from baton.graph import build_graph
from baton.inspect import thread_config
from baton.policy import Policy
from baton.testing import supporting_verifier
from baton.worker import Worker, run_tasks


@pytest.fixture
def runs(store, example_tasks):
    """Three runs of fcgpt-r57-answer: ``plain`` finished without review, ``reviewed`` paused at
    its hop ceiling and was extended and finished, ``waiting`` is still waiting for review."""
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    capped = task.model_copy(update={"policy": Policy(max_hops=2)})
    plain, reviewed = run_tasks(store, [task, capped], verifier=supporting_verifier)
    (item,) = store.queue()
    store.decide(item["item_id"], Decision(action="extend", reviewer="ann", extra_hops=4))
    Worker(store, verifier=supporting_verifier).drain()
    (waiting,) = run_tasks(store, [capped], verifier=supporting_verifier)
    assert [store.run(r)["status"] for r in (plain, reviewed, waiting)] == [
        "finished",
        "finished",
        "waiting_review",
    ]
    return {"plain": plain, "reviewed": reviewed, "waiting": waiting}


def _history(store, run_id):
    """``[(checkpoint_id, next)]`` oldest first, through LangGraph itself."""
    with store.saver() as saver:
        graph = build_graph(checkpointer=saver, verifier=supporting_verifier)
        return [
            (s.config["configurable"]["checkpoint_id"], s.next)
            for s in graph.get_state_history(thread_config(run_id))
        ][::-1]


def test_prune_keeps_the_last_checkpoint_and_the_ones_at_interrupts(store, runs):
    plain, reviewed, waiting = runs["plain"], runs["reviewed"], runs["waiting"]
    before = {r: _history(store, r) for r in runs.values()}
    assert len(before[plain]) == 12 and len(before[reviewed]) == 14
    at_review = [cid for cid, nxt in before[reviewed] if nxt == ("review",)]
    assert len(at_review) == 1
    events_before = {r: store.events(r) for r in runs.values()}

    result = prune(store)

    assert result.runs == [plain, reviewed]
    assert sorted(result.kept) == sorted(
        [
            (plain, "", before[plain][-1][0]),
            (reviewed, "", at_review[0]),
            (reviewed, "", before[reviewed][-1][0]),
        ]
    )
    assert result.checkpoints_deleted == (12 - 1) + (14 - 2)
    assert _history(store, plain) == [before[plain][-1]]
    assert _history(store, reviewed) == [(at_review[0], ("review",)), before[reviewed][-1]]
    assert _history(store, waiting) == before[waiting]  # not ended: untouched
    assert result.bytes_after < result.bytes_before
    # the final state still loads, and the audit trail is whole
    with store.saver() as saver:
        graph = build_graph(checkpointer=saver, verifier=supporting_verifier)
        final = graph.get_state(thread_config(reviewed))
    assert (
        final.next == ()
        and final.values["outcome"] == "finished"
        and final.values["report"] is not None
    )
    assert {r: store.events(r) for r in runs.values()} == events_before
    assert [d["decision"]["action"] for d in store.decisions(reviewed)] == ["extend"]


def test_prune_is_idempotent(store, runs):
    first = prune(store)
    second = prune(store)
    assert (second.runs, second.checkpoints_deleted, second.writes_deleted) == ([], 0, 0)
    assert second.kept == first.kept
    assert second.bytes_before == second.bytes_after == first.bytes_after


def test_older_than_only_prunes_runs_that_ended_long_enough_ago(store, runs):
    assert store.prunable_runs(older_than_days=1) == []
    assert prune(store, older_than_days=1).runs == []
    later = datetime.now(UTC) + timedelta(days=2)
    assert store.prunable_runs(older_than_days=1, now=later) == [runs["plain"], runs["reviewed"]]
    assert prune(store, older_than_days=1, now=later).runs == [runs["plain"], runs["reviewed"]]


def test_prune_of_chosen_runs(store, runs):
    res = prune(store, run_ids=[runs["reviewed"], runs["waiting"]], vacuum=False)
    assert res.runs == [runs["reviewed"]]
    assert (
        len(store.kept_checkpoints(runs["plain"])) == 1
    )  # what would be kept; nothing was deleted
    assert len(_history(store, runs["plain"])) == 12


def test_checkpoint_bytes_drop_to_about_one_state(store, runs):
    plain = runs["plain"]
    before = checkpoint_bytes(store, plain)
    prune(store)
    after = checkpoint_bytes(store, plain)
    if store.url.startswith("sqlite"):
        assert after * 8 < before  # 12 full copies of the state -> 1
    else:  # PostgresSaver stores each channel value once per version, shared by checkpoints
        assert after * 3 < before


def test_table_sizes(store, runs):
    rows = store.table_sizes()
    by = {r["table"]: r for r in rows}
    langgraph = (
        {"writes"}
        if store.url.startswith("sqlite")
        else {"checkpoint_writes", "checkpoint_blobs", "checkpoint_migrations"}
    )
    assert {
        "runs",
        "events",
        "review_items",
        "decisions",
        "checkpoints",
        "(file)",
    } | langgraph <= set(by)
    assert by["runs"]["rows"] == 3
    assert by["checkpoints"]["rows"] == 12 + 14 + len(_history(store, runs["waiting"]))
    assert by["decisions"]["rows"] == 1
    assert rows[-1]["table"] == "(file)" and rows[-1]["bytes"] > 0
    assert all(r["bytes"] > 0 for r in rows)


def test_a_database_without_checkpoints(store):
    assert (
        prune(store).runs == []
        and checkpoint_bytes(store) == 0
        and store.kept_checkpoints("x") == []
    )
