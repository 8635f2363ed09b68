"""The graph end to end with the offline engine, against both checkpointers."""

from __future__ import annotations

import itertools

import pytest
from langgraph.types import Command

from baton.contracts import (
    Claim,
    ClaimEdit,
    Decision,
    Edits,
    Evidence,
    Handoff,
    Report,
    ReviewRequest,
    Task,
    Verdict,
)
from baton.errors import ConfigError, InvalidDecision
from baton.graph import build_graph, default_table, initial_state
from baton.policy import Policy
from baton.state import claims_of, failures_of, report_of, verdicts_of

_threads = itertools.count()


def drive(graph, graph_input, thread: str):
    cfg = {"configurable": {"thread_id": thread}}
    for _ in graph.stream(graph_input, cfg, stream_mode="updates"):
        pass
    return graph.get_state(cfg)


def start(graph, task: Task, policy: Policy | None = None):
    thread = f"t{next(_threads)}"
    return thread, drive(graph, initial_state(task, policy), thread)


def resume(graph, thread, snap, decision: dict):
    (intr,) = snap.interrupts
    return drive(graph, Command(resume={intr.id: decision}), thread)


def by_id(tasks, task_id):
    return next(t for t in tasks if t.id == task_id)


@pytest.fixture
def graph(checkpointer, verifier):
    return build_graph(checkpointer=checkpointer, verifier=verifier)


def test_real_answer_task_finishes_with_a_cited_report(checkpointer, example_tasks):
    """The shipped example with baton's own verifier: extractive claims are supported."""
    graph = build_graph(checkpointer=checkpointer)
    task = by_id(example_tasks, "fcgpt-r57-answer")
    _, snap = start(graph, task)
    assert snap.next == ()
    values = snap.values
    assert values["outcome"] == "finished"
    assert values["account"]["hops"] == 4  # research, analyze, verify, write
    report = report_of(values)
    assert report.kind == "answer" and report.task_id == task.id
    assert len(report.claims) == 3
    assert all(v.label == "supported" for v in report.verdicts)
    for claim in report.claims:
        src = task.source(claim.citations[0].source_id)
        ev = claim.citations[0]
        assert src.text[ev.start : ev.end] == ev.text
        assert f"[{ev.source_id}]" in report.answer


def test_contradicted_claim_pauses_for_review_and_approve_finishes(graph, check_task):
    thread, snap = start(graph, check_task)
    assert snap.next == ("review",)
    request = ReviewRequest.model_validate(snap.interrupts[0].value)
    assert request.reason == "contradicted"
    assert request.hop == 3 and request.max_hops == 8
    assert [(c.text, v.label) for c, v in zip(request.claims, request.verdicts, strict=True)] == [
        ("The Moon orbits the Earth.", "supported"),
        ("The Moon is made of cheese.", "contradicted"),
        ("The Moon hosts a large city.", "unsupported"),
    ]
    assert request.allowed_targets == ["analyze", "research", "verify", "write"]
    assert request.handoff is not None and request.handoff.recipient == "verify"

    snap = resume(
        graph, thread, snap, {"action": "approve", "reviewer": "ann", "note": "known error"}
    )
    assert snap.next == ()
    report = report_of(snap.values)
    assert snap.values["outcome"] == "finished"
    assert "claim c2 is contradicted: The Moon is made of cheese." in report.caveats
    assert "claim c3 is unsupported: The Moon hosts a large city." in report.caveats
    assert report.answer.startswith(
        "Checked 3 claim(s) of the draft against 2 source(s): 1 supported, 1 unsupported, 1 contradicted."
    )
    assert "reviewer ann chose approve: known error" in report.caveats


def test_hop_ceiling_pauses_then_extend_finishes(graph, answer_task):
    thread, snap = start(graph, answer_task, Policy(max_hops=2))
    request = ReviewRequest.model_validate(snap.interrupts[0].value)
    assert (request.reason, request.hop, request.max_hops, request.bound) == (
        "hop_limit",
        2,
        2,
        "max_hops=2",
    )
    assert snap.values["account"]["hops"] == 2

    snap = resume(graph, thread, snap, {"action": "extend", "reviewer": "ann", "extra_hops": 3})
    assert snap.next == ()
    assert snap.values["account"]["max_hops"] == 5
    assert snap.values["account"]["hops"] == 4
    assert snap.values["outcome"] == "finished"


