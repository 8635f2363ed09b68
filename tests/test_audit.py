"""The audit trail: the exact events of a run (node start and end, handoffs, check results,
bounds, failures, interrupts, decisions), token accounting, and the inspection API that reads
them back (timeline, handoffs, state changes, claims, decisions; history and fork on both
checkpointers)."""

from __future__ import annotations

import pytest

from baton import audit
from baton.contracts import (
    Claim,
    Evidence,
    Failure,
    Handoff,
    ReviewRequest,
    Verdict,
)
from baton.graph import build_graph, default_table, initial_state
from baton.inspect import (
    claims,
    decisions,
    fork,
    handoffs,
    history,
    state_changes,
    thread_config,
    timeline,
)
from baton.nodes import research
from baton.policy import Policy
from baton.testing import supporting_verifier
from baton.worker import run_tasks


@pytest.fixture
def r57(example_tasks):
    return next(t for t in example_tasks if t.id == "fcgpt-r57-answer")


EXPECTED = [
    (-1, "", "status"),
    (None, "", "status"),
    (1, "supervise", "node_start"),
    (1, "supervise", "node"),
    (1, "supervise", "handoff"),
    (2, "research", "node_start"),
    (2, "research", "node"),
    (3, "supervise", "node_start"),
    (3, "supervise", "node"),
    (3, "supervise", "handoff"),
    (4, "analyze", "node_start"),
    (4, "analyze", "node"),
    (5, "supervise", "node_start"),
    (5, "supervise", "node"),
    (5, "supervise", "bound"),
    (5, "review", "interrupt"),
    (None, "", "status"),
    (None, "review", "decision"),
    (6, "review", "node_start"),
    (6, "review", "node"),
    (7, "supervise", "node_start"),
    (7, "supervise", "node"),
    (7, "supervise", "handoff"),
    (8, "verify", "node_start"),
    (8, "verify", "node"),
    (8, "verify", "check"),
    (9, "supervise", "node_start"),
    (9, "supervise", "node"),
    (9, "supervise", "handoff"),
    (10, "write", "node_start"),
    (10, "write", "node"),
    (11, "supervise", "node_start"),
    (11, "supervise", "node"),
    (12, "finish", "node_start"),
    (12, "finish", "node"),
    (None, "", "status"),
]


def test_a_run_records_every_kind_of_event_exactly_once(store, reviewed_run):
    run_id = reviewed_run
    events = store.events(run_id)
    assert [(e["step"], e["node"], e["kind"]) for e in events] == EXPECTED
    assert [e["summary"] for e in events if e["kind"] == "status"] == [
        "queued",
        "started",
        "waiting_review (hop_limit)",
        "finished (completed)",
    ]
    by = {(e["step"], e["node"], e["kind"]): e for e in events}
    assert by[(5, "supervise", "bound")]["summary"] == "hop_limit: max_hops=2"
    assert by[(5, "supervise", "bound")]["payload"] == {
        "reason": "hop_limit",
        "bound": "max_hops=2",
        "hop": 2,
    }
    assert by[(5, "review", "interrupt")]["summary"] == "paused for review: hop_limit (max_hops=2)"
    assert by[(None, "review", "decision")]["summary"] == "extend by ann: go on"
    assert [e["hop"] for e in events if e["kind"] == "handoff"] == [1, 2, 3, 4]
    assert [e["payload"]["recipient"] for e in events if e["kind"] == "handoff"] == [
        "research",
        "analyze",
        "verify",
        "write",
    ]
    # the node's cost sits on its `node` row only
    for e in events:
        if e["kind"] == "node":
            assert e["duration_ms"] is not None and e["duration_ms"] >= 0
        else:
            assert e["duration_ms"] is None and e["tokens"] is None


