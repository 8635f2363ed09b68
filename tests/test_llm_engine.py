"""``LLMEngine``: one prompt per role, structured output into baton's contracts, every
failure a ``StepFailed`` with its cause, usage charged to the turn; and whole real tasks
through the worker with the scripted model."""

from __future__ import annotations

import pytest

from baton import usage
from baton.contracts import Claim, Handoff, Source, Task, Verdict
from baton.engines.base import SupervisorView
from baton.engines.llm import LLMEngine
from baton.engines.schemas import AnalyzeClaims, ResearchPicks, SupervisorRoute, WriteAnswer
from baton.errors import StepFailed
from baton.testing import CompliantResponder, ScriptedChatModel
from baton.worker import Worker

SOURCES = [
    Source(
        id="s1",
        title="Moon",
        text="The Moon orbits the Earth once every 27 days. The Moon is rocky and dry.",
    ),
    Source(id="s2", title="Tides", text="The tides on Earth follow the pull of the Moon."),
]
TASK = Task(id="t", kind="answer", question="What does the Moon orbit?", sources=SOURCES)
HANDOFF = Handoff(
    sender="supervise",
    recipient="research",
    hop=1,
    instructions="Find passages.",
    expected_output="passages",
    on_failure="report",
)
VIEW = SupervisorView(
    question=TASK.question,
    kind="answer",
    hop=0,
    max_hops=8,
    options=["analyze", "finish", "research"],
    suggested="research",
)


def engine(*replies):
    model = ScriptedChatModel(replies=list(replies))
    return LLMEngine(model), model


def test_route_is_structured_and_labelled_as_the_models():
    eng, model = engine({"next": "research", "reason": "need passages"})
    route = eng.route(TASK, VIEW)
    assert (route.next, route.reason, route.instructions) == (
        "research",
        "model: need passages",
        "",
    )
    system, user = model.calls[0]
    assert system.content.startswith("You are the supervisor")
    assert '"suggested": "research"' in user.content
    model.assert_all_used()


def _capturing(reply, seen: list):
    def answer(messages, tools):
        seen.append(tools[0]["function"])
        return reply

    return answer


def test_the_route_tool_lists_the_allowed_nodes_yet_a_route_outside_them_still_parses():
    seen: list[dict] = []
    eng, _ = engine(_capturing({"next": "nowhere", "reason": "x"}, seen))
    route = eng.route(TASK, VIEW)
    assert route.next == "nowhere"  # refused by supervise's table check, a `route` failure
    assert seen[0]["name"] == "SupervisorRoute"
    enum = seen[0]["parameters"]["properties"]["next"]["enum"]
    assert enum == ["research", "analyze", "finish"]  # the plan's suggestion first


def test_each_role_bounds_its_reply_below_the_policy_s_call_limit():
    from baton.engines.llm import ROLES

    assert {name: role.max_tokens for name, role in ROLES.items()} == {
        "supervise": 256,
        "research": 256,
        "analyze": 1536,
        "analyze_check": 1536,
        "write": 1024,
    }
    eng, _ = engine({"next": "research", "reason": "x"}, {"next": "research", "reason": "x"})
    events: list[dict] = []
    for call_limit in (2048, 100):
        meter = usage.Meter()
        meter.call_limit = call_limit
        with usage.reporting_calls(events.append), usage.metered(meter):
            eng.route(TASK, VIEW)
    starts = [e["payload"]["max_tokens"] for e in events if e["payload"].get("phase") == "start"]
    assert starts == [256, 100]


def test_passage_number_tools_list_the_numbers_on_offer():
    seen: list[dict] = []
    passages = eng_passages()
    eng, _ = engine(
        _capturing({"passages": [1]}, seen),
        _capturing({"claims": [{"text": "The Moon orbits the Earth.", "passages": [1]}]}, seen),
    )
    candidates = eng._candidates(TASK)
    eng.research(TASK, HANDOFF)
    eng.analyze(TASK, HANDOFF, passages, [], [])
    picks = seen[0]["parameters"]["properties"]["passages"]
    assert picks["items"] == {"type": "integer", "enum": list(range(1, len(candidates) + 1))}
    assert picks["maxItems"] == 8
    assert seen[1]["name"] == "AnalyzeClaims"
    draft = seen[1]["parameters"]["properties"]["claims"]["items"]
    assert draft["properties"]["passages"]["items"]["enum"] == list(range(1, len(passages) + 1))


def test_an_uncited_answer_claim_is_cited_by_retrieval_and_reported():
    eng, _ = engine(
        {"claims": [{"text": "The tides follow the pull of the Moon.", "passages": []}]}
    )
    events: list[dict] = []
    meter = usage.Meter()
    meter.node = "analyze"
    with usage.reporting_calls(events.append), usage.metered(meter):
        (claim,) = eng.analyze(TASK, HANDOFF, eng_passages(), [], [])
    (ev,) = claim.citations
    assert (ev.source_id, ev.text) == ("s2", "The tides on Earth follow the pull of the Moon.")
    assert SOURCES[1].text[ev.start : ev.end] == ev.text
    (cited,) = [e for e in events if e["kind"] == "cited_by_retrieval"]
    assert cited["summary"] == f"analyze: c1 had no citation; cited s2[0:{ev.end}] by BM25"
    assert cited["payload"] == {"claim": "c1", "source_id": "s2", "start": 0, "end": ev.end}


def test_an_uncited_claim_that_shares_no_word_with_the_sources_stays_uncited():
    eng, _ = engine({"claims": [{"text": "Quarks carry colour charge.", "passages": []}]})
    (claim,) = eng.analyze(TASK, HANDOFF, eng_passages(), [], [])
    assert claim.citations == []  # the analyze node refuses it (claims without citations)