def test_reject_ends_the_run_rejected(graph, check_task):
    thread, snap = start(graph, check_task)
    snap = resume(
        graph, thread, snap, {"action": "reject", "reviewer": "bob", "note": "draft is wrong"}
    )
    assert snap.values["outcome"] == "rejected"
    assert "reviewer bob chose reject: draft is wrong" in report_of(snap.values).caveats


def test_send_back_hands_the_work_to_the_target_with_the_note(graph, check_task):
    thread, snap = start(graph, check_task)
    hops_before = snap.values["account"]["hops"]
    snap = resume(
        graph,
        thread,
        snap,
        {
            "action": "send_back",
            "reviewer": "bob",
            "target": "research",
            "note": "look for speed figures",
        },
    )
    # research ran again with the reviewer's note, and the contradicted claim brings the run back to review
    assert snap.next == ("review",)
    handoffs = [
        h
        for h in graph.get_state_history({"configurable": {"thread_id": thread}})
        if h.values.get("handoff")
    ]
    latest = Handoff.model_validate(handoffs[0].values["handoff"])
    assert latest.recipient in ("research", "verify")
    trace = snap.values["trace"]
    assert f"hop {hops_before + 1}: supervise -> research (sent back by reviewer)" in trace
    assert any(
        h.values["handoff"]
        and Handoff.model_validate(h.values["handoff"]).instructions == "look for speed figures"
        for h in handoffs
    )


def test_edit_drops_a_claim_and_reverifies(graph, check_task):
    thread, snap = start(graph, check_task)
    contradicted = [v.claim_id for v in verdicts_of(snap.values) if v.label == "contradicted"]
    edits = {
        "claims": [{"claim_id": cid, "drop": True} for cid in contradicted],
        "instructions": "drop what the sources contradict",
    }
    snap = resume(graph, thread, snap, {"action": "edit", "reviewer": "cy", "edits": edits})
    assert snap.next == ()
    claims = claims_of(snap.values)
    assert not {c.id for c in claims} & set(contradicted)
    assert all(v.label != "contradicted" for v in verdicts_of(snap.values))
    assert "reviewer cy: drop what the sources contradict" in snap.values["guidance"]


def test_edit_changes_a_claim_text_and_the_verifier_checks_the_new_text(graph, check_task):
    thread, snap = start(graph, check_task)
    target = next(v.claim_id for v in verdicts_of(snap.values) if v.label == "contradicted")
    new_text = "The Moon is rocky and dry."
    snap = resume(
        graph,
        thread,
        snap,
        {
            "action": "edit",
            "reviewer": "cy",
            "edits": {"claims": [{"claim_id": target, "text": new_text}]},
        },
    )
    edited = next(c for c in claims_of(snap.values) if c.id == target)
    assert edited.text == new_text and edited.author == "reviewer"
    verdict = next(v for v in verdicts_of(snap.values) if v.claim_id == target)
    assert verdict.label == "supported"  # the new text is a sentence of a source


def test_a_malformed_decision_is_refused_and_the_run_stays_paused(graph, check_task):
    thread, snap = start(graph, check_task)
    with pytest.raises(InvalidDecision, match="a rejection needs a reason"):
        resume(graph, thread, snap, {"action": "reject", "reviewer": "bob"})
    snap = graph.get_state({"configurable": {"thread_id": thread}})
    assert snap.next == ("review",) and len(snap.interrupts) == 1


def _rogue(goto):
    def research(state, ctx):
        return Command(goto=goto, update={"passages": []})

    return research


@pytest.mark.parametrize("goto", ["finish", "nowhere"])
def test_an_undeclared_goto_is_caught_and_escalated(checkpointer, verifier, answer_task, goto):
    graph = build_graph(
        nodes={"research": _rogue(goto)}, checkpointer=checkpointer, verifier=verifier
    )
    _, snap = start(graph, answer_task)
    assert snap.next == ("review",), "the run must pause, not end quietly"
    failures = failures_of(snap.values)
    assert [(f.node, f.kind) for f in failures] == [("research", "transition")]
    assert f"transition research -> {goto} is not in the table" in failures[0].detail
    request = ReviewRequest.model_validate(snap.interrupts[0].value)
    assert request.reason == "failure"
    assert request.failures[0].kind == "transition"


