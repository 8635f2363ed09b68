"""Inspecting runs, for notebooks and tools: the checkpoint history of a thread, forking from
an earlier checkpoint with a changed state, and a run's audit trail as rows (timeline,
handoffs, state changes, claims with verdicts and evidence, review decisions).

Checkpoint functions take a compiled graph (``build_graph(..., checkpointer=...)``) and a
thread id (the run id); audit functions take a ``RunStore`` and read the ``events`` table, so
they keep working after retention has pruned the checkpoints. Every function returns plain
lists of dicts (``pandas.DataFrame(rows)`` makes a table of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from langgraph.types import Command

from baton.audit import flat_state, jsonable, summarize_key
from baton.checkpoints import RunStore
from baton.errors import NotFoundError
from baton.state import account_of


def thread_config(run_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
    """The LangGraph config of thread ``run_id`` (at ``checkpoint_id`` when given)."""
    conf: dict[str, Any] = {"thread_id": run_id}
    if checkpoint_id:
        conf.update(checkpoint_ns="", checkpoint_id=checkpoint_id)
    return {"configurable": conf}


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    before, after = flat_state(before), flat_state(after)
    for key in sorted(set(before) | set(after)):
        a, b = jsonable(before.get(key)), jsonable(after.get(key))
        if a != b:
            out[key] = summarize_key(key, after.get(key))
    return out


def history(graph: Any, run_id: str) -> list[dict[str, Any]]:
    """The checkpoints of thread ``run_id``, oldest first: ``{"checkpoint_id", "parent_id",
    "step", "source", "next", "hops", "changed"}`` where ``next`` lists the nodes that run from
    it and ``changed`` maps every state key that differs from the parent checkpoint to a
    one-line summary of its new value."""
    snaps = list(graph.get_state_history(thread_config(run_id)))[::-1]
    rows = []
    previous: Mapping[str, Any] = {}
    for s in snaps:
        parent = (s.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        rows.append(
            {
                "checkpoint_id": s.config["configurable"]["checkpoint_id"],
                "parent_id": parent,
                "step": s.metadata.get("step"),
                "source": s.metadata.get("source"),
                "next": list(s.next),
                "hops": account_of(s.values).get("hops"),
                "changed": _changed(previous, s.values),
            }
        )
        previous = s.values
    return rows


def checkpoint_at(graph: Any, run_id: str, step: int) -> Any:
    """The ``StateSnapshot`` of thread ``run_id`` at superstep ``step`` (the latest one when
    forks made several). Raises ``NotFoundError``."""
    for s in graph.get_state_history(thread_config(run_id)):
        if s.metadata.get("step") == step:
            return s
    raise NotFoundError(f"thread {run_id!r} has no checkpoint at step {step}")


def fork(graph: Any, run_id: str, checkpoint_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Fork thread ``run_id`` at ``checkpoint_id`` with ``changes`` applied to the state (a
    state update, as a node would return it). Returns the config of the new checkpoint, a
    branch whose parent is ``checkpoint_id`` and whose next node is the one that would have
    run there; ``graph.invoke(None, config)`` resumes from it. The original history is kept."""
    snap = graph.get_state(thread_config(run_id, checkpoint_id))
    if not snap.values:
        raise NotFoundError(f"thread {run_id!r} has no checkpoint {checkpoint_id!r}")
    if not snap.next:
        raise ValueError(
            f"checkpoint {checkpoint_id!r} is the end of the run: fork from an earlier one"
        )
    goto = list(snap.next)
    return graph.update_state(
        snap.config, Command(goto=goto[0] if len(goto) == 1 else goto, update=dict(changes))
    )


# -- the audit trail as rows ----------------------------------------------------------------


