"""Node functions called directly: the exact state keys they write (each write is a
checkpoint row and an audit ``changed`` entry, so a key already right is not written)."""

from __future__ import annotations

from baton.contracts import Claim, Evidence, Verdict
from baton.graph import SPECIALISTS, default_table, initial_state
from baton.nodes.analyze import analyze
from baton.routing import converged, plan
from baton.state import NodeContext

MOON = "The Moon orbits the Earth. The Moon is rocky and dry. It has almost no atmosphere."
"""The text of source ``s1`` of the graph tests' Moon tasks."""


def _span(text: str) -> Evidence:
    start = MOON.index(text)
    return Evidence(source_id="s1", start=start, end=start + len(text), text=text)


ORBIT = _span("The Moon orbits the Earth.")
ROCKY = _span("The Moon is rocky and dry.")


def _claim(cid: str, text: str, ev: Evidence) -> Claim:
    return Claim(id=cid, text=text, citations=[ev], author="analyze")


class _Claims:
    """An engine whose ``analyze`` returns fixed claims."""

    local = True

    def __init__(self, claims: list[Claim]):
        self.claims = claims

    def analyze(self, task, handoff, passages, previous, verdicts):
        return self.claims


def _ctx(claims: list[Claim]) -> NodeContext:
    return NodeContext("analyze", default_table(), _Claims(claims), watched=False)


def _supported(cid: str) -> Verdict:
    return Verdict(claim_id=cid, label="supported", confidence=1.0)


def test_first_analyze_writes_only_claims_and_trace(answer_task):
    state = initial_state(answer_task)
    c1 = _claim("c1", "The Moon orbits the Earth.", ORBIT)
    update = analyze(state, _ctx([c1])).update
    assert update == {"claims": [c1], "trace": ["analyze: 1 claim(s)"]}


def test_a_revision_drops_verdicts_of_changed_claims_and_clears_the_answer(answer_task):
    c1 = _claim("c1", "The Moon orbits the Earth.", ORBIT)
    c2 = _claim("c2", "The Moon is rocky.", ROCKY)
    state = {
        **initial_state(answer_task),
        "claims": [c1, c2],
        "verdicts": [_supported("c1"), _supported("c2")],
        "answer": "The Moon orbits the Earth. [s1]",
    }
    revised = c2.model_copy(update={"text": "The Moon is rocky and dry."})
    update = analyze(state, _ctx([c1, revised])).update
    assert update == {
        "claims": [c1, revised],
        "verdicts": [_supported("c1")],
        "answer": None,
        "trace": ["analyze: 2 claim(s)"],
        "account": {"change": 0.0816},  # the revision changed 8.16 % of the claims' text
    }


def test_an_unchanged_revision_leaves_verdicts_unwritten(answer_task):
    c1 = _claim("c1", "The Moon orbits the Earth.", ORBIT)
    state = {**initial_state(answer_task), "claims": [c1], "verdicts": [_supported("c1")]}
    update = analyze(state, _ctx([c1])).update
    assert "verdicts" not in update and "answer" not in update


def test_plan_sends_the_work_to_research_until_there_are_passages(answer_task):
    state = initial_state(answer_task)
    assert plan(state, SPECIALISTS)[0] == "research"
    # a custom specialist's handoff count does not stand for research having run
    assert (
        plan({**state, "account": {**state["account"], "done": {"summarize": 1}}}, SPECIALISTS)[0]
        == "research"
    )
    assert answer_task.source("s1").text == MOON
    assert plan({**state, "passages": [ORBIT]}, SPECIALISTS) == ("analyze", "no claims yet")


def test_an_unchanged_revision_records_convergence_and_stops_the_loop(answer_task):
    c1 = _claim("c1", "The Moon orbits the Earth.", ORBIT)
    state = {**initial_state(answer_task), "claims": [c1], "verdicts": [_supported("c1")]}
    update = analyze(state, _ctx([c1])).update
    assert update["account"] == {"change": 0.0}
    assert update["bounds"] == [
        "converged: the revision changed 0.0% of the claims (convergence_threshold 5%); "
        "refinement loop stopped"
    ]
    assert converged({**state, "account": {**state["account"], "change": 0.0}}) is True
    assert converged({**state, "account": {**state["account"], "change": 0.05}}) is False
    assert converged(state) is False  # a first draft has no change yet
