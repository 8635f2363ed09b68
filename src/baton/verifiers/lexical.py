"""The lexical support check: how much of the claim's content the best evidence passage covers.

Coverage is the weighted share of the claim's distinct stemmed content terms (Snowball stems,
stop words dropped) that occur in a passage; weights are IDF over the sources' sentences when
the caller passes them (``baton.verifiers.passages.SourceIndex.weights``), else 1 per term.
Word overlap is the classic fact-checking baseline (e.g. the FEVER baseline's TF-IDF retrieval;
the "claim-token overlap" floor of the dev data README); alone it reaches about 0.66 balanced
accuracy on our dev data, so the aggregator combines it with the other checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.passages import content_terms

NAME = "lexical"
SUPPORT_THRESHOLD = 0.75
"""Coverage of the best passage at or above which the lexical check alone says ``supported``."""


def coverage(
    claim_terms: Sequence[str],
    span_terms: set[str] | frozenset[str],
    weights: Mapping[str, float] | None = None,
) -> float:
    """Weighted share in [0, 1] of distinct ``claim_terms`` present in ``span_terms``."""
    distinct = dict.fromkeys(claim_terms)
    if not distinct:
        return 0.0
    w = weights or {}
    total = sum(w.get(t, 1.0) for t in distinct)
    got = sum(w.get(t, 1.0) for t in distinct if t in span_terms)
    return got / total if total > 0 else 0.0


def bigram_coverage(claim_terms: Sequence[str], span_ordered: Sequence[str]) -> float:
    """Share of the claim's adjacent content-term pairs that are also adjacent (either order)
    in the span: a cheap check that the words are used together, not scattered."""
    pairs = {(a, b) for a, b in zip(claim_terms, claim_terms[1:], strict=False) if a != b}
    if not pairs:
        return 1.0 if claim_terms and set(claim_terms) <= set(span_ordered) else 0.0
    have = set(zip(span_ordered, span_ordered[1:], strict=False))
    have |= {(b, a) for a, b in have}
    return len(pairs & have) / len(pairs)


def check_lexical(
    claim: Claim | str,
    evidence: Sequence[Evidence],
    *,
    weights: Mapping[str, float] | None = None,
) -> CheckResult:
    """Lexical support of the claim by the evidence spans (usually the best windows retrieved
    over all sources). ``score`` = coverage of the best single span; ``label`` ``supported``
    when it reaches ``SUPPORT_THRESHOLD``, else ``unsupported``; None when the claim has no
    content words. ``evidence`` holds the best span."""
    terms = content_terms(claim_text(claim))
    if not terms:
        return result(NAME, None, 0.0, "the claim has no content words")
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no passage shares a content word with the claim")
    scored = [
        (coverage(terms, set(content_terms(e.text)), weights), i) for i, e in enumerate(evidence)
    ]
    best, i = max(scored, key=lambda x: (x[0], -x[1]))
    span_terms = set(content_terms(evidence[i].text))
    missing = [t for t in dict.fromkeys(terms) if t not in span_terms]
    label = "supported" if best >= SUPPORT_THRESHOLD else "unsupported"
    detail = f"best passage covers {best:.0%} of the claim's content"
    if missing:
        detail += "; missing: " + ", ".join(missing[:8])
    return result(NAME, label, best, detail, [evidence[i]])
