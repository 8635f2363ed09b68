"""The policy's bounds: the token budget (alert at 70 %, review past it), the circuit breaker,
the pipeline timeout and the backoff; and the exact events a worker writes for them."""

from __future__ import annotations

import pytest
from faultkit import answer_task, faulty_engine, run_graph

from baton import faults
from baton.contracts import ReviewRequest
from baton.state import failures_of
from baton.worker import Worker


def _review(snap) -> ReviewRequest:
    assert snap.next == ("review",)
    return ReviewRequest.model_validate(snap.interrupts[0].value)


def test_tokens_are_charged_from_usage_metadata(make_graph):
    engine, _, inner = faulty_engine()
    snap = run_graph(make_graph(engine), answer_task())
    assert snap.values["outcome"] == "finished"
    # every call of the scripted model reports usage; the task is charged exactly their sum
    assert snap.values["account"]["tokens"] == inner.tokens > 0


def test_the_budget_alert_and_the_budget_review(make_graph):
    engine, _, _ = faulty_engine()
    snap = run_graph(make_graph(engine), answer_task(max_tokens_per_task=1500))
    request = _review(snap)
    tokens = snap.values["account"]["tokens"]
    assert request.reason == "budget_exceeded"
    assert request.bound == f"max_tokens_per_task=1500 (used {tokens})"
    alerts = [b for b in snap.values["bounds"] if b.startswith("token_alert")]
    assert len(alerts) == 1 and "of 1500 tokens used" in alerts[0]
    assert snap.values["bounds"][-1] == f"budget_exceeded: {tokens} tokens used, budget 1500"
    assert snap.values["account"]["token_allowance"] == tokens + 1500, (
        "a reviewer who lets the run go on grants one more budget"
    )
    assert tokens <= 1500 + 1000, "one model call past the budget at most, never a runaway"


def test_the_same_failure_in_two_nodes_trips_the_circuit_breaker(make_graph):
    engine, model, _ = faulty_engine(
        {"research": ["rate_limit"], "analyze": ["rate_limit", "rate_limit"]}
    )
    snap = run_graph(make_graph(engine), answer_task())
    request = _review(snap)
    assert request.reason == "failure"
    assert (
        request.bound == "circuit breaker: the same failure (rate_limit) met by analyze, research"
    )
    assert [(f.node, f.kind) for f in failures_of(snap.values)] == [
        ("research", "error"),
        ("analyze", "error"),
    ]
    assert snap.values["account"]["retries"] == {"research": 1}, (
        "no attempt after the breaker tripped"
    )
    assert snap.values["account"]["error_registry"] == {"rate_limit": ["research", "analyze"]}
    assert len(model.injected) == 2  # the second analyze fault was never reached


def test_different_failures_in_two_nodes_do_not_trip_it(make_graph):
    engine, _, _ = faulty_engine({"research": ["rate_limit"], "analyze": ["server_error"]})
    snap = run_graph(make_graph(engine), answer_task())
    assert snap.values["outcome"] == "finished"
    assert snap.values["account"]["retries"] == {"research": 1, "analyze": 1}


def test_the_pipeline_timeout_escalates(make_graph):
    engine, _, _ = faulty_engine({"analyze": ["hang"]})
    # the hang (an idle timeout of 1 s) alone pushes node time past a 0.8 s pipeline limit
    snap = run_graph(make_graph(engine), answer_task(pipeline_timeout_s=0.8))
    request = _review(snap)
    assert (request.reason, request.bound) == ("failure", "pipeline_timeout_s=0.8")
    late = failures_of(snap.values)[-1]
    assert (late.node, late.kind) == ("supervise", "timeout") and late.detail.startswith(
        "pipeline_timeout: node turns took"
    )


def test_a_turn_timeout_without_a_model(make_graph):
    import time

    def slow_verify(state, ctx):
        time.sleep(3)
        raise AssertionError("unreachable: the turn was abandoned")

    engine, _, _ = faulty_engine()
    snap = run_graph(
        make_graph(engine, nodes={"verify": slow_verify}),
        answer_task(agent_turn_timeout_s=0.5, max_retries_per_agent=0),
    )
    request = _review(snap)
    assert [(f.node, f.kind, f.detail) for f in request.failures] == [
        ("verify", "timeout", "timeout: verify turn took longer than agent_turn_timeout_s=0.5")
    ]


