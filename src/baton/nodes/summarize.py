"""``summarize``: an optional specialist (not in the default registry) that sums up the verified
claims in one paragraph, written to ``outputs["summarize"]``.

With a model (an engine that offers ``call(schema, system, user)``, like the llm engine) the
model writes the paragraph from the claims and verdicts, in this module's own ``Summary``
schema and ``SYSTEM`` prompt; without one (the offline engine) it is composed from the counts.
Either way no engine, prompt or contract module changes.

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
from pydantic import BaseModel, Field

from baton.engines.prompts import DATA_RULE, claims_block, task_header
from baton.names import SUPERVISE
from baton.state import NodeContext, RunState, claims_of, handoff_of, task_of, verdicts_of

NAME = "summarize"
SYSTEM = (
    "You are the summarizer. Sum up the verified claims listed in one short paragraph: how "
    "many there are, their verdicts, and what the supported ones say. Reply by calling the "
    "Summary tool.\n" + DATA_RULE
)


class Summary(BaseModel):
    """One paragraph summing up the verified claims."""

    summary: str = Field(min_length=1)


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
    """Writes ``outputs["summarize"]``: the model's paragraph when the engine has ``call``,
    else ``"<n> claim(s): <counts by label>. Supported: <their texts>"``."""
    claims = claims_of(state)
    call = getattr(ctx.engine, "call", None)
    if call is not None:
        user = task_header(task_of(state), handoff_of(state))
        user += "\n\nCLAIMS:\n" + claims_block(claims, verdicts_of(state))
        text = call(Summary, SYSTEM, user).summary.strip()
        return _done(text, claims)
    label = {v.claim_id: v.label for v in verdicts_of(state)}
    counts: dict[str, int] = {}
    for c in claims:
        counts[label[c.id]] = counts.get(label[c.id], 0) + 1
    supported = [c.text for c in claims if label[c.id] == "supported"]
    text = f"{len(claims)} claim(s): " + ", ".join(
        f"{n} {lab}" for lab, n in sorted(counts.items())
    )
    text += ". Supported: " + (" ".join(supported) if supported else "none.")
    return _done(text, claims)


def _done(text: str, claims: list) -> Command:
    return Command(
        goto=SUPERVISE,
        update={"outputs": {NAME: text}, "trace": [f"summarize: {len(claims)} claim(s)"]},
    )
