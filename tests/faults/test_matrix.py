"""Every node x every fault kind, with the scripted model behind ``FaultyChatModel``, against
both checkpointers: each fault becomes a recorded ``Failure`` of the right kind and cause, is
retried with the error fed back (one-shot faults end ``finished``), and escalates to review
with the whole trace when the retry pool is spent (persistent faults)."""

from __future__ import annotations

import pytest
from faultkit import answer_task, faulty_engine, run_graph

from baton.contracts import ReviewRequest
from baton.faults import cause_of
from baton.state import failures_of, handoff_of
from baton.testing import FAULT_KINDS

ROLES = ("supervise", "research", "analyze", "write")

EXPECTED = {
    "timeout": ("timeout", "timeout"),
    "rate_limit": ("error", "rate_limit"),
    "server_error": ("error", "server_error"),
    "connection": ("error", "connection"),
    "missing_output": ("invalid_output", "missing_output"),
    "invalid_output": ("invalid_output", "invalid_output"),
    "refusal": ("rejected", "refusal"),
    "bad_route": (
        "invalid_output",
        "invalid_output",
    ),  # a route's shape where research/analyze/write expect theirs
    "exception": ("error", "exception"),
    "hang": (
        "timeout",
        "timeout",
    ),  # the guard's idle timeout (policy idle_timeout_s=1, the model hangs 2.5 s)
}
SUPERVISE_EXPECTED = {**EXPECTED, "bad_route": ("transition", "route")}


def expected(role: str, kind: str) -> tuple[str, str]:
    return (SUPERVISE_EXPECTED if role == "supervise" else EXPECTED)[kind]


def test_the_matrix_covers_every_fault_kind():
    assert set(EXPECTED) == set(FAULT_KINDS)


@pytest.mark.parametrize("kind", FAULT_KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_a_one_shot_fault_is_recorded_retried_and_the_run_finishes(make_graph, role, kind):
    engine, model, inner = faulty_engine({role: [kind]})
    snap = run_graph(make_graph(engine), answer_task())
    failure_kind, cause = expected(role, kind)
    failures = failures_of(snap.values)
    assert model.injected == [(model.injected[0][0], role, kind)]
    assert [(f.node, f.kind) for f in failures] == [(role, failure_kind)]
    assert cause_of(failures[0].detail, failures[0].kind) == cause
    assert failures[0].cause == cause  # typed: nothing parses it out of the detail
    assert failures[0].retryable is True
    if role == "supervise" and kind == "hang":
        # a supervise turn that times out has no node to retry: the guard sends it to review
        assert snap.next == ("review",)
        request = ReviewRequest.model_validate(snap.interrupts[0].value)
        assert (request.reason, [f.kind for f in request.failures]) == ("failure", ["timeout"])
        return
    assert snap.next == () and snap.values["outcome"] == "finished"
    assert snap.values["account"]["retries"] == {role: 1}
    assert snap.values["report"].answer
    if role != "supervise":  # the retry handoff carries the error back to the node
        retry = [
            t for t in snap.values["trace"] if f"-> {role} (retry 1 after {failure_kind})" in t
        ]
        assert len(retry) == 1
    inner.assert_all_used()


@pytest.mark.parametrize("kind", FAULT_KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_a_persistent_fault_spends_the_agents_retries_then_escalates_with_the_trace(
    make_graph, role, kind
):
    engine, model, _ = faulty_engine({role: [kind] * 3})
    snap = run_graph(make_graph(engine), answer_task())
    failure_kind, _cause = expected(role, kind)
    assert snap.next == ("review",), "a spent retry budget ends in review, never in silence"
    request = ReviewRequest.model_validate(snap.interrupts[0].value)
    assert request.reason == "failure"
    if role == "supervise" and kind == "hang":
        assert [(f.node, f.kind) for f in request.failures] == [("supervise", "timeout")]
        return
    assert [(f.node, f.kind) for f in request.failures] == [(role, failure_kind)] * 3
    assert request.bound == "retry pool 2/6 used"
    assert snap.values["account"]["retries"] == {role: 2}
    assert request.trace, "the reviewer sees the whole trace"
    if role != "supervise":
        assert "Your previous attempt failed:" in handoff_of(snap.values).instructions


def test_a_route_fault_feeds_the_error_back_to_the_model(make_graph):
    engine, model, inner = faulty_engine({"supervise": ["bad_route"]})
    run_graph(make_graph(engine), answer_task())
    second_route_call = [c for c in inner.calls if "STATE OF THE RUN" in c[-1].content][0]
    assert (
        "Your previous route was refused: route: route to 'nowhere' is not in the table"
        in second_route_call[-1].content
    )


@pytest.mark.parametrize("node", ["verify", "finish"])
def test_an_exception_in_a_node_without_a_model(make_graph, node):
    """Nodes that do not call the engine fail the same way: verify is retried from the pool;
    finish has no failure path, so the run stops with the error (never a silent success)."""
    from baton.nodes import NODES

    def broken(state, ctx):
        raise RuntimeError(f"{node} exploded")

    engine, _, _ = faulty_engine()
    graph = make_graph(engine, nodes={node: broken})
    if node == "finish":
        with pytest.raises(Exception, match="finish"):
            run_graph(graph, answer_task())
        return
    snap = run_graph(graph, answer_task())
    assert [(f.node, f.kind, f.detail) for f in failures_of(snap.values)] == [
        ("verify", "error", "RuntimeError: verify exploded")
    ] * 3
    assert ReviewRequest.model_validate(snap.interrupts[0].value).bound == "retry pool 2/6 used"
    assert NODES["verify"] is not broken
