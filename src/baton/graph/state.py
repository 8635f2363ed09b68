"""The graph state: a small TypedDict of contracts (no copies of whole message histories).

LangGraph's ``get_state().values`` may hand values back as dicts; read them through the
helpers here, which re-validate into the pydantic contracts.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from baton.contracts import (
    Claim,
    Decision,
    Evidence,
    Failure,
    Handoff,
    Report,
    ReviewRequest,
    Route,
    Task,
    Verdict,
)
from baton.policy import Policy


class Account(TypedDict, total=False):
    """The run's counters and allowances, kept in one state key: one LangGraph channel, since
    each channel costs LangGraph work at every superstep, and these change together.

    A node writes only the fields it changes (``{"account": {"hops": 3}}``); ``merge_account``
    keeps the others. Read them with ``account_of(state)``.
    """

    hops: int  # handoffs from supervise to a specialist so far
    max_hops: int  # the hop ceiling; a reviewer's ``extend`` raises it
    tokens: int  # tokens charged to the task so far (prompt + completion, from usage metadata)
    token_allowance: int  # tokens allowed before the next budget review (a review grants more)
    elapsed_s: float  # wall-clock seconds spent in node turns (reviews excluded)
    time_allowance: float  # elapsed seconds allowed before the next pipeline-timeout review
    retries: dict[str, int]  # retries drawn from the shared pool, per node
    iterations: int  # author -> verify refinement rounds
    done: dict[str, int]  # handoffs to each custom specialist (counted by supervise; plan)
    error_registry: dict[str, list[str]]  # failure signature -> nodes that met it (breaker)


def merge_account(current: Account | None, update: Account | None) -> Account:
    """The reducer of ``RunState["account"]``: the fields in ``update`` replace those in
    ``current``; the others are kept."""
    if not current:
        return dict(update or {})  # type: ignore[return-value]
    if not update:
        return current
    return {**current, **update}


APPENDED_KEYS = ("failures", "trace", "bounds")
"""The ``RunState`` keys whose writes are appended (reducer ``operator.add``)."""


class RunState(TypedDict, total=False):
    """State of one run (one LangGraph thread, ``thread_id = run_id``).

    ``failures``, ``trace`` and ``bounds`` are append-only (reducer ``operator.add``);
    ``account`` is merged field by field (``merge_account``); every other key is replaced by
    the node that writes it.
    """

    task: Task
    policy: Policy
    account: Annotated[Account, merge_account]  # hops, tokens, seconds, retries, allowances
    handoff: Handoff | None  # the handoff the running specialist works on
    passages: list[Evidence]  # research's ranked passages
    claims: list[Claim]
    verdicts: list[Verdict]  # at most one per claim id, for the claim's current text
    answer: str | None
    pending_failure: Failure | None  # a failure supervise has not yet acted on
    failures: Annotated[list[Failure], operator.add]
    review: ReviewRequest | None  # set by supervise when it escalates
    decisions: list[Decision]
    directive: Route | None  # a reviewer's send_back, obeyed by supervise next
    guidance: list[str]  # reviewer instructions that every later handoff carries
    trace: Annotated[list[str], operator.add]
    bounds: Annotated[
        list[str], operator.add
    ]  # every policy bound hit (token alert, budget, breaker, timeouts)
    outcome: str | None  # "finished" or "rejected", written by finish
    report: Report | None


def _model(cls, value):
    if value is None:
        return None
    return value if isinstance(value, cls) else cls.model_validate(value)


def _models(cls, values) -> list:
    return [_model(cls, v) for v in (values or [])]


def account_of(state: RunState | dict[str, Any]) -> Account:
    """The run's ``Account`` (empty before the first step; read its fields with ``.get``)."""
    return state.get("account") or {}


def task_of(state: RunState | dict[str, Any]) -> Task:
    return _model(Task, state["task"])


def policy_of(state: RunState | dict[str, Any]) -> Policy:
    return _model(Policy, state.get("policy")) or Policy()


def claims_of(state) -> list[Claim]:
    return _models(Claim, state.get("claims"))


def verdicts_of(state) -> list[Verdict]:
    return _models(Verdict, state.get("verdicts"))


def passages_of(state) -> list[Evidence]:
    return _models(Evidence, state.get("passages"))


def failures_of(state) -> list[Failure]:
    return _models(Failure, state.get("failures"))


def decisions_of(state) -> list[Decision]:
    return _models(Decision, state.get("decisions"))


def handoff_of(state) -> Handoff | None:
    return _model(Handoff, state.get("handoff"))


def review_of(state) -> ReviewRequest | None:
    return _model(ReviewRequest, state.get("review"))


def pending_failure_of(state) -> Failure | None:
    return _model(Failure, state.get("pending_failure"))


def directive_of(state) -> Route | None:
    return _model(Route, state.get("directive"))


def report_of(state) -> Report | None:
    return _model(Report, state.get("report"))


def initial_state(task: Task, policy: Policy | None = None) -> RunState:
    """The input of a new run: the task, its policy (task's own, else ``policy``, else defaults)."""
    pol = task.policy or policy or Policy()
    return {
        "task": task,
        "policy": pol,
        "account": {
            "hops": 0,
            "max_hops": pol.max_hops,
            "tokens": 0,
            "token_allowance": pol.max_tokens_per_task,
            "elapsed_s": 0.0,
            "time_allowance": pol.pipeline_timeout_s,
            "retries": {},
            "iterations": 0,
            "done": {},
            "error_registry": {},
        },
        "handoff": None,
        "passages": [],
        "claims": [],
        "verdicts": [],
        "answer": None,
        "pending_failure": None,
        "failures": [],
        "review": None,
        "decisions": [],
        "directive": None,
        "guidance": [],
        "trace": [],
        "bounds": [],
        "outcome": None,
        "report": None,
    }


class NodeContext:
    """What a node function receives besides the state: its own name, the transition table it
    must respect, the engine that does the specialist work, the verifier
    (``verify(claims, sources) -> list[Verdict]``), and ``watched``: whether the guard runs
    the node's turns on a watched thread that it can abandon at a timeout (True unless the
    node is built in and its engine and verifier are ``local``; see ``baton.graph.guard``).
    Passive data."""

    __slots__ = ("name", "table", "engine", "verifier", "watched")

    def __init__(
        self,
        name: str,
        table: dict[str, set[str]],
        engine: Any,
        verifier: Any = None,
        *,
        watched: bool = True,
    ):
        self.name = name
        self.table = table
        self.engine = engine
        self.verifier = verifier
        self.watched = watched

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"NodeContext(name={self.name!r}, engine={type(self.engine).__name__})"
