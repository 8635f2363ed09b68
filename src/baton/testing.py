"""Test doubles for baton's llm engine, shipped for users' own tests (no network, no key).

- ``ScriptedChatModel``: a LangChain chat model that answers from a script. Each reply is a
  string (a text message), a dict or pydantic model (the arguments of a tool call to the one
  bound tool, which is what ``with_structured_output`` parses), an ``AIMessage``, an exception
  (raised), or a callable ``fn(messages, tools) -> reply``. A ``responder`` callable answers
  once the script is empty. Streaming is disabled so tool calls survive; every reply carries
  ``usage_metadata``. Running out of replies raises ``baton.errors.ScriptError`` (the guard lets
  it through: a broken test is never recorded as a run failure), and ``assert_all_used()``
  raises it when replies were left over.
- ``FaultyChatModel``: wraps any chat model and injects faults on chosen calls (a timeout,
  HTTP 429 / 5xx, a connection error, missing, invalid or refused output, a route outside the
  table, an exception, a hang).
- ``rate_limit_error()``, ``server_error()``, ``connection_error()``, ``timeout_error()``: the
  exceptions the ``openai`` client raises, built without a network.

Example::

    model = ScriptedChatModel(replies=[{"next": "research", "reason": "start"}])
    engine = LLMEngine(model)
    ...
    model.assert_all_used()
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from baton.engines.llm import ROLES
from baton.errors import ScriptError

FAULT_KINDS = (
    "timeout",
    "rate_limit",
    "server_error",
    "connection",
    "missing_output",
    "invalid_output",
    "refusal",
    "bad_route",
    "exception",
    "hang",
)
"""What ``FaultyChatModel`` can inject. ``bad_route`` answers a route call with a node outside
the table; ``hang`` sleeps ``hang_s`` before answering (for turn / idle timeouts)."""

ROLE_TOOLS: dict[str, str] = {
    name: role.schema.__name__ for name, role in ROLES.items() if name != "analyze_check"
}
"""The tool (structured output schema) each llm engine role binds (from
``baton.engines.llm.ROLES``); ``FaultyChatModel`` keys may name either."""

_REQUEST = httpx.Request("POST", "http://scripted.invalid/v1/chat/completions")


def rate_limit_error(message: str = "Rate limit reached for requests") -> openai.RateLimitError:
    """The ``openai.RateLimitError`` (HTTP 429) the client raises."""
    return openai.RateLimitError(message, response=httpx.Response(429, request=_REQUEST), body=None)


def server_error(
    status: int = 503, message: str = "The server is overloaded"
) -> openai.APIStatusError:
    """An ``openai`` HTTP 5xx error (``InternalServerError`` for 500, else ``APIStatusError``)."""
    cls = openai.InternalServerError if status == 500 else openai.APIStatusError
    return cls(message, response=httpx.Response(status, request=_REQUEST), body=None)


def connection_error() -> openai.APIConnectionError:
    """The ``openai.APIConnectionError`` of a refused or reset connection."""
    return openai.APIConnectionError(message="Connection error.", request=_REQUEST)


def timeout_error() -> openai.APITimeoutError:
    """The ``openai.APITimeoutError`` of a request that took too long."""
    return openai.APITimeoutError(request=_REQUEST)


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _text_of(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(
        m.content if isinstance(m.content, str) else json.dumps(m.content, default=str)
        for m in messages
    )


def _with_usage(message: AIMessage, messages: Sequence[BaseMessage]) -> AIMessage:
    if message.usage_metadata:
        return message
    out_text = message.content if isinstance(message.content, str) else json.dumps(message.content)
    out_text += (
        json.dumps([tc.get("args") for tc in message.tool_calls], default=str)
        if message.tool_calls
        else ""
    )
    i, o = _approx_tokens(_text_of(messages)), _approx_tokens(out_text)
    return message.model_copy(
        update={"usage_metadata": {"input_tokens": i, "output_tokens": o, "total_tokens": i + o}}
    )


def tool_names(tools: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Names of OpenAI-format tools (as ``bind_tools`` formats them)."""
    return [t.get("function", {}).get("name", "") for t in (tools or [])]


