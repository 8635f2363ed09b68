"""Helpers shared by the node modules (private)."""

from __future__ import annotations

from baton.contracts import Claim, Evidence, Task


def invalid_citations(task: Task, claims: list[Claim]) -> list[str]:
    """Problems with claims' citations: unknown source ids, or offsets that do not point at the
    quoted text. Empty when every citation is sound."""
    problems = []
    for c in claims:
        for ev in c.citations:
            problems.extend(f"claim {c.id}: {p}" for p in evidence_problems(task, ev))
    return problems


def evidence_problems(task: Task, ev: Evidence) -> list[str]:
    try:
        src = task.source(ev.source_id)
    except KeyError:
        return [f"cites unknown source {ev.source_id!r}"]
    if ev.end > len(src.text) or src.text[ev.start : ev.end] != ev.text:
        return [
            f"citation [{ev.start}:{ev.end}] does not match the text of source {ev.source_id!r}"
        ]
    return []
