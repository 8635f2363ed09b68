"""The typed contracts that cross a boundary: task in, handoffs between nodes, verdicts, review, report.

Every model here is pydantic v2 and round-trips through ``model_dump(mode="json")`` and
``model_validate`` (LangGraph's ``get_state().values`` hands them back as dicts, so callers
re-validate). Offsets are in characters (Python ``str`` indices) into ``Source.text``;
``end`` is exclusive, so ``source.text[start:end] == evidence.text``.

A missing or malformed result is a ``Failure``, never an empty success.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from baton.policy import Policy

Label = Literal["supported", "unsupported", "contradicted"]
"""Fact-checking labels: the sources support, do not establish, or contradict a claim."""

TaskKind = Literal["answer", "check"]
RunStatus = Literal["queued", "running", "waiting_review", "finished", "rejected", "failed"]
FailureKind = Literal["timeout", "invalid_output", "error", "rejected", "transition", "budget"]
FailureCause = Literal[
    "missing_output",  # the model returned no structured output
    "invalid_output",  # output not in the contract
    "refusal",  # the model refused (or a reviewer's decision was refused)
    "route",  # a route outside the table, or refused by the supervisor's gate
    "timeout",  # turn, idle or HTTP timeout
    "rate_limit",  # HTTP 429
    "server_error",  # HTTP 5xx
    "connection",  # connection refused / reset
    "http_4xx",  # other HTTP 4xx (key, model name): not retried
    "exception",  # an exception inside a node
    "pipeline_timeout",  # node time past policy.pipeline_timeout_s
]
"""Why a node failed, finer than ``FailureKind`` (see ``baton.faults`` for the mapping)."""
FAILURE_CAUSES: frozenset[str] = frozenset(FailureCause.__args__)  # type: ignore[attr-defined]
_KIND_CAUSE = {
    "transition": "route",
    "timeout": "timeout",
    "invalid_output": "invalid_output",
    "rejected": "refusal",
}
ReviewReason = Literal[
    "hop_limit",  # policy.max_hops handoffs reached
    "contradicted",  # the verifier found a claim the sources contradict
    "retries_exhausted",  # the shared retry pool is spent and claims are still unsupported
    "budget_exceeded",  # tokens past policy.max_tokens_per_task
    "failure",  # a node failed and cannot be retried (timeout, invalid output, crash, bad transition)
    "unsupported",  # more verified claims unsupported than policy.max_unsupported_fraction
]
Action = Literal["approve", "edit", "reject", "send_back", "extend"]

ALLOWED_ACTIONS: dict[str, tuple[str, ...]] = {
    "hop_limit": ("extend", "approve", "reject"),
    "contradicted": ("approve", "edit", "send_back", "reject"),
    "unsupported": ("approve", "edit", "send_back", "reject"),
    "retries_exhausted": ("approve", "edit", "send_back", "reject"),
    "budget_exceeded": ("approve", "reject"),
    "failure": ("send_back", "reject"),
}
"""The actions that lead somewhere for each ``ReviewReason``, in the order a reviewer is
offered them (hop limit: extend by N, finish with what exists, reject; a claim problem:
approve as is, edit claims (re-verified), send back with a note, reject; a failure: retry by
a send-back, reject). ``ReviewRequest.refusal`` refuses every other action."""

MAX_SOURCE_CHARS = 1_000_000
"""Largest accepted ``Source.text`` (characters); a larger source is refused at the door."""
MAX_QUESTION_CHARS = 20_000
MAX_DRAFT_CHARS = 200_000
MAX_SOURCES = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
BINARY_FRACTION = 0.3
"""A text with more than this fraction of control or U+FFFD replacement characters is binary data."""


def garbage_fraction(value: str) -> float:
    """Fraction of ``value``'s characters that are control characters (other than tab and
    newlines) or U+FFFD replacement characters: 0.0 for clean text."""
    if not value:
        return 0.0
    bad = len(_CONTROL.findall(value)) + value.count("\ufffd")  # raw or already cleaned
    return bad / len(value)


def _clean_text(value: str, field: str, limit: int) -> str:
    """Refuse oversized text; replace control characters (NUL included) with U+FFFD.

    Replacing one character by one keeps every character offset valid, and the replacement
    character keeps the damage visible (``garbage_fraction``).
    """
    if len(value) > limit:
        raise ValueError(f"{field} has {len(value):,} characters; the limit is {limit:,}")
    value = _CONTROL.sub("\ufffd", value)
    # Lone surrogates cannot be stored as UTF-8; they only come from broken decoding.
    if _SURROGATE.search(value):
        raise ValueError(f"{field} is not valid Unicode text (lone surrogates)")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Model):
    """A document the run may use as evidence. ``text`` is the only thing claims are checked against."""

    id: str = Field(min_length=1, max_length=200)
    title: str = ""
    text: str
    uri: str | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        if not isinstance(v, str):
            return v
        v = _clean_text(v, "text", MAX_SOURCE_CHARS)
        if not v.replace("\ufffd", " ").strip():
            raise ValueError("source text is empty")
        return v

    @property
    def is_binary(self) -> bool:
        """True when the text looks like binary data (see ``BINARY_FRACTION``); such a
        source is kept with the task but never used as evidence."""
        return garbage_fraction(self.text[:100_000]) > BINARY_FRACTION


class Constraints(_Model):
    """What the analyst asks of the answer, as typed fields (never only inside prose)."""

    max_claims: int | None = Field(
        None, ge=1, le=200, description="At most this many claims in the answer."
    )
    max_words: int | None = Field(
        None, ge=1, le=10_000, description="At most this many words in the answer."
    )
    require_citations: bool = Field(
        True, description="Every claim in the answer cites at least one source span."
    )
    notes: list[str] = Field(
        default_factory=list, description="Free-text requirements, shown to every node."
    )


class Task(_Model):
    """What an analyst submits. ``draft`` is required for ``check`` tasks and ignored for ``answer``."""

    model_config = ConfigDict(extra="ignore")  # task files carry gold labels, licences, meta...

    id: str | None = Field(None, max_length=200)
    kind: TaskKind
    question: str
    draft: str | None = Field(None, validate_default=True)
    sources: list[Source] = Field(min_length=1, max_length=MAX_SOURCES)
    constraints: Constraints = Field(default_factory=Constraints)
    policy: Policy | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        v = _clean_text(v, "question", MAX_QUESTION_CHARS)
        if not v.strip():
            raise ValueError("question is empty")
        return v.strip()

    @field_validator("draft")
    @classmethod
    def _draft(cls, v: str | None, info: ValidationInfo) -> str | None:
        v = None if v is None else _clean_text(v, "draft", MAX_DRAFT_CHARS)
        if info.data.get("kind") == "check" and not (v or "").strip():
            raise ValueError("draft is required (and must not be empty) for a check task")
        return v

    @field_validator("sources")
    @classmethod
    def _sources(cls, sources: list[Source]) -> list[Source]:
        seen: set[str] = set()
        for i, src in enumerate(sources):
            if src.id in seen:
                raise ValueError(f"sources[{i}].id {src.id!r} is a duplicate source id")
            seen.add(src.id)
        if all(src.is_binary for src in sources):
            raise ValueError(
                "no readable source: every source looks like binary data "
                f"(more than {BINARY_FRACTION:.0%} control or replacement characters)"
            )
        return sources

    def source(self, source_id: str) -> Source:
        """The source with this id. Raises ``KeyError`` when there is none."""
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


class Evidence(_Model):
    """A span of a source: ``source.text[start:end] == text`` (character offsets, end exclusive)."""

    source_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    score: float | None = Field(
        None, description="Retrieval or check score of this span, when one applies."
    )

    @model_validator(mode="after")
    def _span(self) -> Evidence:
        if self.end < self.start:
            raise ValueError("evidence end is before its start")
        if len(self.text) != self.end - self.start:
            raise ValueError("evidence text length does not match end - start")
        return self


class Claim(_Model):
    """One checkable statement. ``author`` is the node (or ``draft``/``reviewer``) that wrote it."""

    id: str
    text: str = Field(min_length=1)
    citations: list[Evidence] = Field(default_factory=list)
    author: str


class CheckResult(_Model):
    """What one check concluded about one claim. ``label`` is None when the check does not apply
    (e.g. a number check on a claim with no number). ``score`` is in [0, 1], higher = more support."""

    check: str
    label: Label | None
    score: float = Field(ge=0.0, le=1.0)
    detail: str = ""
    evidence: list[Evidence] = Field(default_factory=list)


class Verdict(_Model):
    """The verifier's conclusion for one claim, with the evidence spans that decided it."""

    claim_id: str
    label: Label
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    dissent: list[str] = Field(default_factory=list)
    """Names of checks in ``checks`` whose own label disagrees with ``label`` (e.g. the
    negation check says contradicted, the verdict says supported); empty when none does."""


