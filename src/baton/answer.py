"""``compose_answer``: the answer text built from verified claims, with citations. Neutral (no
engine, no model): the offline engine writes with it, and ``finish`` composes with it when a
run ends before ``write`` (a reviewer approved early), whichever engine the run used."""

from __future__ import annotations

from baton.contracts import Claim, Task, Verdict


def _cite(claim: Claim, verdict: Verdict | None) -> str:
    ids: list[str] = []
    for ev in verdict.evidence if verdict and verdict.evidence else claim.citations:
        if ev.source_id not in ids:
            ids.append(ev.source_id)
    return "".join(f"[{i}]" for i in ids[:3])


def compose_answer(task: Task, claims: list[Claim], verdicts: list[Verdict]) -> str:
    """The answer text built only from claims whose verdict is ``supported``, each followed by
    its citations (``[source_id]``). For ``check`` tasks, a verdict summary of the draft.
    Respects ``constraints.max_words`` (whole claims only)."""
    by_id = {v.claim_id: v for v in verdicts}
    if task.kind == "check":
        counts = {"supported": 0, "unsupported": 0, "contradicted": 0}
        lines = []
        for c in claims:
            v = by_id.get(c.id)
            label = v.label if v else "unverified"
            counts[label] = counts.get(label, 0) + 1
            lines.append(f"- [{label}] {c.text} {_cite(c, v)}".rstrip())
        head = (
            f"Checked {len(claims)} claim(s) of the draft against {len(task.sources)} source(s): "
            f"{counts['supported']} supported, {counts['unsupported']} unsupported, "
            f"{counts['contradicted']} contradicted."
        )
        return "\n".join([head, *lines])
    parts: list[str] = []
    budget = task.constraints.max_words
    used = 0
    for c in claims:
        v = by_id.get(c.id)
        if v is None or v.label != "supported":
            continue
        sentence = f"{c.text} {_cite(c, v)}".strip()
        n = len(sentence.split())
        if budget is not None and used + n > budget and parts:
            break
        parts.append(sentence)
        used += n
    return " ".join(parts)
