"""The engine interface: what does the specialist work behind the nodes.

Two engines share one contract: ``OfflineEngine`` (deterministic, no network; the default)
and ``LLMEngine`` (any LangChain chat model, structured output into the same contracts).
Nodes own the control flow (hops, retries, review); engines only produce content.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from baton.contracts import Claim, Evidence, Handoff, Route, Task, Verdict


class SupervisorView(BaseModel):
    """What the supervisor's engine sees to choose a route: a summary, never whole histories."""

    question: str
    kind: str
    hop: int
    max_hops: int
    options: list[str] = Field(description="Nodes the table allows next.")
    suggested: str = Field(description="The deterministic plan's next node.")
    passages: int = 0
    claims: int = 0
    verdict_counts: dict[str, int] = Field(default_factory=dict)
    answer_written: bool = False
    notes: list[str] = Field(default_factory=list)


@runtime_checkable
class Engine(Protocol):
    """Produces the content of each role. Every method may raise; the guard turns an exception
    into a recorded ``Failure``. ``usage`` is the token count of the engine's last call (0 offline).

    Optional: ``local = True`` declares CPU work on this machine with no model call or network
    wait; the guard then runs the engine's turns inline instead of on a watched thread it can
    abandon at a timeout (``baton.graph.guard``). Absent means not local. Optional:
    ``call(schema, system, user) -> schema instance``, one structured model call (the llm
    engine has it): a specialist beyond these roles asks its model through it with its own
    schema and prompt (see ``baton.nodes.summarize``), so adding one changes no engine."""

    name: str

    def route(self, task: Task, view: SupervisorView) -> Route: ...

    def research(self, task: Task, handoff: Handoff) -> list[Evidence]: ...

    def analyze(
        self,
        task: Task,
        handoff: Handoff,
        passages: list[Evidence],
        previous: list[Claim],
        verdicts: list[Verdict],
    ) -> list[Claim]: ...

    def write(
        self, task: Task, handoff: Handoff, claims: list[Claim], verdicts: list[Verdict]
    ) -> str: ...