def default_cause(kind: str, detail: str = "") -> str:
    """The ``cause`` of a ``Failure`` built without one: the cause its ``detail`` starts with
    (``"rate_limit: ..."``; how causes were written before ``Failure.cause`` existed, so old
    checkpoints and events read back the same), else the one ``kind`` implies, else
    ``"exception"``."""
    head = detail.split(":", 1)[0].strip()
    if head in FAILURE_CAUSES:
        return head
    return _KIND_CAUSE.get(kind, "exception")


class Failure(_Model):
    """A node's missing, malformed or refused result. Recorded as an event; never an empty success.

    ``kind`` says what failed (``FailureKind``), ``cause`` why (``FailureCause``; the breaker and
    the backoff read it), ``detail`` is for people (one line, it may repeat the cause)."""

    node: str
    kind: FailureKind
    cause: FailureCause
    detail: str
    hop: int = 0
    retryable: bool = False

    @model_validator(mode="before")
    @classmethod
    def _cause(cls, data):
        if isinstance(data, dict) and data.get("cause") is None:
            return {
                **data,
                "cause": default_cause(str(data.get("kind", "")), str(data.get("detail", ""))),
            }
        return data


class Route(_Model):
    """The supervisor's decision: which node runs next and why. Validated against the transition table."""

    next: str
    reason: str = ""
    instructions: str = ""