def test_node_events_say_what_the_node_saw_and_changed(store, reviewed_run):
    run_id = reviewed_run
    by = {(e["step"], e["node"], e["kind"]): e for e in store.events(run_id)}
    start = by[(2, "research", "node_start")]["payload"]
    assert start["saw"]["handoff"]["recipient"] == "research"
    assert (
        start["saw"]["handoff"]["instructions"]
        == "Find the source passages that bear on the question."
    )
    assert (
        by[(1, "supervise", "node")]["payload"]["changed"]["handoff"]
        == "supervise -> research (hop 1)"
    )
    assert by[(1, "supervise", "node")]["payload"]["changed"]["hops"] == "1"
    assert by[(2, "research", "node")]["payload"]["changed"]["passages"] == "12 passages"
    assert by[(6, "review", "node")]["payload"]["changed"]["max_hops"] == "6"
    assert (
        by[(6, "review", "node")]["payload"]["changed"]["decisions"]
        == "1 decision, last extend by ann"
    )
    made = by[(4, "analyze", "node")]["payload"]["claims"]
    assert [c["id"] for c in made] == ["c1", "c2", "c3"]
    assert all(c["author"] == "analyze" and c["citations"] for c in made)
    check = by[(8, "verify", "check")]
    assert [
        (v["claim_id"], v["label"], [k["check"] for k in v["checks"]]) for v in check["payload"]
    ] == [
        ("c1", "supported", ["lexical"]),
        ("c2", "supported", ["lexical"]),
        ("c3", "supported", ["lexical"]),
    ]
    # the evidence of each verdict is the claim's own first citation (the stub verifier's rule)
    assert [v["evidence"][0]["span"] for v in check["payload"]] == [c["citations"][0] for c in made]


def test_tokens_are_charged_to_the_node_that_spent_them(store, r57):
    def costly_research(state, ctx):
        cmd = research(state, ctx)
        cmd.update["account"] = {"tokens": int(state["account"].get("tokens", 0)) + 120}
        return cmd

    def costly_write(state, ctx):
        from baton.nodes import write

        cmd = write(state, ctx)
        cmd.update["account"] = {"tokens": int(state["account"].get("tokens", 0)) + 30}
        return cmd

    (run_id,) = run_tasks(
        store,
        [r57],
        verifier=supporting_verifier,
        nodes={"research": costly_research, "write": costly_write},
    )
    spent = [(e["node"], e["tokens"]) for e in store.events(run_id) if e["tokens"] is not None]
    assert spent == [("research", 120), ("write", 30)]
    assert [r["tokens"] for r in timeline(store, run_id) if r["node"] in ("research", "write")] == [
        120,
        30,
    ]


def test_update_events_for_a_failure_and_an_escalation():
    failure = Failure(
        node="research", kind="timeout", detail="no reply in 120 s", hop=3, retryable=True
    )
    request = ReviewRequest(
        reason="budget_exceeded",
        hop=3,
        max_hops=8,
        bound="max_tokens_per_task=100000 (used 100500)",
    )
    handoff = Handoff(
        sender="supervise",
        recipient="write",
        hop=3,
        instructions="Write.",
        expected_output="text",
        on_failure="fail",
    )
    update = {
        "failures": [failure],
        "review": request,
        "handoff": handoff,
        "trace": ["supervise: escalates"],
        "account": {"tokens": 100500},
    }
    events = audit.update_events(
        7, "supervise", update, {**update, "account": {"hops": 3}}, duration_ms=12.5, tokens=500
    )
    assert [e["kind"] for e in events] == ["node_start", "node", "handoff", "bound", "failure"]
    assert all((e["step"], e["node"], e["hop"]) == (7, "supervise", 3) for e in events)
    node = events[1]
    assert (node["duration_ms"], node["tokens"]) == (12.5, 500)
    assert (
        node["summary"]
        == "supervise: escalates | changed: failures, handoff, review, tokens, trace"
    )
    assert node["payload"]["changed"] == {
        "failures": "research timeout: no reply in 120 s",
        "handoff": "supervise -> write (hop 3)",
        "review": "review requested: budget_exceeded (max_tokens_per_task=100000 (used 100500))",
        "tokens": "100500",
        "trace": "+1 line",
    }
    assert events[3]["summary"] == "budget_exceeded: max_tokens_per_task=100000 (used 100500)"
    assert events[4]["summary"] == "research timeout: no reply in 120 s"
    assert events[4]["payload"][0]["retryable"] is True


