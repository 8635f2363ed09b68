"""The numbers check: every number, date, quantity and unit in the claim must be stated in the
evidence (after normalisation, see ``baton.verifiers.quantities``)."""

from __future__ import annotations

from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.quantities import comparable, matches, quantities

NAME = "numbers"


def check_numbers(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Check the claim's numbers, years, dates and percentages against the evidence spans.

    Returns a ``CheckResult`` with ``label`` None when the claim states no quantity;
    ``supported`` when every claim quantity is found in some span; ``contradicted`` when a
    quantity is missing but the span that best matches the claim states a different one of the
    same kind (a changed number or date); ``unsupported`` otherwise. ``score`` is the share of
    claim quantities found; ``evidence`` holds the spans that state them.
    """
    cq = quantities(claim_text(claim))
    if not cq:
        return result(NAME, None, 1.0, "the claim states no number or date")
    per_span = [quantities(e.text) for e in evidence]
    found, missing, used = [], [], []
    for q in cq:
        hit = [i for i, qs in enumerate(per_span) if matches(q, qs)]
        (found if hit else missing).append(q)
        used.extend(i for i in hit if i not in used)
    score = len(found) / len(cq)
    spans = [evidence[i] for i in sorted(used)]
    if not missing:
        return result(
            NAME, "supported", score, "all stated: " + ", ".join(q.text for q in cq), spans
        )
    top = per_span[0] if per_span else ()
    conflict = [q for q in missing if comparable(q, top)]
    detail = "not in the evidence: " + ", ".join(q.text for q in missing)
    if conflict:
        others = ", ".join(q.text for q in top if not matches(q, cq))
        return result(
            NAME, "contradicted", score, f"{detail}; the best passage says {others}", evidence[:1]
        )
    return result(NAME, "unsupported", score, detail, spans)
