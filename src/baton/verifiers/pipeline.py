"""``verify``: retrieve evidence over all sources, run the checks, aggregate into verdicts."""

from __future__ import annotations

from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Source, Verdict
from baton.errors import ConfigError
from baton.verifiers.lexical import check_lexical
from baton.verifiers.numbers import check_numbers
from baton.verifiers.passages import SourceIndex, content_terms

DEFAULT_CHECKS = ("lexical", "numbers")
TOP_K = 3


def _aggregate(claim: Claim, results: list[CheckResult]) -> Verdict:
    by = {r.check: r for r in results}
    lex = by.get("lexical")
    num = by.get("numbers")
    evidence = lex.evidence if lex else []
    if num is not None and num.label == "contradicted" and lex is not None and lex.score >= 0.5:
        return Verdict(claim_id=claim.id, label="contradicted", confidence=0.6, evidence=num.evidence or evidence, checks=results)
    if lex is not None and lex.score >= 0.7 and (num is None or num.label in (None, "supported")):
        return Verdict(claim_id=claim.id, label="supported", confidence=lex.score, evidence=evidence, checks=results)
    return Verdict(claim_id=claim.id, label="unsupported", confidence=0.6, evidence=evidence, checks=results)


def verify(
    claims: Sequence[Claim],
    sources: Sequence[Source],
    *,
    checks: Sequence[str] | None = None,
) -> list[Verdict]:
    """One ``Verdict`` per claim, in order, checking each claim against all ``sources``."""
    names = tuple(checks) if checks is not None else DEFAULT_CHECKS
    unknown = [n for n in names if n not in DEFAULT_CHECKS]
    if unknown:
        raise ConfigError(f"unknown verifier check(s): {', '.join(unknown)}; known: {', '.join(DEFAULT_CHECKS)}")
    index = SourceIndex.build(list(sources))
    out = []
    for claim in claims:
        terms = content_terms(claim.text)
        if not terms:
            out.append(Verdict(claim_id=claim.id, label="unsupported", confidence=1.0, evidence=[], checks=[]))
            continue
        windows = index.best_windows(terms, TOP_K)
        evidence = [index.evidence(p, cov) for cov, p in windows]
        results = []
        if "lexical" in names:
            results.append(check_lexical(claim, evidence, weights=index.weights(terms)))
        if "numbers" in names:
            results.append(check_numbers(claim, evidence))
        out.append(_aggregate(claim, results))
    return out
