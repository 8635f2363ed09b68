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
from baton.verifiers.passages import claim_parts, content_terms

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
    over all sources). ``score`` = coverage of the best single span; for a claim of several
    sentences (a whole summary, ``baton.verifiers.passages.claim_parts``), the mean over its
    sentences of each one's best-span coverage, so a summary is not judged against one window.
    ``label`` ``supported`` when the score reaches ``SUPPORT_THRESHOLD``, else
    ``unsupported``; None when the claim has no content words. ``evidence`` holds the best span
    (of each sentence)."""
    text = claim_text(claim)
    terms = content_terms(text)
    if not terms:
        return result(NAME, None, 0.0, "the claim has no content words")
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no passage shares a content word with the claim")
    span_terms = [set(content_terms(e.text)) for e in evidence]
    parts = [content_terms(p) for p in claim_parts(text)] if len(terms) > 12 else [terms]
    parts = [p for p in parts if p] or [terms]
    bests, used, missing = [], [], []
    for part in parts:
        best, i = max(
            ((coverage(part, st, weights), i) for i, st in enumerate(span_terms)),
            key=lambda x: (x[0], -x[1]),
        )
        bests.append(best)
        if i not in used:
            used.append(i)
        missing.extend(t for t in dict.fromkeys(part) if t not in span_terms[i])
    score = min(bests)
    label = "supported" if score >= SUPPORT_THRESHOLD else "unsupported"
    what = (
        "best passage covers" if len(parts) == 1 else f"{len(parts)} sentences: best passages cover"
    )
    detail = f"{what} {score:.0%} of the claim's content"
    if missing:
        detail += "; missing: " + ", ".join(list(dict.fromkeys(missing))[:8])
    return result(NAME, label, score, detail, [evidence[i] for i in used])