def test_tokens_a_node_spent_are_what_it_wrote_minus_what_it_received():
    def node_tokens(update, state):
        (node,) = [
            e
            for e in audit.update_events(3, "analyze", update, state, duration_ms=1.0)
            if e["kind"] == "node"
        ]
        return node["tokens"]

    def acct(**fields):
        return {"account": fields}

    assert node_tokens({"trace": ["x"]}, acct(tokens=10)) is None
    assert node_tokens(acct(elapsed_s=0.5), acct(tokens=10)) is None
    assert node_tokens(acct(tokens=150), acct(tokens=120)) == 30
    assert node_tokens(acct(tokens=150), {}) == 150
    assert node_tokens(acct(tokens=100), acct(tokens=120)) == 0


def test_check_events_come_only_from_the_verifier():
    verdict = Verdict(
        claim_id="c1",
        label="contradicted",
        confidence=0.8,
        evidence=[Evidence(source_id="s1", start=0, end=4, text="Moon")],
    )
    from_verify = audit.update_events(
        3, "verify", {"verdicts": [verdict]}, {"hops": 2}, duration_ms=1
    )
    from_author = audit.update_events(
        3, "analyze", {"verdicts": [verdict], "claims": []}, {"hops": 2}, duration_ms=1
    )
    assert [e["kind"] for e in from_verify] == ["node_start", "node", "check"]
    assert from_verify[2]["summary"] == "c1 contradicted 0.80"
    assert from_verify[2]["payload"][0]["evidence"][0]["span"] == "s1[0:4]"
    assert [e["kind"] for e in from_author] == ["node_start", "node"]


def test_inspection_rows_of_a_run(store, reviewed_run):
    run_id = reviewed_run
    tl = timeline(store, run_id)
    assert [(r["step"], r["node"]) for r in tl] == [
        (1, "supervise"),
        (2, "research"),
        (3, "supervise"),
        (4, "analyze"),
        (5, "supervise"),
        (6, "review"),
        (7, "supervise"),
        (8, "verify"),
        (9, "supervise"),
        (10, "write"),
        (11, "supervise"),
        (12, "finish"),
    ]
    assert tl[0]["start_ms"] == 0 and all(r["start_ms"] >= 0 for r in tl)
    assert [(h["hop"], h["recipient"]) for h in handoffs(store, run_id)] == [
        (1, "research"),
        (2, "analyze"),
        (3, "verify"),
        (4, "write"),
    ]
    changes = state_changes(store, run_id)
    assert {"step": 6, "hop": 2, "node": "review", "key": "max_hops", "now": "6"} in changes
    rows = claims(store, run_id)
    assert [(r["claim_id"], r["label"], r["checks"]) for r in rows] == [
        ("c1", "supported", {"lexical": "supported"}),
        ("c2", "supported", {"lexical": "supported"}),
        ("c3", "supported", {"lexical": "supported"}),
    ]
    assert all(r["evidence"][0].startswith(r["citations"][0] + ": ") for r in rows)
    assert [
        (d["reason"], d["status"], d["action"], d["reviewer"], d["note"])
        for d in decisions(store, run_id)
    ] == [
        ("hop_limit", "applied", "extend", "ann", "go on"),
    ]


def test_claims_of_a_paused_run_come_from_the_audit_trail(store, r57):
    (run_id,) = run_tasks(
        store, [r57.model_copy(update={"policy": Policy(max_hops=3)})], verifier=supporting_verifier
    )
    row = store.run(run_id)
    assert (row["status"], row["reason"], row["report"]) == ("waiting_review", "hop_limit", None)
    rows = claims(store, run_id)
    assert [(r["claim_id"], r["label"], r["checks"]) for r in rows] == [
        ("c1", "supported", {"lexical": "supported"}),
        ("c2", "supported", {"lexical": "supported"}),
        ("c3", "supported", {"lexical": "supported"}),
    ]