def test_research_maps_picks_to_exact_source_spans():
    eng, model = engine({"passages": [2, 1, 2]})
    picked = eng.research(TASK, HANDOFF)
    assert len(picked) == 2
    for ev in picked:
        src = TASK.source(ev.source_id)
        assert src.text[ev.start : ev.end] == ev.text


@pytest.mark.parametrize(
    ("reply", "kind", "cause"),
    [
        ({"passages": [99]}, "invalid_output", "invalid_output"),
        ({"passages": []}, "invalid_output", "missing_output"),
        ({"wrong": 1}, "invalid_output", "invalid_output"),
        ("", "invalid_output", "missing_output"),
        ("Here are some passages I like.", "invalid_output", "missing_output"),
        ("I'm sorry, but I can't help with that.", "rejected", "refusal"),
    ],
)
def test_research_failures_are_step_failed_with_a_cause(reply, kind, cause):
    eng, _ = engine(reply)
    with pytest.raises(StepFailed) as err:
        eng.research(TASK, HANDOFF)
    assert (err.value.kind, err.value.retryable) == (kind, True)
    assert err.value.detail.startswith(f"{cause}: ")


def test_analyze_builds_claims_with_cited_spans_and_keeps_supported_ones():
    passages = eng_passages()
    previous = [
        Claim(
            id="c1", text="The Moon is rocky and dry.", citations=[passages[1]], author="analyze"
        ),
        Claim(id="c2", text="Wrong.", author="analyze"),
    ]
    verdicts = [
        Verdict(claim_id="c1", label="supported", confidence=1.0),
        Verdict(claim_id="c2", label="unsupported", confidence=1.0),
    ]
    eng, model = engine(
        {
            "claims": [
                {"id": "c1", "text": "The Moon is rocky and dry.", "passages": []},
                {"text": "The Moon orbits the Earth once every 27 days.", "passages": [1]},
            ]
        }
    )
    claims = eng.analyze(TASK, HANDOFF, passages, previous, verdicts)
    assert [(c.id, c.author) for c in claims] == [("c1", "analyze"), ("c3", "analyze")]
    assert claims[0] is previous[0]
    assert claims[1].citations == [passages[0]]
    assert "id=c2 [unsupported]" in model.calls[0][-1].content


def eng_passages():
    from baton.text import PassageIndex

    return PassageIndex.build(SOURCES).search("Moon orbit rocky", k=3)


def test_analyze_refuses_unknown_passage_numbers():
    eng, _ = engine({"claims": [{"text": "x y z", "passages": [7]}]})
    with pytest.raises(StepFailed, match="cites passage numbers"):
        eng.analyze(TASK, HANDOFF, eng_passages(), [], [])


def test_write_checks_citations():
    claims = [Claim(id="c1", text="The Moon orbits the Earth.", author="analyze")]
    verdicts = [Verdict(claim_id="c1", label="supported", confidence=1.0)]
    eng, _ = engine({"answer": "The Moon orbits the Earth [s1]."}, {"answer": "It does [s9]."})
    assert eng.write(TASK, HANDOFF, claims, verdicts) == "The Moon orbits the Earth [s1]."
    with pytest.raises(StepFailed, match=r"unknown sources \['s9'\]"):
        eng.write(TASK, HANDOFF, claims, verdicts)


def test_usage_is_charged_to_the_running_turn():
    eng, model = engine({"passages": [1]}, {"passages": [1]})
    with usage.metered() as meter:
        eng.research(TASK, HANDOFF)
        eng.research(TASK, HANDOFF)
    assert meter.calls == 2 and meter.tokens == model.tokens > 0
    assert eng.usage > 0


def test_schemas_are_the_roles_tools():
    assert [s.__name__ for s in (SupervisorRoute, ResearchPicks, AnalyzeClaims, WriteAnswer)] == [
        "SupervisorRoute",
        "ResearchPicks",
        "AnalyzeClaims",
        "WriteAnswer",
    ]


def test_every_role_is_one_entry_of_the_roles_table_and_the_test_doubles_follow_it():
    from baton.engines import prompts
    from baton.engines.llm import ROLES
    from baton.testing import ROLE_TOOLS

    assert {name: (r.schema.__name__, r.system) for name, r in ROLES.items()} == {
        "supervise": ("SupervisorRoute", prompts.SUPERVISE),
        "research": ("ResearchPicks", prompts.RESEARCH),
        "analyze": ("AnalyzeClaims", prompts.ANALYZE_ANSWER),
        "analyze_check": ("AnalyzeClaims", prompts.ANALYZE_CHECK),
        "write": ("WriteAnswer", prompts.WRITE),
    }
    assert ROLE_TOOLS == {
        "supervise": "SupervisorRoute",
        "research": "ResearchPicks",
        "analyze": "AnalyzeClaims",
        "write": "WriteAnswer",
    }


def test_real_tasks_run_end_to_end_through_the_worker(store, example_tasks):
    model = ScriptedChatModel(responder=CompliantResponder())
    run_ids = [store.submit(t) for t in example_tasks]
    Worker(store, engine=LLMEngine(model)).drain()
    rows = [store.run(r) for r in run_ids]
    assert all(r["status"] in ("finished", "waiting_review") and r["claims"] >= 1 for r in rows), [
        (r["status"], r["reason"]) for r in rows
    ]
    assert sum(r["status"] == "finished" or r["reason"] == "unsupported" for r in rows) >= 5
    spent = sum(e["tokens"] or 0 for r in run_ids for e in store.events(r))
    assert spent == model.tokens, "every token the model reported is charged to a task, once"
