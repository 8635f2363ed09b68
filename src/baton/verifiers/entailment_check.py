"""The ``entailment`` check: the trained cross-encoder (``baton.verifiers.entailment``) scores the
claim against the evidence windows the pipeline retrieved, and its P(supported) becomes one
aggregator feature beside the rule checks.

Each claim sentence is scored against its ``TOP_K`` best-covering evidence windows and keeps the
maximum; the claim keeps the minimum over its sentences (``EntailmentModel.score_claim``, the
SummaC / MiniCheck aggregation), so a whole-summary claim is only as supported as its weakest
sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result

NAME = "entailment"
TOP_K = 3
"""Evidence windows scored per claim sentence."""
SUPPORT_THRESHOLD = 0.5


def check_entailment(
    claim: Claim | str, evidence: Sequence[Evidence], *, model: Any
) -> CheckResult:
    """P(supported) of the claim by the evidence windows, from ``model`` (an
    ``EntailmentModel`` or anything with its ``score_claim(claim, source, top_k=, spans=)``).

    ``score``: the probability in [0, 1]; ``label`` ``supported`` at ``SUPPORT_THRESHOLD`` or
    above, else ``unsupported`` (never ``contradicted``: the model is binary); ``evidence``: the
    window that decided the score (the best one of the claim's weakest sentence).
    """
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no evidence span")
    joined, spans, pos = [], [], 0
    for e in evidence:
        joined.append(e.text)
        spans.append((pos, pos + len(e.text)))
        pos += len(e.text) + 1
    scored = model.score_claim(claim_text(claim), "\n".join(joined), top_k=TOP_K, spans=spans)
    best = next(
        (i for i, s in enumerate(spans) if s == (scored.start, scored.end)),
        0,
    )
    p = float(scored.probability)
    label = "supported" if p >= SUPPORT_THRESHOLD else "unsupported"
    return result(NAME, label, p, f"entailment model P(supported) {p:.2f}", [evidence[best]])
