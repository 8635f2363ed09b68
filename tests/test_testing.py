"""``baton.testing``: the scripted chat model and the fault-injecting wrapper."""

from __future__ import annotations

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import BaseModel

from baton.errors import ScriptError
from baton.faults import classify
from baton.testing import (
    FAULT_KINDS,
    FaultyChatModel,
    ScriptedChatModel,
    connection_error,
    rate_limit_error,
    server_error,
    timeout_error,
)


class Answer(BaseModel):
    text: str
    score: int


def test_text_replies_in_order_with_usage():
    m = ScriptedChatModel(replies=["one", AIMessage(content="two")])
    first = m.invoke("hi")
    second = m.invoke([HumanMessage("again")])
    assert (first.content, second.content) == ("one", "two")
    assert (
        first.usage_metadata["total_tokens"]
        == first.usage_metadata["input_tokens"] + first.usage_metadata["output_tokens"]
        > 0
    )
    assert m.used == 2 and m.remaining == 0 and len(m.calls) == 2
    assert m.tokens == first.usage_metadata["total_tokens"] + second.usage_metadata["total_tokens"]
    m.assert_all_used()


def test_structured_output_through_a_tool_call():
    m = ScriptedChatModel(replies=[{"text": "yes", "score": 3}, Answer(text="no", score=1)])
    structured = m.with_structured_output(Answer)
    assert structured.invoke("q") == Answer(text="yes", score=3)
    raw = m.with_structured_output(Answer, include_raw=True).invoke("q")
    assert raw["parsed"] == Answer(text="no", score=1)
    assert raw["raw"].tool_calls[0]["name"] == "Answer"
    assert raw["raw"].usage_metadata["output_tokens"] > 0


def test_bind_tools_and_streaming_keep_tool_calls():
    m = ScriptedChatModel(replies=[{"text": "streamed", "score": 2}])
    chunks = list(m.bind_tools([Answer]).stream("q"))
    assert len(chunks) == 1, "streaming is disabled: one whole message"
    assert chunks[0].tool_calls[0]["args"] == {"text": "streamed", "score": 2}


def test_running_out_is_a_clear_script_error():
    m = ScriptedChatModel(replies=["only"])
    m.invoke("a")
    with pytest.raises(ScriptError, match="ran out of replies: call 2 has no scripted reply"):
        m.invoke("b")


def test_unused_replies_are_reported():
    m = ScriptedChatModel(replies=["a", "b", "c"])
    m.invoke("x")
    with pytest.raises(ScriptError, match="2 scripted replies were never used"):
        m.assert_all_used()


def test_exceptions_and_callables_in_the_script():
    m = ScriptedChatModel(
        replies=[rate_limit_error(), lambda messages, tools: f"saw {len(messages)}"]
    )
    with pytest.raises(openai.RateLimitError):
        m.invoke("a")
    assert m.invoke("b").content == "saw 1"


def test_a_responder_answers_after_the_script():
    m = ScriptedChatModel(replies=["first"], responder=lambda messages, tools: "more")
    assert [m.invoke("x").content for _ in range(3)] == ["first", "more", "more"]


@pytest.mark.parametrize(
    ("error", "kind", "cause"),
    [
        (rate_limit_error(), "error", "rate_limit"),
        (server_error(503), "error", "server_error"),
        (server_error(500), "error", "server_error"),
        (connection_error(), "error", "connection"),
        (timeout_error(), "timeout", "timeout"),
        (ValueError("boom"), "error", "exception"),
    ],
)
def test_the_openai_errors_are_classified(error, kind, cause):
    f = classify(error)
    assert (f.kind, f.cause, f.retryable) == (kind, cause, True)


def test_a_4xx_is_not_retried():
    import httpx

    err = openai.AuthenticationError(
        "bad key",
        response=httpx.Response(401, request=httpx.Request("POST", "http://x")),
        body=None,
    )
    f = classify(err)
    assert (f.kind, f.cause, f.retryable) == ("error", "http_4xx", False)


def test_the_faulty_wrapper_injects_per_role_then_passes_through():
    inner = ScriptedChatModel(replies=[{"text": "ok", "score": 1}, "plain"])
    m = FaultyChatModel(inner=inner, faults={"answer": ["rate_limit", None], "*": ["connection"]})
    structured = m.with_structured_output(Answer)
    with pytest.raises(openai.RateLimitError):
        structured.invoke("q")
    assert structured.invoke("q") == Answer(text="ok", score=1)  # None: passed through
    with pytest.raises(openai.APIConnectionError):
        m.invoke("no tools")
    assert m.invoke("no tools").content == "plain"
    assert [(key, kind) for _, key, kind in m.injected] == [
        ("answer", "rate_limit"),
        ("*", "connection"),
    ]
    inner.assert_all_used()


def test_every_fault_kind_can_be_injected():
    for kind in FAULT_KINDS:
        m = FaultyChatModel(
            inner=ScriptedChatModel(replies=[{"text": "ok", "score": 1}]),
            faults={"*": [kind]},
            hang_s=0.01,
        )
        try:
            out = m.with_structured_output(Answer, include_raw=True).invoke("q")
        except Exception as exc:  # noqa: BLE001
            assert kind in ("timeout", "rate_limit", "server_error", "connection", "exception"), (
                kind,
                exc,
            )
            continue
        if kind == "hang":
            assert out["parsed"] == Answer(text="ok", score=1)
        else:
            assert out["parsed"] is None, kind


def test_an_unknown_fault_is_a_script_error():
    m = FaultyChatModel(inner=ScriptedChatModel(), faults={"*": ["gremlins"]})
    with pytest.raises(ScriptError, match="unknown fault"):
        m.invoke("q")


def test_a_fault_keeps_its_cause_typed_through_step_failed_and_failure():
    from baton.faults import fault

    exc = fault("error", "rate_limit", "HTTP 429: slow down").step_failed()
    f = classify(exc)
    assert (f.kind, f.cause, f.retryable, f.detail) == (
        "error",
        "rate_limit",
        True,
        "rate_limit: HTTP 429: slow down",
    )
    failure = f.failure("research", 3)
    assert failure.model_dump() == {
        "node": "research",
        "kind": "error",
        "cause": "rate_limit",
        "detail": "rate_limit: HTTP 429: slow down",
        "hop": 3,
        "retryable": True,
    }


def test_a_failure_written_before_the_cause_field_reads_its_cause_back():
    from baton.contracts import Failure

    old = {"node": "write", "kind": "error", "detail": "server_error: HTTP 503: busy", "hop": 2}
    assert Failure.model_validate(old).cause == "server_error"
    assert Failure(node="write", kind="transition", detail="went nowhere").cause == "route"
    assert Failure(node="write", kind="error", detail="RuntimeError: boom").cause == "exception"
    # a typed cause wins over what the detail says
    assert Failure(node="w", kind="error", cause="exception", detail="timeout: x").cause == (
        "exception"
    )


def test_the_breaker_signature_reads_the_typed_cause():
    from baton.contracts import Failure
    from baton.faults import signature

    outage = Failure(node="research", kind="error", cause="connection", detail="reset by peer")
    assert signature(outage) == "connection"
    crash = Failure(node="analyze", kind="error", cause="exception", detail="KeyError: 'c3'")
    assert signature(crash) == "error|KeyError: ?"
