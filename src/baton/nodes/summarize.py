"""``summarize``: an optional specialist (not in the default registry) that sums up the verified
claims in one paragraph, written to ``outputs["summarize"]``.

It shows what a new specialist takes: this module and one ``Specialist`` entry (in
``baton.graph.registry.SPECIALISTS`` for every graph, or ``build_graph(specialists=[...])``
for one graph)::

    Specialist(
        "summarize",
        summarize,
        instructions="Sum up the verified claims in one paragraph.",
        expected_output="One paragraph: how many claims, their verdicts, the supported ones.",
        ready=needs_summary,
        after="verify",
    )
"""

from __future__ import annotations

from langgraph.types import Command

from baton.names import SUPERVISE
from baton.state import NodeContext, RunState, claims_of, verdicts_of

NAME = "summarize"


def needs_summary(state: RunState) -> str | None:
    """Ready once every claim has a verdict and there is no summary yet."""
    claims, verdicts = claims_of(state), verdicts_of(state)
    judged = {v.claim_id for v in verdicts}
    if not claims or any(c.id not in judged for c in claims):
        return None
    if NAME in (state.get("outputs") or {}):
        return None
    return "claims verified, no summary yet"


def summarize(state: RunState, ctx: NodeContext) -> Command:
    """Writes ``outputs["summarize"]``: ``"<n> claim(s): <counts by label>. Supported: <their texts>"``."""
    claims = claims_of(state)
    label = {v.claim_id: v.label for v in verdicts_of(state)}
    counts: dict[str, int] = {}
    for c in claims:
        counts[label[c.id]] = counts.get(label[c.id], 0) + 1
    supported = [c.text for c in claims if label[c.id] == "supported"]
    text = f"{len(claims)} claim(s): " + ", ".join(
        f"{n} {lab}" for lab, n in sorted(counts.items())
    )
    text += ". Supported: " + (" ".join(supported) if supported else "none.")
    return Command(
        goto=SUPERVISE,
        update={"outputs": {NAME: text}, "trace": [f"summarize: {len(claims)} claim(s)"]},
    )
