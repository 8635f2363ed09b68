"""The llm engine: any LangChain chat model fills each role, with structured output into the
same contracts as the offline engine.

- ``route``: the model picks the next node (``SupervisorRoute``); the supervisor validates it
  against the transition table and its gates.
- ``research``: BM25 proposes ``CANDIDATES`` numbered passages; the model picks the relevant
  ones (``ResearchPicks``). Offsets always come from the source, never from the model.
- ``analyze``: the model writes claims citing passage numbers (``AnalyzeClaims``); each number
  becomes that passage's exact ``Evidence`` span.
- ``write``: the model composes the answer from the supported claims (``WriteAnswer``).

Every call is bounded and metered: ``max_tokens`` (``Meter.call_limit``: the policy's
``max_tokens_per_call``, or the remaining task budget when smaller) and a timeout that ends
before the turn's (the client closes the HTTP request) are sent with each call of a model
that takes them (``ChatOpenAI``); the usage metadata the server reports is charged to the
turn (``baton.usage``), or, for a call that timed out, an upper estimate (prompt characters /
2 + ``max_tokens``). Each call's start and end are reported as they happen
(``baton.usage.call_started`` / ``call_ended``). While a call to a server with a base URL
waits, the server is probed for signs of life (``baton.engines.liveness``), so the guard's
``idle_timeout_s`` measures the server's silence, not the call's length.

The structured-output method is always passed to ``with_structured_output``. ``auto`` tries
``function_calling``, then ``json_mode``: a method the endpoint rejects (an HTTP error, or a
reply without the tool call) falls back to the next, reported as a ``structured_fallback``
event; the method that worked is remembered per (endpoint, model) for the process
(``METHODS``). With ``Policy.retry_scope == "call"`` a retryable failed call is retried
inside the turn (``Meter.call_retries`` from the shared pool, with the policy's backoff).

Every failure is
raised as ``StepFailed`` with a ``baton.faults`` cause: ``missing_output``, ``invalid_output``,
``refusal``, ``timeout``, ``rate_limit``, ``server_error``, ``connection``, ``http_4xx`` or
``exception``. Sources travel as data blocks (``baton.engines.prompts``).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from baton import usage
from baton.contracts import Claim, Evidence, Handoff, Route, Task, Verdict
from baton.engines import prompts
from baton.engines.base import SupervisorView
from baton.engines.liveness import Liveness, origin
from baton.engines.offline import research_query
from baton.engines.schemas import (
    MAX_PICKS,
    AnalyzeClaims,
    ResearchPicks,
    SupervisorRoute,
    WriteAnswer,
    claims_schema,
    picks_schema,
    route_schema,
)
from baton.errors import ScriptError, StepFailed
from baton.faults import classify, fault
from baton.text import PassageIndex

CANDIDATES = 12
"""Passages BM25 proposes to the research model (about 1,000 prompt tokens: a local model on a
CPU reads 40-120 tokens a second)."""
ANALYZE_CANDIDATES = MAX_PICKS
"""Passages BM25 gives ``analyze`` when no research ran."""
AUTO_METHODS = ("function_calling", "json_mode")
"""What ``auto`` tries, in order."""
METHODS: dict[tuple[str, str], str] = {}
"""The structured-output method that worked, per ``(endpoint, model)`` (this process)."""
_METHODS_LOCK = threading.Lock()
_FALLBACK_CAUSES = frozenset({"http_4xx", "server_error", "missing_output"})
"""Failures that say the endpoint does not take a method (not that the model erred)."""
MAX_TOKENS = 2048
"""Output bound of a call made outside a node turn (no policy)."""
_REFUSAL = re.compile(
    r"^\s*(i'?m sorry|i am sorry|i can(?:no|')t|i cannot|i won'?t|i am unable|i'm unable)", re.I
)


class Role(NamedTuple):
    """One role of the llm engine: the structured output it binds (``schema``, whose class name
    is the tool the model calls), its system prompt, and ``max_tokens``, the most output tokens
    one reply of the role needs (the policy's ``max_tokens_per_call`` cuts it further): a route
    is a word and a sentence, so a model that rambles is stopped early and a one-request local
    server is not kept busy generating after the client gave up."""

    schema: type[BaseModel]
    system: str
    max_tokens: int = MAX_TOKENS


ROLES: Mapping[str, Role] = MappingProxyType(
    {
        "supervise": Role(SupervisorRoute, prompts.SUPERVISE, 256),
        "research": Role(ResearchPicks, prompts.RESEARCH, 256),
        "analyze": Role(AnalyzeClaims, prompts.ANALYZE_ANSWER, 1536),
        "analyze_check": Role(AnalyzeClaims, prompts.ANALYZE_CHECK, 1536),
        "write": Role(WriteAnswer, prompts.WRITE, 1024),
    }
)
"""The llm engine's roles by name (a node's name, or ``analyze_check`` for ``analyze`` on a
check task): what each binds and is told. ``baton.testing.ROLE_TOOLS`` is derived from it. A
specialist outside these roles calls ``LLMEngine.call(schema, system, user)`` with its own."""


class LLMEngine:
    """Specialists backed by ``model`` (any LangChain ``BaseChatModel`` with tool calling).

    - ``method``: ``with_structured_output`` method: ``auto`` (default, see the module),
      ``function_calling`` (OpenAI, vLLM, Ollama, llama.cpp), ``json_schema`` (endpoints with
      strict schemas) or ``json_mode``.
    - ``prices``: price table for ``cost`` (``baton.usage.Prices``; the policy's wins).

    ``usage`` is the token count of the last call; ``calls`` the number of calls made.
    Safe to share between runs (the metering is per turn, in a context variable).
    """

    name = "llm"
    local = False  # waits on a model: its turns run on a watched thread (baton.graph.guard)

    def __init__(
        self,
        model: BaseChatModel,
        *,
        method: str = "auto",
        prices: usage.Prices | None = None,
    ):
        self.model = model
        self.method = method
        self.prices = dict(prices or {})
        self.usage = 0
        self.calls = 0
        self._structured: dict[tuple[type, str, int | None, float | None], Any] = {}

    @classmethod
    def from_settings(cls, settings) -> LLMEngine:
        """Build on ``baton.models.chat_model(settings)`` with the ``BATON_PRICES`` table.
        Raises ``ConfigError`` when unusable."""
        from baton.models import chat_model

        return cls(
            chat_model(settings),
            method=getattr(settings, "structured_output", "auto"),
            prices=usage.load_prices(getattr(settings, "prices_file", None)),
        )

    @property
    def model_name(self) -> str:
        from baton.models import model_name

        return model_name(self.model)

    # -- one call -------------------------------------------------------------------------

    @property
    def endpoint(self) -> tuple[str, str]:
        """``(base URL, model name)``: the key of ``METHODS``."""
        url = getattr(self.model, "openai_api_base", None) or getattr(self.model, "base_url", "")
        return str(url or ""), self.model_name

    def methods(self) -> tuple[str, ...]:
        """The methods to try, in order: the configured one; for ``auto`` the remembered one
        for this endpoint, else ``AUTO_METHODS``."""
        if self.method != "auto":
            return (self.method,)
        known = METHODS.get(self.endpoint)
        return (known,) if known else AUTO_METHODS

    def _bounded(self) -> bool:
        """Whether the model takes ``max_tokens`` / ``timeout`` per call (``ChatOpenAI``)."""
        return "max_tokens" in getattr(type(self.model), "model_fields", {})

    def _liveness(self) -> Liveness | None:
        """A liveness probe of the model's server for the next call (every third of the
        turn's idle timeout, 0.2-10 s), or None outside a turn or for a model without a base
        URL."""
        meter = usage.current()
        url, _ = self.endpoint
        if meter is None or not meter.idle_s or not url:
            return None
        try:
            return Liveness(origin(url), every_s=min(10.0, max(0.2, meter.idle_s / 3)))
        except ValueError:
            return None

    def _runnable(
        self, schema: type[BaseModel], method: str, max_tokens: int | None, timeout: float | None
    ):
        key = (schema, method, max_tokens, timeout)
        if key not in self._structured:
            kwargs: dict[str, Any] = {"include_raw": True, "method": method}
            if self._bounded():
                if max_tokens is not None:  # ChatOpenAI sends max_completion_tokens; llama.cpp
                    kwargs["max_tokens"] = max_tokens  # and older servers read max_tokens
                    kwargs["extra_body"] = {"max_tokens": max_tokens}
                if timeout is not None:
                    kwargs["timeout"] = timeout
            if len(self._structured) > 256:
                self._structured.clear()
            self._structured[key] = self.model.with_structured_output(schema, **kwargs)
        return self._structured[key]

    def _limits(self, prompt_chars: int, cap: int | None = None) -> tuple[int, float | None]:
        """``(max_tokens, timeout seconds)`` of the next call: the turn's call limit (and
        ``cap``, the role's ``max_tokens``, when smaller), cut so
        that an upper estimate of the prompt (``prompt_chars / 2`` tokens) plus the output fit
        the task's tokens left (at least 1: a spent budget is ``supervise``'s ``budget_rule``);
        and the client's timeout cut to end before the turn's deadline."""
        meter = usage.current()
        limit = meter.call_limit if meter is not None and meter.call_limit else MAX_TOKENS
        if cap is not None:
            limit = min(limit, cap)
        if meter is not None and meter.budget_left is not None:
            left = meter.budget_left - meter.tokens - (prompt_chars // 2 + 1)
            limit = max(1, min(limit, left))  # budget_rule sends the next turn to review
        timeout = getattr(self.model, "request_timeout", None)
        timeout = float(timeout) if isinstance(timeout, (int, float)) else None
        if meter is not None and meter.deadline is not None:
            left = max(0.5, meter.deadline - time.monotonic() - 0.25)
            timeout = left if timeout is None else min(timeout, left)
        return limit, timeout

    def call(
        self, schema: type[BaseModel], system: str, user: str, *, max_tokens: int | None = None
    ) -> BaseModel:
        """One structured call. Returns a ``schema`` instance; raises ``StepFailed`` (see module).
        The entry point for specialists outside the built-in roles (their own schema and prompt;
        ``max_tokens``: their reply's bound when below the policy's ``max_tokens_per_call``).
        Retries inside the turn when the meter grants call retries (``retry_scope="call"``)."""
        attempt = 0
        while True:
            try:
                return self._call_methods(schema, system, user, max_tokens)
            except StepFailed as exc:
                meter = usage.current()
                if not exc.retryable or meter is None or meter.call_retries <= 0:
                    raise
                meter.call_retries -= 1
                meter.retries_used += 1
                usage.event(
                    "retry",
                    f"retrying the call ({exc.cause}), retry {meter.retries_used} of this turn",
                    cause=exc.cause,
                    scope="call",
                )
                wait = meter.backoff_s * (2**attempt)
                attempt += 1
                time.sleep(min(wait * (0.5 + random.random() / 2), 30.0))

    def _call_methods(
        self, schema: type[BaseModel], system: str, user: str, cap: int | None
    ) -> BaseModel:
        methods = self.methods()
        for i, method in enumerate(methods):
            try:
                out = self._call_once(schema, system, user, method, cap)
            except StepFailed as exc:
                if i + 1 < len(methods) and exc.cause in _FALLBACK_CAUSES:
                    meter = usage.current()
                    if meter is not None:
                        meter.fallbacks.append(f"{method}->{methods[i + 1]}")
                    usage.event(
                        "structured_fallback",
                        f"{method} failed ({exc.cause}); falling back to {methods[i + 1]}",
                        method=method,
                        next=methods[i + 1],
                        cause=exc.cause,
                        detail=str(exc)[:300],
                    )
                    continue
                raise
            if self.method == "auto":
                with _METHODS_LOCK:
                    METHODS[self.endpoint] = method
            return out
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_once(
        self, schema: type[BaseModel], system: str, user: str, method: str, cap: int | None = None
    ) -> BaseModel:
        usage.touch()
        self.calls += 1
        if method == "json_mode":
            system += (
                "\n\nAnswer with one JSON object (no other text) that matches this JSON schema:\n"
                + json.dumps(schema.model_json_schema())
            )
        max_tokens, timeout = self._limits(len(system) + len(user), cap)
        bounded = self._bounded() and timeout is not None
        probe = self._liveness() if bounded else None
        n = usage.call_started(
            self.model_name, method, max_tokens, bounded=bounded and probe is None
        )
        t0 = time.monotonic()
        try:
            with probe or contextlib.nullcontext():
                out = self._runnable(schema, method, max_tokens, timeout).invoke(
                    [SystemMessage(system), HumanMessage(user)]
                )
        except ScriptError:
            usage.call_ended(n, time.monotonic() - t0, 0, "script_error")
            raise
        except Exception as exc:  # noqa: BLE001 - classified into a recorded failure
            problem = classify(exc)
            charged = 0
            if problem.cause == "timeout":  # the server may have generated up to max_tokens
                charged = usage.charge(
                    (len(system) + len(user)) // 2 + 1 + max_tokens,
                    model=self.model_name,
                    prices=self.prices,
                    estimated=True,
                )
            usage.call_ended(
                n, time.monotonic() - t0, charged, problem.cause, estimated=bool(charged)
            )
            raise problem.step_failed() from exc
        raw: AIMessage | None = out.get("raw") if isinstance(out, dict) else None
        meta = getattr(raw, "usage_metadata", None)
        self.usage = usage.charge(meta, model=self.model_name, prices=self.prices)
        try:
            parsed = self._parsed(schema, out, raw)
        except StepFailed as exc:
            usage.call_ended(n, time.monotonic() - t0, self.usage, exc.cause)
            raise
        usage.call_ended(n, time.monotonic() - t0, self.usage, "ok")
        return parsed

    def ask(self, role: str, user: str, schema: type[BaseModel] | None = None) -> Any:
        """One structured call in ``role`` (``ROLES``): its schema (or ``schema``, a subclass
        of it with a narrower JSON schema, e.g. ``route_schema``) and system prompt, ``user``
        as the message. Returns a ``ROLES[role].schema`` instance; raises ``StepFailed``."""
        base, system, max_tokens = ROLES[role]
        return self.call(schema or base, system, user, max_tokens=max_tokens)

    @staticmethod
    def _parsed(schema: type[BaseModel], out: Any, raw: AIMessage | None) -> BaseModel:
        """The ``schema`` instance in a ``with_structured_output(include_raw=True)`` result;
        raises ``StepFailed`` (refusal, missing_output, invalid_output)."""
        parsed = out.get("parsed") if isinstance(out, dict) else out
        refusal = (raw.additional_kwargs or {}).get("refusal") if raw is not None else None
        text = raw.content if raw is not None and isinstance(raw.content, str) else ""
        if refusal or (parsed is None and text and _REFUSAL.match(text)):
            raise fault(
                "rejected", "refusal", f"the model refused: {refusal or text}"
            ).step_failed()
        if parsed is None:
            err = out.get("parsing_error") if isinstance(out, dict) else None
            if raw is not None and not raw.tool_calls and not text.strip():
                raise fault(
                    "invalid_output", "missing_output", f"the model returned no {schema.__name__}"
                ).step_failed()
            if err is None and raw is not None and not raw.tool_calls:
                raise fault(
                    "invalid_output",
                    "missing_output",
                    f"the model answered in text instead of a {schema.__name__}: {text[:200]}",
                ).step_failed()
            raise fault(
                "invalid_output", "invalid_output", f"{schema.__name__} did not validate: {err}"
            ).step_failed()
        if not isinstance(parsed, schema):
            try:
                parsed = schema.model_validate(parsed)
            except Exception as exc:  # noqa: BLE001
                raise fault(
                    "invalid_output", "invalid_output", f"{schema.__name__} did not validate: {exc}"
                ).step_failed() from exc
        return parsed

    # -- roles ----------------------------------------------------------------------------

    def route(self, task: Task, view: SupervisorView) -> Route:
        user = (
            prompts.task_header(task, None)
            + "\n\n"
            + prompts.supervise_message(view.model_dump(mode="json"))
        )
        options = (view.suggested, *(o for o in view.options if o != view.suggested))
        out = self.ask("supervise", user, route_schema(options))
        return Route(
            next=out.next.strip(),
            reason=f"model: {' '.join(out.reason.split())[:160]}" if out.reason else "model",
        )

    def _candidates(self, task: Task, k: int = CANDIDATES) -> list[Evidence]:
        return PassageIndex.build(task.sources).search(research_query(task), k=k)

    def research(self, task: Task, handoff: Handoff) -> list[Evidence]:
        candidates = self._candidates(task)
        if not candidates:
            return []
        user = (
            prompts.task_header(task, handoff)
            + "\n\nCANDIDATE PASSAGES:\n"
            + prompts.passages_block(candidates)
        )
        out = self.ask("research", user, picks_schema(len(candidates)))
        bad = [n for n in out.passages if not 1 <= n <= len(candidates)]
        if bad:
            raise fault(
                "invalid_output",
                "invalid_output",
                f"passage numbers {bad} are not in the list 1..{len(candidates)}",
            ).step_failed()
        picked = list(dict.fromkeys(out.passages))[:MAX_PICKS]
        if not picked:
            raise fault(
                "invalid_output", "missing_output", "the model picked no passage"
            ).step_failed()
        return [candidates[n - 1] for n in picked]

    def analyze(
        self,
        task: Task,
        handoff: Handoff,
        passages: list[Evidence],
        previous: list[Claim],
        verdicts: list[Verdict],
    ) -> list[Claim]:
        passages = passages or self._candidates(task, k=ANALYZE_CANDIDATES)
        parts = [prompts.task_header(task, handoff)]
        if task.kind == "check":
            parts.append(prompts.draft_block(task.draft or ""))
        parts.append("PASSAGES:\n" + (prompts.passages_block(passages) or "(none)"))
        if previous:
            parts.append(
                "EARLIER CLAIMS AND THE VERIFIER'S VERDICTS:\n"
                + prompts.claims_block(previous, verdicts)
            )
        role = "analyze_check" if task.kind == "check" else "analyze"
        out = self.ask(role, "\n\n".join(parts), claims_schema(max(1, len(passages))))
        if not out.claims:
            raise fault("invalid_output", "missing_output", "the model made no claim").step_failed()
        by_id = {c.id: c for c in previous}
        next_n = 1 + max((int(c.id[1:]) for c in previous if c.id[1:].isdigit()), default=0)
        author = "draft" if task.kind == "check" else "analyze"
        claims: list[Claim] = []
        for i, d in enumerate(out.claims, start=1):
            bad = [n for n in d.passages if not 1 <= n <= len(passages)]
            if bad:
                raise fault(
                    "invalid_output",
                    "invalid_output",
                    f"claim {i} cites passage numbers {bad} not in 1..{len(passages)}",
                ).step_failed()
            old = by_id.get(d.id or "")
            if (
                old is not None
                and old.text == d.text.strip()
                and all(c.id != old.id for c in claims)
            ):
                claims.append(old)
                continue
            cites = [passages[n - 1] for n in dict.fromkeys(d.passages)]
            if not cites and task.kind == "answer":
                cites = self._cite_by_retrieval(task, d.text.strip(), f"c{next_n}")
            claims.append(
                Claim(id=f"c{next_n}", text=d.text.strip(), citations=cites, author=author)
            )
            next_n += 1
        if task.constraints.max_claims and task.kind == "answer":
            claims = claims[: task.constraints.max_claims]
        return claims

    @staticmethod
    def _cite_by_retrieval(task: Task, text: str, claim_id: str) -> list[Evidence]:
        """The source passage BM25 ranks first for an answer claim the model left uncited
        (small models often omit the numbers), reported as a ``cited_by_retrieval`` event. The
        verifier judges the claim against it like any citation: a claim no passage shares a
        word with stays uncited, and ``analyze`` refuses it."""
        found = PassageIndex.build(task.sources).search(text, k=1)
        if found:
            ev = found[0]
            usage.event(
                "cited_by_retrieval",
                f"{claim_id} had no citation; cited {ev.source_id}[{ev.start}:{ev.end}] by BM25",
                claim=claim_id,
                source_id=ev.source_id,
                start=ev.start,
                end=ev.end,
            )
        return found

    def write(
        self, task: Task, handoff: Handoff, claims: list[Claim], verdicts: list[Verdict]
    ) -> str:
        by_id = {v.claim_id: v for v in verdicts}
        supported = [
            c for c in claims if by_id.get(c.id) is not None and by_id[c.id].label == "supported"
        ]
        shown = supported if task.kind == "answer" else claims
        user = (
            prompts.task_header(task, handoff)
            + f"\n\nSOURCE IDS: {[s.id for s in task.sources]}\n\nCLAIMS:\n"
            + (
                prompts.claims_block(shown, verdicts)
                or "(no supported claim: say that the sources do not establish an answer)"
            )
        )
        out = self.ask("write", user)
        known = {s.id for s in task.sources}
        cited = set(re.findall(r"\[([^\[\]]{1,200})\]", out.answer))
        unknown = sorted(
            c
            for c in cited
            if c not in known
            and not c.isdigit()
            and c not in {"supported", "unsupported", "contradicted", "unverified"}
        )
        if unknown:
            raise fault(
                "invalid_output",
                "invalid_output",
                f"the answer cites unknown sources {unknown[:5]}",
            ).step_failed()
        return out.answer
