"""The phrase check: the claim's words must occur *together* in the evidence, in adjacent pairs,
not only scattered over a passage (a bag-of-words match can pair the right words wrongly:
"A hired B" versus "B hired A", or a list of unrelated mentions)."""

from __future__ import annotations

from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.lexical import bigram_coverage
from baton.verifiers.passages import content_terms

NAME = "phrases"
SUPPORT_THRESHOLD = 0.5


def check_phrases(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Share of the claim's adjacent content-word pairs (Snowball stems, stop words skipped)
    that are adjacent in the best span (``score`` in [0, 1], the best over spans).

    ``label`` None when the claim has fewer than two content words, ``supported`` at
    ``SUPPORT_THRESHOLD`` or above, else ``unsupported``; ``evidence`` is the best span.
    """
    terms = content_terms(claim_text(claim))
    if len(terms) < 2:
        return result(NAME, None, 1.0, "the claim has fewer than two content words")
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no evidence span")
    scored = [(bigram_coverage(terms, content_terms(e.text)), i) for i, e in enumerate(evidence)]
    best, i = max(scored, key=lambda x: (x[0], -x[1]))
    label = "supported" if best >= SUPPORT_THRESHOLD else "unsupported"
    return result(
        NAME, label, best, f"{best:.0%} of the claim's word pairs occur together", [evidence[i]]
    )