def test_an_exception_in_a_node_is_retried_from_the_pool_then_escalated(
    checkpointer, verifier, answer_task
):
    calls = []

    def broken(state, ctx):
        calls.append(state["handoff"].instructions)
        raise RuntimeError("index exploded")

    graph = build_graph(nodes={"analyze": broken}, checkpointer=checkpointer, verifier=verifier)
    _, snap = start(graph, answer_task, Policy(max_retries_per_agent=2, retry_budget=6))
    assert len(calls) == 3  # first attempt + 2 retries
    assert "Your previous attempt failed: RuntimeError: index exploded" in calls[1]
    assert snap.values["account"]["retries"] == {"analyze": 2}
    assert [f.kind for f in failures_of(snap.values)] == ["error", "error", "error"]
    request = ReviewRequest.model_validate(snap.interrupts[0].value)
    assert (request.reason, request.bound) == ("failure", "retry pool 2/6 used")


def test_a_custom_specialist_can_be_added_to_the_table(checkpointer, verifier, answer_task):
    table = default_table()
    table["summarize"] = {"supervise"}
    table["supervise"].add("summarize")

    def summarize(state, ctx):
        return {"trace": ["summarize: ok"]}  # a dict goes to the node's only transition

    graph = build_graph(
        table, nodes={"summarize": summarize}, checkpointer=checkpointer, verifier=verifier
    )
    assert "summarize" in graph.get_graph().nodes
    _, snap = start(graph, answer_task)
    assert snap.values["outcome"] == "finished"


def test_every_contract_round_trips_through_the_checkpointer(graph, check_task):
    """``get_state().values`` may give dicts; each contract must validate back to an equal model."""
    thread, snap = start(graph, check_task)
    snap = resume(
        graph,
        thread,
        snap,
        {
            "action": "edit",
            "reviewer": "cy",
            "edits": {"claims": [{"claim_id": "c2", "drop": True}]},
        },
    )
    assert snap.next == ()
    values = snap.values
    assert Task.model_validate(_plain(values["task"])) == check_task
    assert Policy.model_validate(_plain(values["policy"])) == Policy()
    Handoff.model_validate(_plain(values["handoff"]))
    for key, model in (
        ("claims", Claim),
        ("verdicts", Verdict),
        ("passages", Evidence),
        ("decisions", Decision),
    ):
        items = values[key]
        assert items, key
        for item in items:
            again = model.model_validate(_plain(item))
            assert again.model_dump() == model.model_validate(item).model_dump()
    report = Report.model_validate(_plain(values["report"]))
    assert report == report_of(values)


def _plain(value):
    """What a JSON round trip gives (dicts and lists only)."""
    import json

    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.loads(json.dumps(value))


def test_contracts_round_trip_as_json():
    ev = Evidence(source_id="s1", start=0, end=5, text="Hello", score=1.5)
    samples = [
        ev,
        Claim(id="c1", text="Hello world.", citations=[ev], author="analyze"),
        Verdict(claim_id="c1", label="supported", confidence=0.9, evidence=[ev]),
        Decision(
            action="edit",
            reviewer="ann",
            edits=Edits(claims=[ClaimEdit(claim_id="c1", text="Hi.")], instructions="be brief"),
        ),
        Decision(action="extend", reviewer="ann", extra_hops=2),
        ReviewRequest(reason="hop_limit", hop=8, max_hops=8, bound="max_hops=8"),
        Policy(max_hops=3),
    ]
    for model in samples:
        assert type(model).model_validate_json(model.model_dump_json()) == model