def test_transient_faults_back_off_with_jitter(make_graph, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(faults, "sleep", waits.append)
    engine, _, _ = faulty_engine(
        {"research": ["rate_limit", "server_error"], "write": ["invalid_output"]}
    )
    snap = run_graph(make_graph(engine), answer_task(retry_backoff_base_s=2.0))
    assert snap.values["outcome"] == "finished"
    assert len(waits) == 2, "two transient faults wait; invalid output is retried at once"
    assert 0 <= waits[0] <= 4.0 and 0 <= waits[1] <= 8.0  # uniform in [0, 2 * 2**attempt]


def test_backoff_grows_exponentially_and_is_capped():
    import random

    rng = random.Random(7)
    assert faults.backoff_s(0, 3) == 0.0
    for attempt in range(1, 8):
        w = faults.backoff_s(2.0, attempt, cap_s=60, rng=rng)
        assert 0 <= w <= min(60, 2.0 * 2**attempt)
    assert max(faults.backoff_s(2.0, 10) for _ in range(50)) <= 60


def test_the_worker_writes_the_exact_failure_and_bound_events(store):
    engine, _, _ = faulty_engine({"research": ["rate_limit"], "analyze": ["rate_limit"]})
    run_id = store.submit(answer_task())
    Worker(store, engine=engine).drain()
    row = store.run(run_id)
    assert (row["status"], row["reason"]) == ("waiting_review", "failure")
    events = store.events(run_id)
    failures = [
        (e["node"], e["summary"].split(" (")[0][:60]) for e in events if e["kind"] == "failure"
    ]
    assert [n for n, _ in failures] == ["research", "analyze"]
    assert all(s.split(": ")[1] == "rate_limit" for _, s in failures)
    bounds = [e["summary"] for e in events if e["kind"] == "bound"]
    assert bounds == [
        "failure: circuit breaker: the same failure (rate_limit) met by analyze, research"
    ]
    assert [e["kind"] for e in events].count("interrupt") == 1
    item = store.queue()[0]
    assert item["reason"] == "failure"


@pytest.mark.parametrize("fraction", [0.7])
def test_the_worker_writes_the_token_alert_as_a_bound_event(store, fraction):
    engine, _, _ = faulty_engine()
    # the scripted run spends about 2,000 tokens: past 70 % of 2,600, within the budget
    run_id = store.submit(answer_task(max_tokens_per_task=2600, token_alert_fraction=fraction))
    Worker(store, engine=engine).drain()
    assert store.run(run_id)["status"] == "finished"
    bounds = [e for e in store.events(run_id) if e["kind"] == "bound"]
    assert len(bounds) == 1 and bounds[0]["summary"].startswith("token_alert: ")
    assert bounds[0]["summary"].endswith("alert at 70%)")


class _LocalEngine:
    """The offline engine with a research turn that records its thread and can be slow."""

    def __init__(self, local: bool, research_s: float = 0.0):
        from baton.engines.offline import OfflineEngine

        self.inner, self.local, self.research_s = OfflineEngine(), local, research_s
        self.name, self.usage = "local-test", 0
        self.threads: list[str] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def research(self, task, handoff):
        import threading
        import time

        self.threads.append(threading.current_thread().name)
        time.sleep(self.research_s)
        return self.inner.research(task, handoff)


@pytest.mark.parametrize("local", [True, False])
def test_local_engines_run_inline_and_others_on_a_watched_thread(make_graph, local):
    import threading

    engine = _LocalEngine(local)
    snap = run_graph(make_graph(engine), answer_task())
    assert snap.values["outcome"] == "finished"
    caller = threading.current_thread().name
    if local:
        assert engine.threads == [caller]
    else:
        assert len(engine.threads) == 1 and engine.threads[0].startswith("baton-turn")


def test_a_custom_node_is_watched_even_with_a_local_engine(make_graph):
    import threading

    seen: list[str] = []

    def my_verify(state, ctx):
        from baton.nodes import NODES

        seen.append(threading.current_thread().name)
        return NODES["verify"](state, ctx)

    snap = run_graph(make_graph(_LocalEngine(True), nodes={"verify": my_verify}), answer_task())
    assert snap.values["outcome"] == "finished"
    assert seen and all(name.startswith("baton-turn") for name in seen)


def test_an_inline_turn_past_its_timeout_is_a_timeout_failure(make_graph):
    engine = _LocalEngine(True, research_s=0.6)
    snap = run_graph(
        make_graph(engine), answer_task(agent_turn_timeout_s=0.5, max_retries_per_agent=0)
    )
    request = _review(snap)
    assert [(f.node, f.kind, f.detail) for f in request.failures] == [
        ("research", "timeout", "timeout: research turn took longer than agent_turn_timeout_s=0.5")
    ]
    assert len(engine.threads) == 1, "the turn ran once, to its end, on the caller's thread"
