"""The negation and antonym check: a claim and the passage that best matches it must agree in
polarity.

Two cues, both classic in rule-based contradiction detection (de Marneffe et al., "Finding
Contradictions in Text", ACL 2008: negation and antonymy are the commonest easy signals):

- **negation**: one of claim / passage is negated ("not", "never", "no", "n't", "without",
  "failed to") and the other is not;
- **antonyms**: the passage uses the opposite of a claim word (increase/decrease, male/female,
  before/after, ...) and not the word itself.

Only the best-matching span is compared (the first evidence span, which ``verify`` ranks
best), so unrelated negations elsewhere in a source do not count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.passages import WORD, stem

NAME = "negation"
NEGATION = re.compile(
    r"\b(?:not|no|never|none|nor|neither|nobody|nothing|nowhere|cannot|without|"
    r"\w+n[’']t|fail(?:s|ed)? to|unable to|lack(?:s|ed)?|refuted|denied|false)\b",
    re.IGNORECASE,
)
_ANTONYM_PAIRS = [
    ("increase", "decrease"),
    ("rise", "fall"),
    ("gain", "loss"),
    ("more", "less"),
    ("more", "fewer"),
    ("larger", "smaller"),
    ("largest", "smallest"),
    ("higher", "lower"),
    ("highest", "lowest"),
    ("before", "after"),
    ("first", "last"),
    ("earliest", "latest"),
    ("male", "female"),
    ("man", "woman"),
    ("men", "women"),
    ("win", "lose"),
    ("won", "lost"),
    ("victory", "defeat"),
    ("accept", "reject"),
    ("approve", "reject"),
    ("allow", "forbid"),
    ("allowed", "banned"),
    ("legal", "illegal"),
    ("possible", "impossible"),
    ("true", "false"),
    ("success", "failure"),
    ("positive", "negative"),
    ("major", "minor"),
    ("maximum", "minimum"),
    ("north", "south"),
    ("east", "west"),
    ("open", "closed"),
    ("alive", "dead"),
    ("born", "died"),
    ("birth", "death"),
    ("start", "end"),
    ("began", "ended"),
    ("join", "leave"),
    ("joined", "left"),
    ("hire", "fire"),
    ("strong", "weak"),
    ("safe", "dangerous"),
    ("cheap", "expensive"),
    ("public", "private"),
    ("internal", "external"),
    ("include", "exclude"),
    ("same", "different"),
    ("always", "never"),
    ("all", "none"),
    ("everyone", "nobody"),
    ("natural", "artificial"),
    ("young", "old"),
    ("long", "short"),
    ("hot", "cold"),
    ("early", "late"),
    ("inside", "outside"),
    ("above", "below"),
]
ANTONYMS: dict[str, set[str]] = {}
for _a, _b in _ANTONYM_PAIRS:
    ANTONYMS.setdefault(stem(_a), set()).add(stem(_b))
    ANTONYMS.setdefault(stem(_b), set()).add(stem(_a))


def negated(text: str) -> bool:
    """Whether ``text`` holds a negation cue."""
    return NEGATION.search(text) is not None


def _stems(text: str) -> set[str]:
    return {stem(w.lower()) for w in WORD.findall(text)}


def antonym_clash(claim: str, passage: str) -> list[tuple[str, str]]:
    """``(claim stem, passage stem)`` pairs where the passage uses an antonym of a claim word
    and not the word itself."""
    cs, ps = _stems(claim), _stems(passage)
    return sorted(
        (c, a) for c in cs for a in ANTONYMS.get(c, ()) if a in ps and c not in ps and a not in cs
    )


def check_negation(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Compare the polarity of the claim with its best evidence span (``evidence[0]``).

    ``label`` is ``contradicted`` with ``score`` 0 on a negation mismatch or an antonym clash,
    None (``score`` 1) when polarity agrees or there is no evidence; ``evidence`` is the span
    compared.
    """
    text = claim_text(claim)
    if not evidence:
        return result(NAME, None, 1.0, "no evidence span to compare polarity with")
    span = evidence[0]
    cn, en = negated(text), negated(span.text)
    if cn != en:
        who = "the claim" if cn else "the evidence"
        return result(
            NAME, "contradicted", 0.0, f"negation mismatch: only {who} is negated", [span]
        )
    clash = antonym_clash(text, span.text)
    if clash:
        pairs = ", ".join(f"{c}/{a}" for c, a in clash)
        return result(NAME, "contradicted", 0.0, f"antonyms: {pairs}", [span])
    return result(NAME, None, 1.0, "polarity agrees", [span])
