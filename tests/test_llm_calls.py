"""One model call of the llm engine: the structured-output method (``auto`` and its
fallback), the bounds sent with each call, the events reported as calls happen, the upper
estimate charged for a timed-out call, and the judge and prices from settings."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage

from baton import usage
from baton.engines.llm import METHODS, LLMEngine
from baton.engines.schemas import SupervisorRoute
from baton.errors import ConfigError, StepFailed
from baton.settings import Settings
from baton.testing import ScriptedChatModel, server_error, timeout_error
from baton.verifiers.pipeline import default_verifier, judge_from_settings

ROUTE = {"next": "research", "reason": "start"}


@pytest.fixture(autouse=True)
def _fresh_methods():
    METHODS.clear()
    yield
    METHODS.clear()


def _metered_call(engine, **meter_fields):
    events: list[dict] = []
    meter = usage.Meter()
    for k, v in meter_fields.items():
        setattr(meter, k, v)
    with usage.reporting_calls(events.append), usage.metered(meter):
        out = engine.call(SupervisorRoute, "system", "user")
    return out, meter, events


def test_auto_falls_back_from_tool_calls_to_json_mode_reports_it_and_remembers_the_answer():
    model = ScriptedChatModel(replies=[server_error(400, "tools not supported"), ROUTE, ROUTE])
    engine = LLMEngine(model)
    assert engine.methods() == ("function_calling", "json_mode")
    out, meter, events = _metered_call(engine, node="supervise")
    assert out == SupervisorRoute(**ROUTE)
    assert meter.fallbacks == ["function_calling->json_mode"]
    assert [(e["kind"], e["payload"].get("phase")) for e in events] == [
        ("model_call", "start"),
        ("model_call", "end"),
        ("structured_fallback", None),
        ("model_call", "start"),
        ("model_call", "end"),
    ]
    assert events[1]["payload"]["outcome"] == "http_4xx"
    assert events[2]["summary"] == (
        "supervise: function_calling failed (http_4xx); falling back to json_mode"
    )
    assert events[3]["payload"]["method"] == "json_mode"
    assert METHODS == {("", "scripted"): "json_mode"}
    assert engine.methods() == ("json_mode",)  # the next call goes straight to it
    _metered_call(engine)
    assert model.remaining == 0


def test_a_configured_method_is_tried_alone():
    model = ScriptedChatModel(replies=[server_error(400, "no")])
    with pytest.raises(StepFailed) as info:
        _metered_call(LLMEngine(model, method="function_calling"))
    assert info.value.cause == "http_4xx"


def test_a_call_start_event_names_the_node_call_number_and_bounds():
    model = ScriptedChatModel(replies=[ROUTE])
    _, meter, events = _metered_call(
        LLMEngine(model), node="analyze", hop=3, call_limit=512, budget_left=100_000
    )
    start, end = events
    assert start == {
        "node": "analyze",
        "hop": 3,
        "kind": "model_call",
        "summary": "analyze: waiting for the model (call 1)",
        "payload": {
            "phase": "start",
            "call": 1,
            "model": "scripted",
            "method": "function_calling",
            "max_tokens": 512,
        },
    }
    assert end["payload"]["tokens"] == meter.tokens
    assert end["payload"]["outcome"] == "ok"


def test_max_tokens_is_cut_to_the_tokens_the_task_has_left():
    engine = LLMEngine(ScriptedChatModel(replies=[ROUTE]))
    meter = usage.Meter()
    meter.call_limit, meter.budget_left = 2048, 1000
    with usage.metered(meter):
        assert engine._limits(prompt_chars=600) == (1000 - 301, None)
        meter.budget_left = 10
        assert engine._limits(prompt_chars=600) == (1, None)


def test_a_timed_out_call_is_charged_an_upper_estimate():
    model = ScriptedChatModel(replies=[timeout_error()], model_name="m")
    meter = usage.Meter()
    meter.call_limit = 100
    meter.prices = {"m": (1_000_000.0, 2_000_000.0)}  # 1 per input token, 2 per output token
    with pytest.raises(StepFailed) as info, usage.metered(meter):
        LLMEngine(model).call(SupervisorRoute, "s" * 10, "u" * 10)
    assert info.value.cause == "timeout"
    assert (meter.tokens, meter.estimated) == (20 // 2 + 1 + 100, 111)
    assert meter.cost == 0.0  # an int charge has no input/output split to price


def test_prices_give_a_cost_per_call():
    meter = usage.Meter()
    meter.charge(
        {"input_tokens": 1000, "output_tokens": 500, "total_tokens": 1500},
        model="m",
        prices={"m": (0.15, 0.60)},
    )
    assert meter.cost == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1_000_000)


def test_load_prices_reads_a_json_table_and_refuses_a_bad_one(tmp_path):
    good = tmp_path / "prices.json"
    good.write_text(json.dumps({"gpt-4o-mini": [0.15, 0.6]}))
    assert usage.load_prices(good) == {"gpt-4o-mini": (0.15, 0.6)}
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="BATON_PRICES="):
        usage.load_prices(bad)


def test_settings_read_the_judge_the_prices_and_default_to_auto(monkeypatch):
    monkeypatch.setenv("BATON_MODEL", "author")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BATON_JUDGE_MODEL", "judge")
    monkeypatch.setenv("BATON_PRICES", "/tmp/prices.json")
    s = Settings.from_env()
    assert (s.structured_output, s.judge_model, s.judge_base_url, s.prices_file) == (
        "auto",
        "judge",
        "http://127.0.0.1:9/v1",
        "/tmp/prices.json",
    )


def test_a_judge_naming_the_authoring_model_at_the_same_endpoint_is_refused():
    s = Settings(
        engine="llm", model="m", base_url="http://127.0.0.1:9/v1", judge_model="m",
        judge_base_url="http://127.0.0.1:9/v1",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="is the authoring model"):
        judge_from_settings(s)


def test_a_judge_from_settings_adds_the_llm_judge_check():
    s = Settings(
        engine="llm", model="m", base_url="http://127.0.0.1:9/v1", judge_model="j",
        judge_base_url="http://127.0.0.1:9/v1",
    )  # fmt: skip
    verifier = default_verifier(s)
    assert "llm_judge" in verifier.checks
    assert verifier.local is False  # its turn is watched: it waits on a model
    assert verifier.judge.model.model_name == "j"
    assert verifier.judge.model.max_tokens == 512


def test_the_judge_s_tokens_count():
    from baton.contracts import Claim, Evidence
    from baton.verifiers.judge import LLMJudge, check_llm_judge

    reply = AIMessage(content='{"label": "supported", "confidence": 0.9, "reason": "ok"}')
    judge = LLMJudge(ScriptedChatModel(replies=[reply], model_name="judge"))
    ev = Evidence(source_id="s1", start=0, end=5, text="Moon.")
    with usage.metered() as meter:
        result = check_llm_judge(Claim(id="c1", text="Moon.", author="analyze"), [ev], judge=judge)
    assert result.label == "supported"
    assert meter.tokens == judge.model.tokens > 0
