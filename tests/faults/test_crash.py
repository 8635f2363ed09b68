"""Crash recovery: a real ``baton worker`` process is killed with SIGKILL at several points of
its runs; the next worker takes over each lease once it expires, resumes every run from its
last checkpoint, and no side effect (event, review item, decision, report) is written twice
or lost."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from baton.checkpoints import Store, open_saver
from baton.checkpoints.ledger import duplicates, lost
from baton.contracts import Decision
from baton.graph import build_graph

KILL_AT_CHECKPOINTS = (2, 15, 35, 60, 100)
"""Kill the worker once the checkpoints table holds this many rows and a run is ``running``:
right after the first checkpoint of the first run, and at several depths of later runs.
Checkpoints (written synchronously every superstep), not events (written in batches), mark
how far the work has gone."""


def _baton() -> list[str]:
    exe = Path(sys.executable).with_name("baton")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "baton"]


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _worker(db: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "OPENAI_"))}
    return subprocess.Popen(
        [*_baton(), "worker", "--db", str(db), "--lease-seconds", "1", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(proc: subprocess.Popen, db: Path, checkpoints: int, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    running = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if _count(db, "SELECT COUNT(*) FROM checkpoints") >= checkpoints:
            running = _count(db, "SELECT COUNT(*) FROM runs WHERE status = 'running'")
            if running:
                break
        time.sleep(0.002)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return {"checkpoints": checkpoints, "killed": alive, "running_at_kill": running}


def _decide_pending(store: Store) -> int:
    n = 0
    for item in store.queue():
        store.decide(item["item_id"], Decision(action="approve", reviewer="crash-test"))
        n += 1
    return n


@pytest.mark.slow
def test_sigkill_at_several_points_loses_and_duplicates_nothing(tmp_path, example_tasks):
    if shutil.which("baton") is None and not Path(sys.executable).with_name("baton").exists():
        pytest.skip("the baton console script is not installed")
    db = tmp_path / "crash.db"
    store = Store(db)
    run_ids = [store.submit(t) for t in example_tasks * 3]  # 21 real runs
    open_saver(db).conn.close()  # LangGraph's checkpoint tables exist before the first worker

    kills = []
    for i, threshold in enumerate(KILL_AT_CHECKPOINTS):
        kills.append(_kill_when(_worker(db), db, threshold))
        if i == 2:
            _decide_pending(
                store
            )  # decisions recorded between crashes must be applied exactly once
        time.sleep(1.1)  # the dead worker's lease expires

    # a second, healthy worker completes everything (and applies the decisions taken so far)
    for _ in range(3):
        done = subprocess.run(
            [*_baton(), "worker", "--db", str(db), "--once"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        if not _decide_pending(store):
            break

    killed_mid_run = [k for k in kills if k["killed"] and k["running_at_kill"] > 0]
    assert len(killed_mid_run) >= 3, f"the kills must land mid-run: {kills}"

    rows = [store.run(r) for r in run_ids]
    assert {r["status"] for r in rows} == {"finished"}, [
        (r["id"], r["status"], r["error"]) for r in rows if r["status"] != "finished"
    ]
    assert sum(r["attempts"] > 1 for r in rows) >= len(killed_mid_run), (
        "the killed runs were taken over by another worker"
    )
    assert duplicates(store) == {"events": 0, "review_items": 0, "decisions": 0, "reports": 0}
    assert lost(store) == {"decisions": 0, "runs": 0}
    assert all(i["status"] == "applied" for r in run_ids for i in store.items(r))

    # nothing lost: every node update in every run's checkpoints has its ``node`` event
    saver = open_saver(db)
    graph = build_graph(checkpointer=saver)
    for run_id in run_ids:
        history = list(graph.get_state_history({"configurable": {"thread_id": run_id}}))
        updates = sum(
            1
            for s in history
            for t in s.tasks
            if not t.name.startswith("__") and isinstance(t.result, dict)
        )
        node_events = [e for e in store.events(run_id) if e["kind"] == "node"]
        assert len(node_events) == updates, run_id
        started = [
            e for e in store.events(run_id) if e["kind"] == "status" and e["summary"] == "started"
        ]
        assert len(started) == 1
    saver.conn.close()