def _as_message(
    reply: Any, messages: Sequence[BaseMessage], tools: Sequence[Mapping[str, Any]] | None, n: int
) -> AIMessage:
    if isinstance(reply, BaseException):
        raise reply
    if callable(reply) and not isinstance(reply, BaseModel | type):
        reply = reply(list(messages), list(tools or []))
        if isinstance(reply, BaseException):
            raise reply
    if isinstance(reply, AIMessage):
        return reply
    if isinstance(reply, str):
        return AIMessage(content=reply)
    if isinstance(reply, BaseModel):
        reply = reply.model_dump(mode="json")
    if isinstance(reply, Mapping):
        names = tool_names(tools)
        if not names:
            return AIMessage(content=json.dumps(reply))
        return AIMessage(
            content="",
            tool_calls=[
                {"name": names[0], "args": dict(reply), "id": f"call_{n}", "type": "tool_call"}
            ],
        )
    raise ScriptError(f"scripted reply {n} has an unsupported type {type(reply).__name__}")


class _ToolsBinding:
    """Shared ``bind_tools`` for the test doubles: format tools OpenAI-style and bind them."""

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):  # type: ignore[override]
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)  # type: ignore[attr-defined]


class ScriptedChatModel(_ToolsBinding, BaseChatModel):
    """A chat model that answers from ``replies`` (in order), then from ``responder``.

    - ``replies``: see the module docstring for what a reply may be.
    - ``responder``: ``fn(messages, tools) -> reply`` used when the script is empty (None: a
      ``ScriptError`` instead).
    - ``model_name``: reported like a real model's name (the LLM judge compares names).
    - ``delay_s``: seconds each call waits before it answers (a model-bound profile for
      benchmarks, ``model_bound_engine``).

    ``calls`` holds the messages of every call; ``used`` counts scripted replies consumed;
    ``tokens`` sums the usage metadata of every reply. Thread-safe.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[Any] = Field(default_factory=list)
    responder: Callable[[list[BaseMessage], list[dict[str, Any]]], Any] | None = None
    model_name: str = "scripted"
    delay_s: float = 0.0
    disable_streaming: bool | str = True

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _next: int = PrivateAttr(default=0)
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _tokens: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "baton-scripted"

    @property
    def calls(self) -> list[list[BaseMessage]]:
        return list(self._calls)

    @property
    def used(self) -> int:
        return self._next

    @property
    def remaining(self) -> int:
        return len(self.replies) - self._next

    def _take(self, messages: list[BaseMessage]) -> tuple[int, Any]:
        with self._lock:
            self._calls.append(list(messages))
            n = len(self._calls)
            if self._next < len(self.replies):
                reply = self.replies[self._next]
                self._next += 1
                return n, reply
        if self.responder is not None:
            return n, self.responder
        last = _text_of(messages[-1:])[:300]
        raise ScriptError(
            f"ScriptedChatModel ran out of replies: call {n} has no scripted reply "
            f"({len(self.replies)} scripted). Last message: {last!r}"
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay_s > 0:
            time.sleep(self.delay_s)
        n, reply = self._take(messages)
        message = _with_usage(_as_message(reply, messages, kwargs.get("tools"), n), messages)
        with self._lock:
            self._tokens += int((message.usage_metadata or {}).get("total_tokens") or 0)
        return ChatResult(generations=[ChatGeneration(message=message)])

    @property
    def tokens(self) -> int:
        """Total tokens reported in the usage metadata of every reply so far."""
        return self._tokens

    def assert_all_used(self) -> None:
        """Raise ``ScriptError`` when scripted replies were never asked for."""
        if self.remaining > 0:
            left = [repr(r)[:120] for r in self.replies[self._next :]]
            raise ScriptError(
                f"{self.remaining} scripted repl{'y was' if self.remaining == 1 else 'ies were'} never used: {left}"
            )


class FaultyChatModel(_ToolsBinding, BaseChatModel):
    """Wraps ``inner`` and injects faults.

    ``faults`` maps a key to a list of fault kinds (``FAULT_KINDS``) or ``None`` (pass
    through), consumed one per matching call. A key matches a call when it is ``"*"`` or a
    case-insensitive substring of the bound tool's name (baton's roles bind ``SupervisorRoute``,
    ``ResearchPicks``, ``AnalyzeClaims``, ``WriteAnswer``: key ``"research"`` hits research
    calls). ``injected`` lists ``(call number, key, fault)`` for every fault injected.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    faults: dict[str, list[str | None]] = Field(default_factory=dict)
    hang_s: float = 5.0
    disable_streaming: bool | str = True

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _n: int = PrivateAttr(default=0)
    _injected: list[tuple[int, str, str]] = PrivateAttr(default_factory=list)
    _tokens: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "baton-faulty"

    @property
    def model_name(self) -> str:
        return getattr(self.inner, "model_name", "faulty")

    @property
    def injected(self) -> list[tuple[int, str, str]]:
        return list(self._injected)

    def _pick(
        self, tools: Sequence[Mapping[str, Any]] | None
    ) -> tuple[int, str | None, str | None]:
        names = " ".join(tool_names(tools)).lower()
        with self._lock:
            self._n += 1
            for key, queue in self.faults.items():
                alias = ROLE_TOOLS.get(key, key).lower()
                if (key == "*" or (names and (key.lower() in names or alias in names))) and queue:
                    kind = queue.pop(0)
                    if kind is not None:
                        if kind not in FAULT_KINDS:
                            raise ScriptError(f"unknown fault {kind!r}; use one of {FAULT_KINDS}")
                        self._injected.append((self._n, key, kind))
                    return self._n, key, kind
            return self._n, None, None

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        n, _key, kind = self._pick(kwargs.get("tools"))
        names = tool_names(kwargs.get("tools"))
        reply: AIMessage | None = None
        if kind == "timeout":
            raise timeout_error()
        if kind == "rate_limit":
            raise rate_limit_error()
        if kind == "server_error":
            raise server_error(503)
        if kind == "connection":
            raise connection_error()
        if kind == "exception":
            raise RuntimeError("injected fault: the model client crashed")
        if kind == "hang":
            time.sleep(self.hang_s)
        if kind == "missing_output":
            reply = AIMessage(content="")
        elif kind == "invalid_output":
            args = {"unexpected_field": "not the contract"}
            reply = (
                AIMessage(
                    content="",
                    tool_calls=[
                        {"name": names[0], "args": args, "id": f"bad_{n}", "type": "tool_call"}
                    ],
                )
                if names
                else AIMessage(content="{not json")
            )
        elif kind == "refusal":
            text = "I'm sorry, but I can't help with that."
            reply = AIMessage(content=text, additional_kwargs={"refusal": text})
        elif kind == "bad_route":
            args = {"next": "nowhere", "reason": "injected bad route", "instructions": ""}
            reply = AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": names[0] if names else "SupervisorRoute",
                        "args": args,
                        "id": f"bad_{n}",
                        "type": "tool_call",
                    }
                ],
            )
        if reply is not None:
            message = _with_usage(reply, messages)
            with self._lock:
                self._tokens += int((message.usage_metadata or {}).get("total_tokens") or 0)
            return ChatResult(generations=[ChatGeneration(message=message)])
        return self.inner._generate(messages, stop=stop, **kwargs)

    @property
    def tokens(self) -> int:
        """Tokens reported by the replies this wrapper made up (invalid, missing, refused
        output, bad routes); the inner model counts its own."""
        return self._tokens


