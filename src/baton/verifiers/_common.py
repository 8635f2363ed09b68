"""Small helpers shared by the checks: the claim's text, evidence text, and the result type."""

from __future__ import annotations

from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence, Label


def claim_text(claim: Claim | str) -> str:
    """The text of a ``Claim`` (or a plain string)."""
    return claim if isinstance(claim, str) else claim.text


def result(
    check: str,
    label: Label | None,
    score: float,
    detail: str,
    evidence: Sequence[Evidence] = (),
) -> CheckResult:
    """A ``CheckResult`` with ``score`` clipped into [0, 1]."""
    return CheckResult(
        check=check,
        label=label,
        score=min(1.0, max(0.0, float(score))),
        detail=detail,
        evidence=list(evidence),
    )
