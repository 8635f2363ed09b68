"""The specialist registry: the default table, the handoff texts and the plan are derived from
it; custom specialists use the same type and run where they are placed (both checkpointers)."""

from __future__ import annotations

import itertools

import pytest

from baton.errors import GraphValidationError
from baton.graph import (
    DEFAULT_TABLE,
    SPECIALISTS,
    Specialist,
    build_graph,
    default_nodes,
    initial_state,
    plan_order,
    table_for,
)
from baton.graph.registry import EXPECTED_OUTPUT, INSTRUCTIONS
from baton.nodes.summarize import needs_summary, summarize
from baton.specialists import arrange
from baton.state import handoff_of

_threads = itertools.count()

SUMMARIZE = Specialist(
    "summarize",
    summarize,
    instructions="Sum up the verified claims in one paragraph.",
    expected_output="One paragraph: how many claims, their verdicts, the supported ones.",
    ready=needs_summary,
    after="verify",
)


def _run(graph, task):
    cfg = {"configurable": {"thread_id": f"s{next(_threads)}"}}
    for _ in graph.stream(initial_state(task), cfg, stream_mode="updates"):
        pass
    return graph.get_state(cfg).values


def _hops(trace):
    return [line.split(" -> ")[1].split(" ")[0] for line in trace if line.startswith("hop ")]


def test_the_registry_orders_the_specialists_and_derives_the_table_and_texts():
    assert [s.name for s in SPECIALISTS] == ["research", "analyze", "verify", "write"]
    assert dict(DEFAULT_TABLE) == {
        "supervise": frozenset({"research", "analyze", "verify", "write", "review", "finish"}),
        "research": frozenset({"supervise"}),
        "analyze": frozenset({"supervise"}),
        "verify": frozenset({"supervise"}),
        "write": frozenset({"supervise"}),
        "review": frozenset({"supervise", "finish"}),
        "finish": frozenset(),
    }
    assert sorted(default_nodes()) == sorted(DEFAULT_TABLE)
    assert INSTRUCTIONS["verify"] == "Check every new claim against all sources."
    assert (
        EXPECTED_OUTPUT["write"]
        == "The answer: only supported claims, each followed by its [source id] citations."
    )


def test_a_custom_specialist_is_placed_after_the_one_it_names():
    first = Specialist("first", summarize, after="research")
    second = Specialist("second", summarize, after="research")
    order = arrange(SPECIALISTS, [first, second, SUMMARIZE])
    assert [s.name for s in order] == [
        "research",
        "first",
        "second",
        "analyze",
        "verify",
        "summarize",
        "write",
    ]
    with pytest.raises(GraphValidationError, match="'nowhere', which is not a specialist"):
        arrange(SPECIALISTS, [Specialist("x", summarize, after="nowhere")])


def test_a_node_given_only_through_the_table_is_planned_once_after_verify():
    table = {k: set(v) for k, v in table_for((*SPECIALISTS, SUMMARIZE)).items()}
    order = plan_order(table, {**default_nodes(), "summarize": summarize})
    assert [s.name for s in order] == ["research", "analyze", "verify", "summarize", "write"]
    assert (order[3].ready, order[3].instructions) == (None, "")


def test_summarize_is_one_module_and_one_entry_and_runs_in_its_place(
    checkpointer, verifier, answer_task
):
    graph = build_graph(specialists=[SUMMARIZE], checkpointer=checkpointer, verifier=verifier)
    assert graph.transition_table["supervise"] >= {"summarize"}
    assert graph.transition_table["summarize"] == {"supervise"}
    values = _run(graph, answer_task)
    assert values["outcome"] == "finished"
    assert _hops(values["trace"]) == ["research", "analyze", "verify", "summarize", "write"]
    assert values["outputs"] == {
        "summarize": "3 claim(s): 3 supported. Supported: Some say the Moon is made of cheese,"
        " but it is made of rock. The Moon orbits the Earth. The Moon is rocky and dry."
    }
    assert "hop 4: supervise -> summarize (deterministic plan)" in values["trace"]


def test_a_custom_specialist_gets_its_own_handoff_texts(checkpointer, verifier, answer_task):
    seen = []

    def probe(state, ctx):
        seen.append(handoff_of(state))
        return {"trace": ["probe: ok"]}

    spec = Specialist(
        "probe", probe, instructions="Probe it.", expected_output="Nothing.", after="research"
    )
    graph = build_graph(specialists=[spec], checkpointer=checkpointer, verifier=verifier)
    values = _run(graph, answer_task)
    assert _hops(values["trace"]) == ["research", "probe", "analyze", "verify", "write"]
    assert [(h.recipient, h.instructions, h.expected_output) for h in seen] == [
        ("probe", "Probe it.", "Nothing.")
    ]
    assert values["account"]["done"] == {"probe": 1}


def test_summarize_asks_the_model_through_the_engines_call_with_its_own_schema(
    checkpointer, verifier, answer_task
):
    """An llm run: the new specialist's own schema and prompt reach the model through
    ``LLMEngine.call``; no engine, prompt or testing module knows about it."""
    from baton.engines.llm import ROLES, LLMEngine
    from baton.nodes.summarize import SYSTEM
    from baton.testing import CompliantResponder, ScriptedChatModel, tool_names

    plays_the_roles = CompliantResponder()

    def responder(messages, tools):
        if tool_names(tools) == ["Summary"]:
            return {"summary": "Three supported claims about the Moon."}
        return plays_the_roles(messages, tools)

    model = ScriptedChatModel(responder=responder)
    graph = build_graph(
        specialists=[SUMMARIZE],
        engine=LLMEngine(model),
        checkpointer=checkpointer,
        verifier=verifier,
    )
    values = _run(graph, answer_task)
    assert values["outcome"] == "finished"
    assert values["outputs"] == {"summarize": "Three supported claims about the Moon."}
    (call,) = [c for c in model.calls if c[0].content == SYSTEM]
    assert "YOUR INSTRUCTIONS (from the supervisor): Sum up the verified claims" in call[1].content
    assert "summarize" not in ROLES