_PASSAGE = re.compile(
    r'<<<SOURCE id="(?P<sid>[^"]*)" passage="(?P<n>\d+)">>> (?P<text>.*?) <<<END SOURCE ', re.S
)
_CLAIM = re.compile(
    r"^- id=(?P<id>\S+) \[(?P<label>[a-z]+)\] sources=(?P<src>\[[^\]]*\]): (?P<text>.*)$", re.M
)


class CompliantResponder:
    """A ``responder`` for ``ScriptedChatModel`` that plays a well-behaved model for baton's
    llm engine roles, deterministically, from the prompt alone: it follows the supervisor's
    ``suggested`` node, picks the first ``picks`` research passages, states passages verbatim
    as claims (keeping supported ones, replacing refused ones), splits a check task's draft
    into sentences, and writes the supported claims with their citations.

    Use it to run whole tasks through ``LLMEngine`` offline (tests, ``bench/faults.py``);
    wrap the model in ``FaultyChatModel`` to inject faults on top.
    """

    def __init__(self, picks: int = 8, claims: int = 3):
        self.picks = picks
        self.claims = claims

    def __call__(self, messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Any:
        name = (tool_names(tools) or [""])[0]
        system = _text_of(messages[:1])
        user = _text_of(messages[1:])
        if name == "SupervisorRoute":
            m = re.search(r'"suggested": "([^"]+)"', user)
            return {"next": m.group(1) if m else "finish", "reason": "following the plan"}
        passages = [(int(m["n"]), m["sid"], m["text"]) for m in _PASSAGE.finditer(user)]
        if name == "ResearchPicks":
            return {"passages": [n for n, _, _ in passages[: self.picks]]}
        if name == "AnalyzeClaims":
            return self._analyze(system, user, passages)
        if name == "WriteAnswer":
            parts = [
                f"{m['text']} " + "".join(f"[{s}]" for s in json.loads(m["src"].replace("'", '"')))
                for m in _CLAIM.finditer(user)
                if m["label"] in ("supported", "unverified")
            ]
            return {"answer": " ".join(parts) or "The sources do not establish an answer."}
        raise ScriptError(f"CompliantResponder does not know the tool {name!r}")

    def _analyze(
        self, system: str, user: str, passages: list[tuple[int, str, str]]
    ) -> dict[str, Any]:
        if "fact-check" in system:
            m = re.search(r"<<<DRAFT>>>\n(.*?)\n<<<END DRAFT>>>", user, re.S)
            from baton.text import sentences

            out = [
                {"text": s.strip(), "passages": [n for n, _, _ in passages[:2]]}
                for s in sentences(m.group(1) if m else "")
                if len(s.split()) >= 2
            ]
            return {
                "claims": out
                or [{"text": (m.group(1) if m else "no draft").strip()[:300], "passages": []}]
            }
        earlier = list(_CLAIM.finditer(user))
        keep = [
            {"id": c["id"], "text": c["text"], "passages": []}
            for c in earlier
            if c["label"] == "supported"
        ]
        used = {c["text"] for c in earlier}
        for n, _sid, text in passages:
            if len(keep) >= self.claims:
                break
            if text in used or not 5 <= len(text.split()) <= 80:
                continue
            keep.append({"text": text, "passages": [n]})
            used.add(text)
        return {"claims": keep}


def model_bound_engine(delay_s: float = 0.2) -> Any:
    """``LLMEngine`` on ``ScriptedChatModel(responder=CompliantResponder(), delay_s=delay_s)``:
    every model call answers after ``delay_s`` seconds, as a remote model would, so a worker
    spends its time waiting (``bench/scale.py`` profile (b); the worker uses it when
    ``BATON_BENCH_MODEL_DELAY_MS`` is set, see ``baton.engines.default_engine``)."""
    from baton.engines.llm import LLMEngine

    return LLMEngine(ScriptedChatModel(responder=CompliantResponder(), delay_s=delay_s))


def supporting_verifier(claims: Sequence[Any], sources: Sequence[Any]) -> list[Any]:
    """A verifier double (``verify(claims, sources) -> list[Verdict]``): every claim
    ``supported`` with confidence 0.9 by its first citation, with one ``lexical`` check. Use it
    with ``build_graph(verifier=...)`` or ``Worker(verifier=...)`` to test graph behaviour apart
    from the real verifier's tuning."""
    from baton.contracts import CheckResult, Verdict

    return [
        Verdict(
            claim_id=c.id,
            label="supported",
            confidence=0.9,
            evidence=list(c.citations[:1]),
            checks=[CheckResult(check="lexical", label="supported", score=0.9, detail="stub")],
        )
        for c in claims
    ]