class Handoff(_Model):
    """What the supervisor gives a specialist: the task, the prior context, the expected output,
    and what to do on failure (the four things every handoff must carry)."""

    sender: str
    recipient: str
    hop: int = Field(ge=0)
    instructions: str
    context: list[str] = Field(
        default_factory=list, description="Short notes from earlier steps, not whole histories."
    )
    constraints: Constraints = Field(default_factory=Constraints)
    expected_output: str
    on_failure: str


class ClaimEdit(_Model):
    """A reviewer's change to one claim: new text, or drop it."""

    claim_id: str
    text: str | None = None
    drop: bool = False

    @model_validator(mode="after")
    def _one(self) -> ClaimEdit:
        if not self.drop and not (self.text or "").strip():
            raise ValueError("a claim edit needs new text or drop=true")
        return self


class Edits(_Model):
    """Typed edits a reviewer applies before the run resumes."""

    claims: list[ClaimEdit] = Field(default_factory=list)
    instructions: str | None = None


class ReviewRequest(_Model):
    """Why a run paused and everything a reviewer needs to decide."""

    reason: ReviewReason
    hop: int
    max_hops: int
    bound: str | None = Field(None, description="The policy bound that was hit, e.g. 'max_hops=8'.")
    handoff: Handoff | None = None
    claims: list[Claim] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)
    trace: list[str] = Field(default_factory=list, description="One line per handoff so far.")
    allowed_targets: list[str] = Field(
        default_factory=list, description="Nodes a send_back may name."
    )

    def refusal(self, decision: Decision) -> str | None:
        """Why ``decision`` cannot be applied to this request (an action ``ALLOWED_ACTIONS``
        does not list for ``reason``, a ``send_back`` whose target is not in
        ``allowed_targets``), or None when it can. The one check of a reviewer's
        target: the store refuses with ``InvalidDecision`` before writing, the review node
        with a ``rejected`` failure for a resume value that bypassed the store."""
        allowed = ALLOWED_ACTIONS.get(self.reason, ())
        if decision.action not in allowed:
            return (
                f"{decision.action} does not apply to a {self.reason} review "
                f"(allowed: {', '.join(allowed)})"
            )
        if decision.action == "send_back" and decision.target not in self.allowed_targets:
            return (
                f"send_back target {decision.target!r} is not allowed here "
                f"(allowed: {', '.join(self.allowed_targets) or 'none'})"
            )
        return None


class Decision(_Model):
    """A reviewer's answer to a ``ReviewRequest``.

    - ``approve``: finish with what exists.
    - ``edit``: apply ``edits`` and re-verify the changed claims.
    - ``reject``: end the run as ``rejected``; ``note`` (the reason) is required.
    - ``send_back``: hand the work to ``target`` with ``note`` as instructions.
    - ``extend``: raise the hop ceiling by ``extra_hops`` and carry on.
    """

    action: Action
    reviewer: str = Field(min_length=1)
    note: str = ""
    edits: Edits | None = None
    target: str | None = None
    extra_hops: int | None = Field(None, ge=1, le=1000)

    @model_validator(mode="after")
    def _complete(self) -> Decision:
        if self.action == "reject" and not self.note.strip():
            raise ValueError("a rejection needs a reason in note")
        if self.action == "send_back" and not self.target:
            raise ValueError("send_back needs a target node")
        if self.action == "extend" and not self.extra_hops:
            raise ValueError("extend needs extra_hops >= 1")
        if self.action == "edit" and self.edits is None:
            raise ValueError("edit needs edits")
        return self


class Report(_Model):
    """The run's final product: the answer, each claim with its verdict and evidence, and caveats."""

    task_id: str | None = None
    kind: TaskKind
    answer: str
    claims: list[Claim]
    verdicts: list[Verdict]
    caveats: list[str] = Field(default_factory=list)
