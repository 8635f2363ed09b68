"""Fault-injection helpers (imported by the tests of this folder): a small answer task, a fast policy (no backoff waits, short
timeouts) and an llm engine built on the scripted model, with faults injected per role."""

from __future__ import annotations

import itertools

from baton.contracts import Source, Task
from baton.engines.llm import LLMEngine
from baton.graph import initial_state
from baton.policy import Policy
from baton.testing import CompliantResponder, FaultyChatModel, ScriptedChatModel

SOURCES = [
    Source(
        id="s1",
        title="Moon facts",
        text="The Moon orbits the Earth once every 27 days. The Moon is rocky and dry. It has almost no atmosphere at all.",
    ),
    Source(
        id="s2",
        title="Tides",
        text="The tides on Earth follow the pull of the Moon. Ocean tides rise twice each day.",
    ),
]

FAST = Policy(
    retry_backoff_base_s=0.0, agent_turn_timeout_s=5.0, idle_timeout_s=1.0, pipeline_timeout_s=120.0
)
"""Default bounds, but no backoff wait and a 1 s idle timeout (a ``hang`` fault sleeps 2.5 s)."""

_threads = itertools.count()


def answer_task(**policy) -> Task:
    return Task(
        id="moon",
        kind="answer",
        question="What does the Moon orbit and what is it like?",
        sources=SOURCES,
        policy=FAST.model_copy(update=policy) if policy else FAST,
    )


def faulty_engine(faults: dict[str, list[str | None]] | None = None, hang_s: float = 2.5):
    """``(engine, faulty model, scripted model)``: a compliant scripted model behind a
    fault-injecting wrapper."""
    inner = ScriptedChatModel(responder=CompliantResponder())
    model = FaultyChatModel(
        inner=inner, faults={k: list(v) for k, v in (faults or {}).items()}, hang_s=hang_s
    )
    return LLMEngine(model), model, inner


def run_graph(graph, task: Task):
    """Run ``task`` to its first stop; returns the final ``StateSnapshot``."""
    cfg = {"configurable": {"thread_id": f"f{next(_threads)}"}, "recursion_limit": 500}
    for _ in graph.stream(initial_state(task), cfg, stream_mode="updates"):
        pass
    return graph.get_state(cfg)
