"""The graph state: a small TypedDict of contracts (no copies of whole message histories),
its reducers, and what a node receives (``NodeContext``).

A leaf beside ``contracts``: the nodes, the routing rules and the graph read it; it imports
only contracts and policy. LangGraph's ``get_state().values`` may hand values back as dicts;
read them through the helpers here, which re-validate into the pydantic contracts.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypedDict, get_type_hints

if TYPE_CHECKING:
    from langgraph.types import Command

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
from baton.policy import Policy, resolve_policy


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
    cost: float  # money charged to the task so far (baton.usage.cost_of, per model prices)
    cost_allowance: float  # money allowed before the next cost review (a review grants more)
    change: float  # fraction of the claims' text changed by the latest revision (0..1)


def merge_account(current: Account | None, update: Account | None) -> Account:
    """The reducer of ``RunState["account"]`` (and of ``outputs``): the fields in ``update``
    replace those in ``current``; the others are kept."""
    if not current:
        return dict(update or {})  # type: ignore[return-value]
    if not update:
        return current
    return {**current, **update}


append = operator.add
"""The reducer of the append-only keys (``failures``, ``trace``, ``bounds``): LangGraph's
``operator.add`` on lists."""


class RunState(TypedDict, total=False):
    """State of one run (one LangGraph thread, ``thread_id = run_id``).

    ``failures``, ``trace`` and ``bounds`` are append-only (reducer ``append``);
    ``account`` is merged field by field (``merge_account``); every other key is replaced by
    the node that writes it. ``outputs`` holds what custom specialists produce
    (``{"outputs": {name: value}}``, merged by name; absent until one writes it), so a new
    specialist needs no new state key. These ``Annotated`` reducers are the only definition:
    ``REDUCERS`` and ``apply_update`` read them back.
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
    failures: Annotated[list[Failure], append]
    review: ReviewRequest | None  # set by supervise when it escalates
    decisions: list[Decision]
    directive: Route | None  # a reviewer's send_back, obeyed by supervise next
    guidance: list[str]  # reviewer instructions that every later handoff carries
    trace: Annotated[list[str], append]
    bounds: Annotated[list[str], append]  # every policy bound hit (token alert, budget, breaker)
    outcome: str | None  # "finished" or "rejected", written by finish
    report: Report | None
    outputs: Annotated[dict[str, Any], merge_account]  # custom specialists' results, by name


REDUCERS: Mapping[str, Callable[[Any, Any], Any]] = {
    key: hint.__metadata__[0]
    for key, hint in get_type_hints(RunState, include_extras=True).items()
    if getattr(hint, "__metadata__", None)
}
"""``{state key: reducer}`` as LangGraph applies them, read from ``RunState``'s annotations."""
APPENDED_KEYS: tuple[str, ...] = tuple(k for k, r in REDUCERS.items() if r is append)
"""The ``RunState`` keys whose writes are appended: ``("failures", "trace", "bounds")``."""


def apply_update(state: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` after ``update``, as LangGraph's channels compute it: a key with a reducer
    (``REDUCERS``) and a current value is reduced (``reducer(current, new)``); every other
    key is replaced. Neither argument is changed."""
    after = {**state, **update}
    for key, reduce in REDUCERS.items():
        if key in update and state.get(key):
            after[key] = reduce(state[key], update[key] if update[key] is not None else [])
    return after


def _model(cls, value):
    if value is None:
        return None
    return value if isinstance(value, cls) else cls.model_validate(value)


def _models(cls, values) -> list:
    return [v if isinstance(v, cls) else cls.model_validate(v) for v in (values or ())]


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
    pol = resolve_policy(task.policy, policy)
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


NodeFn = Callable[["RunState", "NodeContext"], "Command | dict[str, Any]"]
"""A node: ``fn(state, ctx) -> Command | dict``. A dict is a state update whose goto is the
node's only transition (an error when the table gives it several)."""


class NodeContext:
    """What a node function receives besides the state: its own name, the transition table it
    must respect, the engine that does the specialist work, the verifier
    (``verify(claims, sources) -> list[Verdict]``), ``watched``: whether the guard runs
    the node's turns on a watched thread that it can abandon at a timeout (True unless the
    node is built in and its engine and verifier are ``local``; see ``baton.graph.guard``),
    and ``specialists``: the graph's specialists in plan order (``baton.specialists``; what
    ``supervise`` plans with and takes its handoff texts from). Passive data."""

    __slots__ = ("name", "table", "engine", "verifier", "watched", "specialists")

    def __init__(
        self,
        name: str,
        table: dict[str, set[str]],
        engine: Any,
        verifier: Any = None,
        *,
        watched: bool = True,
        specialists: tuple[
            Any, ...
        ] = (),  # baton.specialists.Specialist (which imports this module)
    ):
        self.name = name
        self.table = table
        self.engine = engine
        self.verifier = verifier
        self.watched = watched
        self.specialists = specialists

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"NodeContext(name={self.name!r}, engine={type(self.engine).__name__})"


__all__ = [
    "APPENDED_KEYS",
    "Account",
    "NodeContext",
    "NodeFn",
    "REDUCERS",
    "RunState",
    "account_of",
    "append",
    "apply_update",
    "claims_of",
    "decisions_of",
    "directive_of",
    "failures_of",
    "handoff_of",
    "initial_state",
    "merge_account",
    "passages_of",
    "pending_failure_of",
    "policy_of",
    "report_of",
    "review_of",
    "task_of",
    "verdicts_of",
]