def test_history_and_fork_on_both_checkpointers(checkpointer, r57):
    table = default_table()
    graph = build_graph(table, checkpointer=checkpointer, verifier=supporting_verifier)
    final = graph.invoke(initial_state(r57), thread_config("t1"))
    assert final["outcome"] == "finished" and len(final["claims"]) == 3
    rows = history(graph, "t1")
    assert [r["next"] for r in rows] == [
        ["__start__"],
        ["supervise"],
        ["research"],
        ["supervise"],
        ["analyze"],
        ["supervise"],
        ["verify"],
        ["supervise"],
        ["write"],
        ["supervise"],
        ["finish"],
        [],
    ]
    assert rows[2]["changed"]["handoff"] == "supervise -> research (hop 1)"
    at = next(r for r in rows if r["next"] == ["verify"])
    snap = graph.get_state(thread_config("t1", at["checkpoint_id"]))
    branch = fork(graph, "t1", at["checkpoint_id"], {"claims": snap.values["claims"][:1]})
    assert graph.get_state(branch).next == ("verify",)
    resumed = graph.invoke(None, branch)
    assert [c.id for c in resumed["report"].claims] == ["c1"]
    after = history(graph, "t1")
    assert (
        len(after) == len(rows) + 6
    )  # the update checkpoint, then after verify, supervise, write, supervise, finish
    assert (
        after[len(rows)]["parent_id"] == at["checkpoint_id"]
        and after[len(rows)]["source"] == "update"
    )
    with pytest.raises(ValueError, match="end of the run"):
        fork(graph, "t1", rows[-1]["checkpoint_id"], {})


def test_trace_table_and_jsonl(store, reviewed_run):
    run_id = reviewed_run
    rows = audit.trace_rows(store.events(run_id))
    table = audit.format_table(rows).splitlines()
    assert table[0].split() == ["time", "step", "hop", "node", "kind", "ms", "tokens", "summary"]
    assert len(table) == 2 + len(EXPECTED)
    lines = audit.format_jsonl(rows).splitlines()
    import json

    assert [(r["step"], r["node"], r["kind"]) for r in map(json.loads, lines)] == EXPECTED


def test_summaries_read_models_and_their_dumps_alike(r57):
    ev = Evidence(source_id="s1", start=0, end=9, text="The Moon.")
    claim = Claim(id="c1", text="The Moon.", citations=[ev], author="analyze")
    values = {
        "task": r57,
        "handoff": Handoff(
            sender="supervise",
            recipient="research",
            hop=3,
            instructions="find passages",
            expected_output="passages",
            on_failure="supervise",
        ),
        "claims": [claim],
        "verdicts": [
            Verdict(claim_id="c1", label="supported", confidence=0.9),
            Verdict(claim_id="c2", label="contradicted", confidence=0.8),
        ],
        "failures": [Failure(node="write", kind="timeout", detail="too slow", hop=2)],
        "pending_failure": None,
        "account": {"retries": {"write": 1}, "hops": 3},
    }
    expected = {
        "task": f"task {r57.id} (answer, {len(r57.sources)} sources)",
        "handoff": "supervise -> research (hop 3)",
        "claims": "1 claim: c1",
        "verdicts": "2 verdicts: 1 contradicted, 1 supported",
        "failures": "write timeout: too slow",
        "pending_failure": "cleared",
        "retries": '{"write": 1}',
        "hops": "3",
    }
    assert audit.changed_keys(values) == dict(sorted(expected.items()))
    assert audit.changed_keys(audit.jsonable(values)) == dict(sorted(expected.items()))


def test_a_bound_no_review_names_is_the_last_event_of_its_update():
    update = {
        "account": {"elapsed_s": 1.5, "tokens": 80},
        "bounds": ["token_alert: 80 of 100 tokens used"],
    }
    values = {"account": {"hops": 3, "tokens": 0, "elapsed_s": 1.0}}
    events = audit.update_events(4, "analyze", update, values, duration_ms=2.0, tokens=80)
    assert [e["kind"] for e in events] == ["node_start", "node", "bound"]
    assert events[-1] == {
        "step": 4,
        "node": "analyze",
        "hop": 3,
        "kind": "bound",
        "summary": "token_alert: 80 of 100 tokens used",
        "payload": {
            "bounds": ["token_alert: 80 of 100 tokens used"],
            "tokens": 80,
            "elapsed_s": 1.5,
        },
    }
    named = {**update, "review": {"reason": "budget_exceeded", "bound": "max", "hop": 3}}
    kinds = [e["kind"] for e in audit.update_events(4, "supervise", named, values, duration_ms=1.0)]
    assert kinds == ["node_start", "node", "bound"]  # the review's bound, not a second one
