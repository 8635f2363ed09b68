"""The llm engine: any LangChain chat model fills each role, with structured output into the
same contracts as the offline engine.

- ``route``: the model picks the next node (``SupervisorRoute``); the supervisor validates it
  against the transition table and its gates.
- ``research``: BM25 proposes ``CANDIDATES`` numbered passages; the model picks the relevant
  ones (``ResearchPicks``). Offsets always come from the source, never from the model.
- ``analyze``: the model writes claims citing passage numbers (``AnalyzeClaims``); each number
  becomes that passage's exact ``Evidence`` span.
- ``write``: the model composes the answer from the supported claims (``WriteAnswer``).

Every call is metered (usage metadata charged to the turn, ``baton.usage``). Every failure is
raised as ``StepFailed`` with a ``baton.faults`` cause: ``missing_output``, ``invalid_output``,
``refusal``, ``timeout``, ``rate_limit``, ``server_error``, ``connection``, ``http_4xx`` or
``exception``. Sources travel as data blocks (``baton.engines.prompts``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from baton import usage
from baton.contracts import Claim, Evidence, Handoff, Route, Task, Verdict
from baton.engines import prompts
from baton.engines.base import SupervisorView
from baton.engines.offline import research_query
from baton.errors import ScriptError
from baton.faults import classify, fault
from baton.text import PassageIndex

CANDIDATES = 24
"""Passages BM25 proposes to the research model."""
_REFUSAL = re.compile(
    r"^\s*(i'?m sorry|i am sorry|i can(?:no|')t|i cannot|i won'?t|i am unable|i'm unable)", re.I
)


class SupervisorRoute(BaseModel):
    """The next node and why."""

    next: str = Field(description="Exactly one of the allowed options.")
    reason: str = Field("", description="One sentence.")


class ResearchPicks(BaseModel):
    """The relevant candidate passages, best first."""

    passages: list[int] = Field(
        description="Numbers of the relevant passages (1-based), best first."
    )


class ClaimDraft(BaseModel):
    text: str = Field(min_length=1, description="One short, checkable factual statement.")
    passages: list[int] = Field(
        default_factory=list, description="Numbers of the passages that support it."
    )
    id: str | None = Field(
        None, description="The id of an earlier claim kept unchanged; omit for a new claim."
    )


class AnalyzeClaims(BaseModel):
    """The claims, in order."""

    claims: list[ClaimDraft]


class WriteAnswer(BaseModel):
    """The answer text with [source id] citations."""

    answer: str


class Role(NamedTuple):
    """One role of the llm engine: the structured output it binds (``schema``, whose class name
    is the tool the model calls) and its system prompt."""

    schema: type[BaseModel]
    system: str


ROLES: Mapping[str, Role] = MappingProxyType(
    {
        "supervise": Role(SupervisorRoute, prompts.SUPERVISE),
        "research": Role(ResearchPicks, prompts.RESEARCH),
        "analyze": Role(AnalyzeClaims, prompts.ANALYZE_ANSWER),
        "analyze_check": Role(AnalyzeClaims, prompts.ANALYZE_CHECK),
        "write": Role(WriteAnswer, prompts.WRITE),
    }
)
"""The llm engine's roles by name (a node's name, or ``analyze_check`` for ``analyze`` on a
check task): what each binds and is told. ``baton.testing.ROLE_TOOLS`` is derived from it. A
specialist outside these roles calls ``LLMEngine.call(schema, system, user)`` with its own."""


class LLMEngine:
    """Specialists backed by ``model`` (any LangChain ``BaseChatModel`` with tool calling).

    - ``method``: ``with_structured_output`` method (``function_calling`` works with OpenAI,
      vLLM, Ollama and llama.cpp; ``json_schema`` for endpoints with strict schemas).

    ``usage`` is the token count of the last call; ``calls`` the number of calls made.
    Safe to share between runs (the metering is per turn, in a context variable).
    """

    name = "llm"
    local = False  # waits on a model: its turns run on a watched thread (baton.graph.guard)

    def __init__(self, model: BaseChatModel, *, method: str = "function_calling"):
        self.model = model
        self.method = method
        self.usage = 0
        self.calls = 0
        self._structured: dict[type, Any] = {}

    @classmethod
    def from_settings(cls, settings) -> LLMEngine:
        """Build on ``baton.models.chat_model(settings)``. Raises ``ConfigError`` when unusable."""
        from baton.models import chat_model

        return cls(
            chat_model(settings), method=getattr(settings, "structured_output", "function_calling")
        )

    @property
    def model_name(self) -> str:
        from baton.models import model_name

        return model_name(self.model)

    # -- one call -------------------------------------------------------------------------

    def _runnable(self, schema: type[BaseModel]):
        if schema not in self._structured:
            kwargs = {"include_raw": True}
            if self.method != "function_calling":
                kwargs["method"] = self.method
            self._structured[schema] = self.model.with_structured_output(schema, **kwargs)
        return self._structured[schema]

    def ask(self, role: str, user: str) -> Any:
        """One structured call in ``role`` (``ROLES``): its schema and system prompt, ``user``
        as the message. Returns a ``ROLES[role].schema`` instance; raises ``StepFailed``."""
        schema, system = ROLES[role]
        return self.call(schema, system, user)

    def call(self, schema: type[BaseModel], system: str, user: str) -> BaseModel:
        """One structured call. Returns a ``schema`` instance; raises ``StepFailed`` (see module).
        The entry point for specialists outside the built-in roles (their own schema and prompt)."""
        usage.touch()
        self.calls += 1
        try:
            out = self._runnable(schema).invoke([SystemMessage(system), HumanMessage(user)])
        except ScriptError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified into a recorded failure
            raise classify(exc).step_failed() from exc
        raw: AIMessage | None = out.get("raw") if isinstance(out, dict) else None
        self.usage = usage.charge(getattr(raw, "usage_metadata", None))
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
        out = self.ask("supervise", user)
        return Route(
            next=out.next.strip(),
            reason=f"model: {' '.join(out.reason.split())[:160]}" if out.reason else "model",
        )

    def _candidates(self, task: Task) -> list[Evidence]:
        return PassageIndex.build(task.sources).search(research_query(task), k=CANDIDATES)

    def research(self, task: Task, handoff: Handoff) -> list[Evidence]:
        candidates = self._candidates(task)
        if not candidates:
            return []
        user = (
            prompts.task_header(task, handoff)
            + "\n\nCANDIDATE PASSAGES:\n"
            + prompts.passages_block(candidates)
        )
        out = self.ask("research", user)
        bad = [n for n in out.passages if not 1 <= n <= len(candidates)]
        if bad:
            raise fault(
                "invalid_output",
                "invalid_output",
                f"passage numbers {bad} are not in the list 1..{len(candidates)}",
            ).step_failed()
        picked = list(dict.fromkeys(out.passages))
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
        passages = passages or self._candidates(task)
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
        out = self.ask(role, "\n\n".join(parts))
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
            claims.append(
                Claim(id=f"c{next_n}", text=d.text.strip(), citations=cites, author=author)
            )
            next_n += 1
        if task.constraints.max_claims and task.kind == "answer":
            claims = claims[: task.constraints.max_claims]
        return claims

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
