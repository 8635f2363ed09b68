"""Orchestration benchmark: what baton's layer costs over bare LangGraph.

    python bench/orchestration.py            # the figures, as text
    python bench/orchestration.py --json     # one JSON object

1. **Per-hop overhead.** The same N-hop run (default 40 hops) with instant specialists, on the
   shipped task ``fcgpt-r57-answer`` (its 10 sources travel in the state of both):
   (a) baton: a ``Worker`` claiming a submitted run (lease, heartbeat), baton's real
   ``supervise`` (policy, gates, ``Handoff`` contracts) and its specialist nodes behind the
   guard, audit events, progress updates, SQLite checkpointer; the engine answers instantly
   and routes research -> analyze -> verify -> write in a cycle, the verifier is a stub;
   (b) bare LangGraph: a supervisor node and four instant specialist nodes with the same hops
   and the same SQLite checkpointer (baton's ``open_saver``: LangGraph's ``SqliteSaver`` with
   compact channel versions, on the same WAL connection settings; the compact versions make
   bare LangGraph faster too), invoked directly. Both run at both LangGraph durabilities
   (``sync``, baton's default, and ``async``, LangGraph's), in this process, interleaved
   (``--reps`` rounds, each in a new seeded random order); the figures are medians of
   milliseconds per hop, and each ratio compares baton with bare LangGraph at the same
   durability (the headline one at baton's default).
2. **Checkpoint bytes.** One 40-hop baton run in a fresh database: bytes of its checkpoint data
   (checkpoint + metadata blobs and pending writes) divided by the size of its live final state
   (the same serializer's bytes of ``get_state().values``), before and after ``prune``.
3. **Context tokens.** The same answer task (``fcgpt-r57-answer``) with the same scripted model
   replies (``baton.testing.ScriptedChatModel``): tokens of every message sent to the model by
   baton's llm engine, against langgraph-supervisor's ``create_supervisor`` (agents research,
   analyze, write; the whole message history forwarded to each), whose first message is the
   task with its sources. Also printed: the same with the full-history run given only the 24
   BM25 candidate passages baton's research sees (a conservative variant that hands it
   baton's retrieval). Verification costs no model call in either (as in baton). Tokens are
   counted by one function for both (words and punctuation marks, a tokenizer-free estimate).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from operator import add
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.types import Command

from baton.checkpoints import Store, open_saver
from baton.checkpoints.retention import checkpoint_bytes, prune
from baton.contracts import CheckResult, Claim, Evidence, Route, Task, Verdict
from baton.policy import Policy
from baton.taskfile import load_tasks
from baton.worker import DURABILITIES, DURABILITY, Worker

ROOT = Path(__file__).resolve().parents[1]
TASK_ID = "fcgpt-r57-answer"
CYCLE = ("research", "analyze", "verify", "write")
ORDER_SEED = 0
"""Seed of the per-round random order of the timed variants."""
TARGETS = {
    "overhead_ratio_vs_langgraph": 1.3,
    "checkpoint_bytes_ratio_vs_live_state": 2.0,
    "context_tokens_ratio_vs_full_history": 0.3,
}


def example_task() -> Task:
    return next(t for t in load_tasks(ROOT / "examples" / "tasks.jsonl") if t.id == TASK_ID)


# -- instant specialists ---------------------------------------------------------------------


def _first_sentence(task: Task) -> Evidence:
    src = task.sources[0]
    end = src.text.find(". ") + 1 or len(src.text)
    return Evidence(source_id=src.id, start=0, end=end, text=src.text[:end])


class InstantEngine:
    """Answers every role at once; routes research -> analyze -> verify -> write until
    ``hops`` handoffs were made, then finishes."""

    name = "instant"
    usage = 0
    local = True  # no model call: its turns run inline, as the offline engine's do

    def __init__(self, task: Task, hops: int):
        self.hops = hops
        self.evidence = _first_sentence(task)
        self.claim = Claim(
            id="c1", text=self.evidence.text, citations=[self.evidence], author="analyze"
        )

    def route(self, task, view) -> Route:
        if view.hop >= self.hops:
            return Route(next="finish", reason="done")
        return Route(next=CYCLE[view.hop % len(CYCLE)], reason="cycle")

    def research(self, task, handoff):
        return [self.evidence]

    def analyze(self, task, handoff, passages, previous, verdicts):
        return [self.claim]

    def write(self, task, handoff, claims, verdicts):
        return f"{self.claim.text} [{self.evidence.source_id}]"


def instant_verifier(claims, sources):
    return [
        Verdict(
            claim_id=c.id,
            label="supported",
            confidence=1.0,
            evidence=list(c.citations),
            checks=[CheckResult(check="stub", label="supported", score=1.0)],
        )
        for c in claims
    ]


instant_verifier.local = True  # type: ignore[attr-defined]  # CPU only, like baton's verifier


def baton_task(task: Task, hops: int) -> Task:
    pol = Policy(max_hops=hops, max_retries_per_agent=100, retry_budget=100, max_iterations=100)
    return task.model_copy(update={"policy": pol})


# -- bare LangGraph ---------------------------------------------------------------------------


class BareState(TypedDict, total=False):
    task: Task
    hops: int
    passages: list[Evidence]
    claims: list[Claim]
    verdicts: list[Verdict]
    answer: str | None
    trace: Annotated[list[str], add]


def bare_graph(task: Task, hops: int, checkpointer) -> Any:
    """A plain LangGraph supervisor with four instant specialists and the same hops."""
    ev = _first_sentence(task)
    claim = Claim(id="c1", text=ev.text, citations=[ev], author="analyze")

    def supervisor(state: BareState) -> Command:
        h = state.get("hops", 0)
        if h >= hops:
            return Command(goto="__end__")
        return Command(
            goto=CYCLE[h % len(CYCLE)], update={"hops": h + 1, "trace": [f"hop {h + 1}"]}
        )

    outputs = {
        "research": {"passages": [ev]},
        "analyze": {"claims": [claim]},
        "verify": {"verdicts": instant_verifier([claim], task.sources)},
        "write": {"answer": f"{claim.text} [{ev.source_id}]"},
    }

    def specialist(name: str):
        def run(state: BareState) -> Command:
            return Command(goto="supervisor", update={**outputs[name], "trace": [f"{name} done"]})

        run.__name__ = name
        return run

    builder = StateGraph(BareState)
    builder.add_node("supervisor", supervisor, destinations=(*CYCLE, "__end__"))
    for name in CYCLE:
        builder.add_node(name, specialist(name), destinations=("supervisor",))
    builder.add_edge(START, "supervisor")
    return builder.compile(checkpointer=checkpointer)


# -- 1. overhead ------------------------------------------------------------------------------


def overhead(hops: int, reps: int, workdir: Path) -> dict[str, Any]:
    """Milliseconds per hop of baton and bare LangGraph at both durabilities: ``sync`` (each
    checkpoint written before the next superstep; baton's default) and ``async`` (written
    while the next superstep runs; LangGraph's default). Each ratio compares the two at the
    same durability; the headline ``overhead_ratio_vs_langgraph`` is the one at baton's
    default. The four variants run interleaved, ``reps`` rounds, each round in a new random
    order (seeded, ``ORDER_SEED``): whichever variant runs first in a round was measured up to
    0.1-0.2 ms/hop slower, so a fixed order would charge that to one side. Medians."""
    task = example_task()
    store = Store(workdir / "baton.db")
    workers = {
        mode: Worker(
            store, engine=InstantEngine(task, hops), verifier=instant_verifier, durability=mode
        )
        for mode in DURABILITIES
    }
    run_task = baton_task(task, hops)
    saver = open_saver(workdir / "bare.db")
    bare = bare_graph(task, hops, saver)

    def run_baton(mode: str) -> float:
        run_id = store.submit(run_task)
        t0 = time.perf_counter()
        workers[mode].run_once()
        dt = time.perf_counter() - t0
        row = store.run(run_id)
        if (row["status"], row["hops"]) != ("finished", hops):
            raise RuntimeError(
                f"baton run ended {row['status']} ({row['reason']}) at hop {row['hops']}"
            )
        return dt

    def run_bare(mode: str) -> float:
        t0 = time.perf_counter()
        out = bare.invoke(
            {"task": task, "hops": 0},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            durability=mode,
        )
        dt = time.perf_counter() - t0
        if out["hops"] != hops:
            raise RuntimeError(f"bare run ended at hop {out['hops']}")
        return dt

    runners = {"baton": run_baton, "langgraph": run_bare}
    variants = [(who, mode) for mode in DURABILITIES for who in runners]
    times: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    for mode in DURABILITIES:  # warm-up (imports, caches, first pages)
        run_baton(mode), run_bare(mode)
    order = random.Random(ORDER_SEED)
    for _ in range(reps):  # a new random order each round: no variant always runs first
        for who, mode in order.sample(variants, len(variants)):
            times[who, mode].append(runners[who](mode))
    ms = {k: 1000 * statistics.median(v) / hops for k, v in times.items()}
    by_mode = {
        mode: {
            "baton": round(ms["baton", mode], 3),
            "langgraph": round(ms["langgraph", mode], 3),
            "ratio": round(ms["baton", mode] / ms["langgraph", mode], 3),
        }
        for mode in DURABILITIES
    }
    head = by_mode[DURABILITY]
    return {
        "ms_per_hop": {"baton": head["baton"], "langgraph": head["langgraph"]},
        "overhead_ratio_vs_langgraph": head["ratio"],
        "durability": DURABILITY,
        "by_durability": by_mode,
    }


# -- 2. checkpoint bytes ----------------------------------------------------------------------


def checkpoint_ratios(hops: int, workdir: Path) -> dict[str, Any]:
    task = example_task()
    store = Store(workdir / "bytes.db")
    worker = Worker(store, engine=InstantEngine(task, hops), verifier=instant_verifier)
    run_id = store.submit(baton_task(task, hops))
    worker.run_once()
    values = worker.graph.get_state({"configurable": {"thread_id": run_id}}).values
    live = len(worker.saver.serde.dumps_typed(values)[1])
    before = checkpoint_bytes(store, run_id)
    result = prune(store, run_ids=[run_id])
    after = checkpoint_bytes(store, run_id)
    return {
        "hops": hops,
        "live_state_bytes": live,
        "checkpoint_bytes_before_pruning": before,
        "checkpoint_bytes_after_pruning": after,
        "checkpoints_deleted": result.checkpoints_deleted,
        "checkpoints_kept": len(result.kept),
        "checkpoint_bytes_ratio_before_pruning": round(before / live, 3),
        "checkpoint_bytes_ratio_vs_live_state": round(after / live, 3),
    }


# -- 3. context tokens ------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(messages) -> int:
    """Words and punctuation marks of every message (content and tool-call arguments)."""
    n = 0
    for m in messages:
        content = m.content if isinstance(m.content, str) else json.dumps(m.content)
        n += len(_TOKEN.findall(content))
        for call in getattr(m, "tool_calls", None) or []:
            n += len(_TOKEN.findall(call["name"] + " " + json.dumps(call.get("args") or {})))
    return n


def _tool_name(tools) -> str:
    return (tools or [{}])[0].get("function", {}).get("name", "") if tools else ""


def scripted_replies(task: Task) -> dict[str, Any]:
    """The model's replies for each role: research picks passages 1-6, analyze makes three
    claims from passages 1-3 (their exact text), write joins them with citations."""
    from baton.engines.llm import CANDIDATES
    from baton.text import PassageIndex

    candidates = PassageIndex.build(task.sources).search(task.question, k=CANDIDATES)
    picks = list(range(1, min(6, len(candidates)) + 1))
    claims = [{"text": p.text, "passages": [i]} for i, p in enumerate(candidates[:3], start=1)]
    answer = " ".join(f"{p.text} [{p.source_id}]" for p in candidates[:3])
    return {
        "candidates": candidates,
        "research": {"passages": picks},
        "analyze": {"claims": claims},
        "write": {"answer": answer},
    }


def baton_tokens(task: Task, replies: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from baton.engines.llm import LLMEngine
    from baton.testing import ScriptedChatModel

    def responder(messages, tools):
        name = _tool_name(tools)
        if name == "SupervisorRoute":
            text = messages[-1].content
            suggested = re.search(r'"suggested": "(\w+)"', text).group(1)
            return {"next": suggested, "reason": "follow the plan"}
        return replies[
            {"ResearchPicks": "research", "AnalyzeClaims": "analyze", "WriteAnswer": "write"}[name]
        ]

    model = ScriptedChatModel(responder=responder)
    store = Store(workdir / "tokens.db")
    run_id = store.submit(task)
    Worker(store, engine=LLMEngine(model)).run_once()
    row = store.run(run_id)
    return {
        "status": row["status"],
        "hops": row["hops"],
        "calls": len(model.calls),
        "tokens": sum(count_tokens(c) for c in model.calls),
    }


def full_history_tokens(
    task: Task, replies: dict[str, Any], *, whole_sources: bool
) -> dict[str, Any]:
    """Tokens sent by a ``create_supervisor`` run whose first message is the task: with its
    whole sources (``whole_sources``), else only the 24 BM25 candidate passages baton's
    research sees."""
    from langchain_core.messages import AIMessage, HumanMessage

    from baton.engines import prompts
    from baton.testing import ScriptedChatModel

    try:
        from langgraph_supervisor import create_supervisor
    except ImportError:  # pragma: no cover - dev extra not installed
        return {"error": "langgraph-supervisor is not installed (pip install -e '.[dev]')"}
    import warnings

    from langgraph.prebuilt import create_react_agent

    warnings.filterwarnings("ignore", message="create_react_agent has been moved")

    def say(role):
        return lambda messages, tools: AIMessage(content=json.dumps(replies[role]))

    agents, models = [], {}
    for role, system in (
        ("research", prompts.RESEARCH),
        ("analyze", prompts.ANALYZE_ANSWER),
        ("write", prompts.WRITE),
    ):
        models[role] = ScriptedChatModel(responder=say(role))
        agents.append(create_react_agent(models[role], tools=[], name=role, prompt=system))
    order = iter(["research", "analyze", "write"])

    def route(messages, tools):
        nxt = next(order, None)
        if nxt is None:
            return AIMessage(content=replies["write"]["answer"])
        return AIMessage(
            content="",
            tool_calls=[
                {
                    "name": f"transfer_to_{nxt}",
                    "args": {},
                    "id": uuid.uuid4().hex,
                    "type": "tool_call",
                }
            ],
        )

    models["supervisor"] = ScriptedChatModel(responder=route)
    app = create_supervisor(agents, model=models["supervisor"], prompt=prompts.SUPERVISE).compile()
    if whole_sources:
        first = (
            prompts.task_header(task, None)
            + "\n\nSOURCES:\n"
            + "\n".join(prompts.source_block(x.id, x.title, x.text) for x in task.sources)
        )
    else:
        first = (
            prompts.task_header(task, None)
            + "\n\nCANDIDATE PASSAGES:\n"
            + prompts.passages_block(replies["candidates"])
        )
    app.invoke({"messages": [HumanMessage(first)]})
    calls = [c for m in models.values() for c in m.calls]
    return {"calls": len(calls), "tokens": sum(count_tokens(c) for c in calls)}


def context_tokens(workdir: Path) -> dict[str, Any]:
    task = example_task()
    replies = scripted_replies(task)
    b = baton_tokens(task, replies, workdir)
    f = full_history_tokens(task, replies, whole_sources=True)
    p = full_history_tokens(task, replies, whole_sources=False)
    out: dict[str, Any] = {"baton": b, "full_history": f, "full_history_same_passages": p}
    if "tokens" in f:
        out["context_tokens_ratio_vs_full_history"] = round(b["tokens"] / f["tokens"], 3)
        out["context_tokens_ratio_vs_full_history_same_passages"] = round(
            b["tokens"] / p["tokens"], 3
        )
    return out


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--hops", type=int, default=40, help="hops per run (default 40)")
    ap.add_argument("--reps", type=int, default=9, help="interleaved repetitions (default 9)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        work = Path(tmp)
        over = overhead(args.hops, args.reps, work)
        cp = checkpoint_ratios(args.hops, work)
        tok = context_tokens(work)
    result = {
        "overhead_ratio_vs_langgraph": over["overhead_ratio_vs_langgraph"],
        "ms_per_hop": over["ms_per_hop"],
        "durability": over["durability"],
        "by_durability": over["by_durability"],
        "checkpoint_bytes_ratio_vs_live_state": cp["checkpoint_bytes_ratio_vs_live_state"],
        "checkpoint_bytes_ratio_before_pruning": cp["checkpoint_bytes_ratio_before_pruning"],
        "context_tokens_ratio_vs_full_history": tok.get("context_tokens_ratio_vs_full_history"),
        "context_tokens_ratio_vs_full_history_same_passages": tok.get(
            "context_tokens_ratio_vs_full_history_same_passages"
        ),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    w = sys.stdout.write
    w(f"per-hop time, {args.hops}-hop run, median of {args.reps} interleaved repetitions:\n")
    w("  durability   baton ms/hop   langgraph ms/hop   ratio\n")
    for mode, m in over["by_durability"].items():
        mark = (
            f"  (target <= {TARGETS['overhead_ratio_vs_langgraph']}; baton's default)"
            if mode == over["durability"]
            else ""
        )
        w(f"  {mode:10s} {m['baton']:12.3f} {m['langgraph']:18.3f} {m['ratio']:7.3f}{mark}\n")
    w(
        f"checkpoint bytes of a {cp['hops']}-hop run / live final state ({cp['live_state_bytes']:,} bytes):\n"
    )
    w(
        f"  before pruning {cp['checkpoint_bytes_ratio_before_pruning']:8.3f}  ({cp['checkpoint_bytes_before_pruning']:,} bytes)\n"
    )
    w(
        f"  after pruning  {cp['checkpoint_bytes_ratio_vs_live_state']:8.3f}  ({cp['checkpoint_bytes_after_pruning']:,} bytes; "
        f"{cp['checkpoints_deleted']} checkpoints deleted, {cp['checkpoints_kept']} kept)  (target <= {TARGETS['checkpoint_bytes_ratio_vs_live_state']})\n"
    )
    b, f, p = tok["baton"], tok["full_history"], tok["full_history_same_passages"]
    w(f"context tokens per task ({TASK_ID}, same scripted replies):\n")
    w(
        f"  baton         {b['tokens']:8,d} tokens in {b['calls']} calls (run {b['status']}, {b['hops']} hops)\n"
    )
    if "tokens" in f:
        w(
            f"  full history  {f['tokens']:8,d} tokens in {f['calls']} calls (langgraph-supervisor create_supervisor; the task with its sources)\n"
        )
        w(
            f"  ratio         {tok['context_tokens_ratio_vs_full_history']:8.3f}  (target <= {TARGETS['context_tokens_ratio_vs_full_history']})\n"
        )
        w(
            f"  full history, given baton's 24 BM25 passages instead of the sources: {p['tokens']:,} tokens in {p['calls']} calls; ratio {tok['context_tokens_ratio_vs_full_history_same_passages']:.3f}\n"
        )
    else:
        w(f"  full history  not measured: {f['error']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
