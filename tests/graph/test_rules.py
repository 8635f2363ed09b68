"""The supervisor's ordered rules, and the pure ``plan`` / ``gate`` of ``baton.routing``:
called directly on hand-made states (no graph, no checkpointer)."""

from __future__ import annotations

import copy

from baton.contracts import Claim, Evidence, Failure, Route, Verdict
from baton.engines import OfflineEngine
from baton.graph import SPECIALISTS, Specialist, default_table, initial_state
from baton.nodes.supervise import (
    RULES,
    budget_rule,
    combine,
    contradicted_rule,
    directive_rule,
    failure_rule,
    route_rule,
    supervise,
)
from baton.policy import Policy
from baton.routing import gate, plan
from baton.state import NodeContext

MOON = "The Moon orbits the Earth. The Moon is rocky and dry. It has almost no atmosphere."
ORBIT = Evidence(source_id="s1", start=0, end=26, text="The Moon orbits the Earth.")


def _claim(cid: str, author: str = "analyze") -> Claim:
    return Claim(id=cid, text="The Moon orbits the Earth.", citations=[ORBIT], author=author)


def _verdict(cid: str, label: str) -> Verdict:
    return Verdict(claim_id=cid, label=label, confidence=1.0)


def _ctx() -> NodeContext:
    return NodeContext(
        "supervise", default_table(), OfflineEngine(), watched=False, specialists=SPECIALISTS
    )


def _state(answer_task, **values):
    state = initial_state(answer_task, Policy(retry_backoff_base_s=0.0))
    account = {**state["account"], **values.pop("account", {})}
    return {**state, **values, "account": account}


def _failure(node: str = "research") -> Failure:
    return Failure(node=node, kind="invalid_output", detail="no passage", hop=1, retryable=True)


def test_the_rules_are_asked_in_order():
    assert [r.__name__ for r in RULES] == [
        "budget_rule",
        "failure_rule",
        "directive_rule",
        "contradicted_rule",
        "route_rule",
    ]


def test_each_rule_passes_when_it_has_nothing_to_say(answer_task):
    state = _state(answer_task)
    for rule in (budget_rule, failure_rule, directive_rule, contradicted_rule):
        assert rule(state, _ctx()) is None
    assert route_rule(state, _ctx()).goto == "research"


def test_the_budget_rule_comes_before_a_pending_failure(answer_task):
    state = _state(answer_task, account={"tokens": 10**9}, pending_failure=_failure())
    cmd = supervise(state, _ctx())
    assert (cmd.goto, cmd.update["review"].reason) == ("review", "budget_exceeded")
    assert failure_rule(state, _ctx()).goto == "research"  # the retry it pre-empted


def test_a_pending_failure_comes_before_a_directive(answer_task):
    directive = Route(next="analyze", reason="sent back by reviewer", instructions="again")
    state = _state(answer_task, pending_failure=_failure(), directive=directive)
    cmd = supervise(state, _ctx())
    assert cmd.goto == "research"
    assert cmd.update["trace"] == ["hop 1: supervise -> research (retry 1 after invalid_output)"]
    assert cmd.update["handoff"].instructions == (
        "Find the source passages that bear on the question. Your previous attempt failed: no passage"
    )
    assert cmd.update["account"] == {
        "hops": 1,
        "retries": {"research": 1},
        "error_registry": {"invalid_output|no passage": ["research"]},
    }


def test_a_directive_comes_before_a_contradicted_claim(answer_task):
    directive = Route(next="analyze", reason="sent back by reviewer", instructions="again")
    state = _state(
        answer_task,
        passages=[ORBIT],
        claims=[_claim("c1")],
        verdicts=[_verdict("c1", "contradicted")],
        directive=directive,
    )
    cmd = supervise(state, _ctx())
    assert (cmd.goto, cmd.update["handoff"].instructions) == ("analyze", "again")
    without = {**state, "directive": None}
    cmd = supervise(without, _ctx())
    assert (cmd.goto, cmd.update["review"].reason) == ("review", "contradicted")


def test_rules_never_change_the_state_they_read(answer_task):
    state = _state(answer_task, account={"tokens": 10**9}, pending_failure=_failure())
    before = copy.deepcopy(state)
    for rule in RULES:
        rule(state, _ctx())
    assert state == before


def test_combine_builds_a_new_update():
    update = {"trace": ["b"], "account": {"hops": 2}, "answer": "x"}
    extra = {"trace": ["a"], "account": {"retries": {"s": 1}}, "bounds": ["n"]}
    assert combine(update, extra) == {
        "trace": ["a", "b"],
        "account": {"hops": 2, "retries": {"s": 1}},
        "answer": "x",
        "bounds": ["n"],
    }
    assert update == {"trace": ["b"], "account": {"hops": 2}, "answer": "x"}