def timeline(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """One row per node turn, in order: ``{"step", "hop", "node", "start_ms", "duration_ms",
    "tokens", "summary"}``; ``start_ms`` is milliseconds since the run's first node started."""
    events = store.events(run_id)
    starts = {
        (e["step"], e["node"]): e["payload"]["started_at"]
        for e in events
        if e["kind"] == "node_start"
    }
    rows = []
    t0 = None
    for e in events:
        if e["kind"] != "node":
            continue
        began = starts.get((e["step"], e["node"]))
        at = datetime.fromisoformat(began.replace("Z", "+00:00")) if began else None
        if at is not None and t0 is None:
            t0 = at
        rows.append(
            {
                "step": e["step"],
                "hop": e["hop"],
                "node": e["node"],
                "start_ms": None
                if at is None or t0 is None
                else round((at - t0).total_seconds() * 1000, 3),
                "duration_ms": e["duration_ms"],
                "tokens": e["tokens"] or 0,
                "summary": e["summary"],
            }
        )
    return rows


def handoffs(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """Every handoff, in order: ``{"step", "hop", "sender", "recipient", "instructions",
    "context", "expected_output"}``."""
    return [
        {
            "step": e["step"],
            **{
                k: e["payload"][k]
                for k in (
                    "hop",
                    "sender",
                    "recipient",
                    "instructions",
                    "context",
                    "expected_output",
                )
            },
        }
        for e in store.events(run_id)
        if e["kind"] == "handoff"
    ]


def state_changes(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """The state diff of each node turn, one row per key written: ``{"step", "hop", "node",
    "key", "now"}`` (``now`` summarises the key's new value)."""
    return [
        {"step": e["step"], "hop": e["hop"], "node": e["node"], "key": key, "now": summary}
        for e in store.events(run_id)
        if e["kind"] == "node"
        for key, summary in (e["payload"] or {}).get("changed", {}).items()
    ]


def claims(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """The run's claims with their verdicts and evidence: ``{"claim_id", "text", "author",
    "citations", "label", "confidence", "checks", "evidence"}``. From the report when the run
    has one, else from the latest claims and check events of the audit trail. ``citations``
    and ``evidence`` are ``source_id[start:end]`` spans; ``checks`` maps each check to its label."""
    run = store.run(run_id)
    report = run["report"]
    events = store.events(run_id)
    if report:
        claim_list = [
            {
                "id": c["id"],
                "text": c["text"],
                "author": c["author"],
                "citations": [f"{e['source_id']}[{e['start']}:{e['end']}]" for e in c["citations"]],
            }
            for c in report["claims"]
        ]
        verdicts = {v["claim_id"]: v for v in report["verdicts"]}
    else:
        made = [e for e in events if e["kind"] == "node" and (e["payload"] or {}).get("claims")]
        claim_list = made[-1]["payload"]["claims"] if made else []
        verdicts = {}
        for e in events:
            if e["kind"] == "check":
                verdicts.update({v["claim_id"]: v for v in e["payload"]})
    rows = []
    for c in claim_list:
        v = verdicts.get(c["id"]) or {}
        rows.append(
            {
                "claim_id": c["id"],
                "text": c["text"],
                "author": c["author"],
                "citations": c["citations"],
                "label": v.get("label"),
                "confidence": v.get("confidence"),
                "checks": {k["check"]: k["label"] for k in v.get("checks", [])},
                "evidence": [
                    f"{e['source_id']}[{e['start']}:{e['end']}]: {e['text']}"
                    for e in v.get("evidence", [])
                ],
            }
        )
    return rows


def decisions(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """Review items of the run with their decisions: ``{"item_id", "reason", "hop", "status",
    "action", "reviewer", "note", "decided_at"}``, oldest first."""
    rows = []
    for item in store.items(run_id):
        d = item.get("decision") or {}
        rows.append(
            {
                "item_id": item["id"],
                "reason": item["reason"],
                "hop": item["hop"],
                "status": item["status"],
                "action": d.get("action"),
                "reviewer": d.get("reviewer"),
                "note": d.get("note"),
                "decided_at": item["decided_at"],
            }
        )
    return rows