def test_the_account_is_merged_field_by_field_across_turns_and_forks(graph, answer_task):
    """Each node writes only the account fields it changes; the checkpointed account keeps
    the others, and ``update_state`` (a fork with a changed field) merges the same way."""
    thread, snap = start(graph, answer_task)
    account = snap.values["account"]
    assert set(account) == {
        "hops", "max_hops", "tokens", "token_allowance", "elapsed_s", "time_allowance",
        "retries", "iterations", "done", "error_registry",
    }  # fmt: skip
    assert (account["hops"], account["max_hops"]) == (4, Policy().max_hops)
    assert account["elapsed_s"] > 0  # every timed turn charged its seconds
    history = list(graph.get_state_history({"configurable": {"thread_id": thread}}))
    hops = [h.values["account"]["hops"] for h in reversed(history) if h.metadata["step"] >= 0]
    assert hops == sorted(hops) and set(hops) == {0, 1, 2, 3, 4}  # never lost by a later write

    cfg = graph.update_state(
        {"configurable": {"thread_id": thread}}, {"account": {"max_hops": 99}}, as_node="review"
    )
    forked = graph.get_state(cfg).values["account"]
    assert forked == {**account, "max_hops": 99}


def test_merge_account_replaces_the_fields_written_and_keeps_the_others():
    from baton.state import merge_account

    before = {"hops": 2, "tokens": 10, "retries": {"analyze": 1}}
    assert merge_account(before, {"hops": 3}) == {
        "hops": 3,
        "tokens": 10,
        "retries": {"analyze": 1},
    }
    assert merge_account(before, {"retries": {}}) == {"hops": 2, "tokens": 10, "retries": {}}
    assert merge_account(None, {"hops": 1}) == {"hops": 1}
    assert merge_account(before, None) == before and merge_account(before, {}) == before
    assert before == {"hops": 2, "tokens": 10, "retries": {"analyze": 1}}  # not mutated


def test_turn_values_after_applies_the_state_reducers():
    from datetime import UTC, datetime

    from baton.graph import Turn

    turn = Turn(
        node="write",
        step=5,
        task_id="t",
        state={"account": {"hops": 4, "elapsed_s": 1.0}, "trace": ["a"], "answer": None},
        update={"account": {"elapsed_s": 1.5}, "trace": ["b"], "answer": "x"},
        goto="supervise",
        seconds=0.5,
        ended_at=datetime.now(UTC),
    )
    assert turn.values_after() == {
        "account": {"hops": 4, "elapsed_s": 1.5},
        "trace": ["a", "b"],
        "answer": "x",
    }


def test_runs_use_the_verifier_checks_that_settings_name(monkeypatch, checkpointer, check_task):
    monkeypatch.setenv("BATON_VERIFIER_CHECKS", "lexical,numbers")
    graph = build_graph(checkpointer=checkpointer)
    _, snap = start(graph, check_task)
    verdicts = verdicts_of(snap.values)
    assert verdicts and all([r.check for r in v.checks] == ["lexical", "numbers"] for v in verdicts)
    monkeypatch.setenv("BATON_VERIFIER_CHECKS", "lexical,telepathy")
    with pytest.raises(ConfigError, match="telepathy"):
        build_graph(checkpointer=checkpointer)


def test_the_reducers_have_one_definition_read_from_run_state():
    import operator

    from baton.state import APPENDED_KEYS, REDUCERS, merge_account

    assert dict(REDUCERS) == {
        "account": merge_account,
        "failures": operator.add,
        "trace": operator.add,
        "bounds": operator.add,
        "outputs": merge_account,
    }
    assert APPENDED_KEYS == ("failures", "trace", "bounds")


def test_every_turns_values_after_is_the_checkpointed_state(graph, check_task):
    """``Turn.values_after`` (the audit's view of a turn) agrees with what LangGraph's own
    reducers checkpointed after that turn, key by key, on a run with a review."""
    from baton.graph import recording_turns

    with recording_turns() as turns:
        thread, snap = start(graph, check_task)
        resume(graph, thread, snap, {"action": "approve", "reviewer": "ann"})
    history = {
        s.metadata["step"]: s.values
        for s in graph.get_state_history({"configurable": {"thread_id": thread}})
    }
    assert [t.node for t in turns][:3] == ["supervise", "research", "supervise"]
    assert turns[-1].node == "finish"
    for turn in turns:
        after = turn.values_after()
        checkpointed = history[turn.step]
        assert {k: after[k] for k in checkpointed} == checkpointed, turn.node