def test_plan_follows_the_registry_order(answer_task):
    s = _state(answer_task)
    assert plan(s, SPECIALISTS) == ("research", "no passages yet")
    s = {**s, "passages": [ORBIT]}
    assert plan(s, SPECIALISTS) == ("analyze", "no claims yet")
    s = {**s, "claims": [_claim("c1")]}
    assert plan(s, SPECIALISTS) == ("verify", "claims without a verdict")
    s = {**s, "verdicts": [_verdict("c1", "supported")]}
    assert plan(s, SPECIALISTS) == ("write", "no answer yet")
    assert plan({**s, "answer": "A. [s1]"}, SPECIALISTS) == (
        "finish",
        "answer written from verified claims",
    )


def test_plan_revises_refused_claims_then_escalates_when_the_pool_is_spent(answer_task):
    s = _state(
        answer_task,
        passages=[ORBIT],
        claims=[_claim("c1")],
        verdicts=[_verdict("c1", "unsupported")],
    )
    assert plan(s, SPECIALISTS) == ("analyze", "1 claim(s) refused by the verifier: revise")
    spent = {**s, "account": {**s["account"], "iterations": 99}}
    assert plan(spent, SPECIALISTS) == ("review", "retries_exhausted")
    # a claim of the draft is never revised: it is reported, not escalated
    draft = {**spent, "claims": [_claim("c1", author="draft")]}
    assert plan(draft, SPECIALISTS) == ("write", "no answer yet")


def test_plan_runs_a_specialist_where_its_ready_says(answer_task):
    custom = Specialist(
        "tidy", lambda s, c: {}, ready=lambda s: "always" if s.get("passages") else None
    )
    order = (SPECIALISTS[0], custom, *SPECIALISTS[1:])
    s = _state(answer_task)
    assert plan(s, order) == ("research", "no passages yet")
    assert plan({**s, "passages": [ORBIT]}, order) == ("tidy", "always")
    once = Specialist("once", lambda s, c: {})
    assert plan({**s, "passages": [ORBIT]}, (*SPECIALISTS[:1], once)) == (
        "once",
        "custom specialist in the table",
    )
    done = {**s, "passages": [ORBIT], "account": {**s["account"], "done": {"once": 1}}}
    assert plan(done, (*SPECIALISTS[:1], once)) == ("finish", "answer written from verified claims")


def test_gate_refuses_what_the_plan_does_not_call_for(answer_task):
    s = _state(answer_task, passages=[ORBIT], claims=[_claim("c1")])
    assert gate(s, "finish", "verify") == "finish refused: the run is not done (next step: verify)"
    assert (
        gate(s, "review", "verify")
        == "review refused: escalation follows the policy, not the model"
    )
    assert gate(s, "write", "verify") == "write refused: claims without a verdict: ['c1']"
    assert gate({**s, "claims": []}, "verify", "analyze") == "verify refused: there is no claim yet"
    assert gate(s, "verify", "verify") is None
    assert gate({**s, "verdicts": [_verdict("c1", "supported")]}, "write", "write") is None
    assert gate(s, "finish", "finish") is None


def test_a_stale_verdict_of_a_dropped_claim_does_not_count_as_support(answer_task):
    s = _state(
        answer_task,
        passages=[ORBIT],
        claims=[_claim("c1")],
        verdicts=[_verdict("c1", "unsupported"), _verdict("c9", "supported")],
        account={"iterations": 99},
    )
    assert plan(s, SPECIALISTS) == ("review", "retries_exhausted")


def test_the_model_is_offered_only_the_routes_the_gate_would_accept(answer_task):
    from baton.nodes.supervise import _view

    ctx = _ctx()
    start = _state(answer_task)
    view = _view(start, ctx, "research")
    assert sorted(ctx.table["supervise"]) == [
        "analyze",
        "finish",
        "research",
        "review",
        "verify",
        "write",
    ]
    assert view.options == ["analyze", "research"]  # no finish, review, verify or write yet
    claimed = _state(answer_task, claims=[_claim("c1")])
    assert _view(claimed, ctx, "verify").options == ["analyze", "research", "verify"]
    judged = _state(answer_task, claims=[_claim("c1")], verdicts=[_verdict("c1", "supported")])
    assert _view(judged, ctx, "finish").options == [
        "analyze",
        "finish",
        "research",
        "verify",
        "write",
    ]
