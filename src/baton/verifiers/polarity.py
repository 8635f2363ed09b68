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
from baton.verifiers.entities import entities
from baton.verifiers.passages import WORD, content_terms, stem

NAME = "negation"
NEGATION = re.compile(
    r"\b(?:not|no|never|none|nor|neither|nobody|nothing|nowhere|cannot|without|"
    r"\w*n[’']t|fail(?:s|ed)? to|unable to|lack(?:s|ed)?|refuted|denied|false)\b",
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


SCOPE_WORDS = 4
"""A negation cue governs the next ``SCOPE_WORDS`` words (a fixed window: the simplest scope
rule of negation-scope detection, e.g. NegEx, Chapman et al. 2001)."""
QUALIFIERS = frozenset(
    "vice deputy assistant acting former ex interim associate honorary co non pseudo "
    "alleged would-be".split()
)
"""Words that turn a title or role into another one ("vice president" is not "president")."""


def scoped_negation(negated_text: str, other_terms: set[str]) -> str | None:
    """The first negation cue of ``negated_text`` whose scope (the next ``SCOPE_WORDS`` words)
    holds a content term of the other text, as "cue ... words"; None when every cue negates
    something else (e.g. an unrelated clause of the passage)."""
    for m in NEGATION.finditer(negated_text):
        words = WORD.findall(negated_text[m.end() : m.end() + 80])[:SCOPE_WORDS]
        if any(stem(w.lower()) in other_terms for w in words):
            return " ".join([m.group(0), *words])
    return None


NEAR_WORDS = 6
"""How close (in words) a passage word must be to one of the claim's names to be about it."""


def qualified(claim: str, passage: str) -> list[str]:
    """Claim words that the passage uses, near the claim's names, only behind a qualifier the
    claim lacks: the claim's "Harris ... president" where the passage says "Harris ... vice
    president" (a bare "president" elsewhere, about someone else, does not count). Without
    names in the claim, every occurrence counts. Returns "qualifier word" strings."""
    claim_words = {w.lower() for w in WORD.findall(claim)}
    claim_stems = {stem(w) for w in claim_words}
    anchors = {t for n in entities(claim) for t in content_terms(n)}
    words = [w.lower() for w in WORD.findall(passage)]
    stems = [stem(w) for w in words]
    bare: set[str] = set()
    behind: dict[str, str] = {}
    for k, (word, st) in enumerate(zip(words, stems, strict=True)):
        if st not in claim_stems or word in QUALIFIERS or st in anchors:
            continue
        near = stems[max(0, k - NEAR_WORDS) : k + NEAR_WORDS + 1]
        if anchors and not anchors.intersection(near):
            continue
        prev = words[k - 1] if k else ""
        if prev in QUALIFIERS and prev not in claim_words:
            behind.setdefault(st, f"{prev} {word}")
        else:
            bare.add(st)
    return [v for k, v in behind.items() if k not in bare]


def check_negation(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Compare the polarity of the claim with its best evidence span (``evidence[0]``).

    ``label`` ``contradicted`` with ``score`` 0 when a negation cue of one side governs a word
    the other side states (a *scoped* mismatch: "renewed" / "no option for renewal"), on an
    antonym clash, or when the span has a claim word only behind a qualifier ("vice
    president"); None with ``score`` 0.5 when only one side is negated but the cue governs
    other words; None with ``score`` 1 when polarity agrees or there is no evidence.
    ``evidence`` is the span compared. A ``contradicted`` result vetoes ``supported`` (see
    ``baton.verifiers.aggregate``).
    """
    text = claim_text(claim)
    if not evidence:
        return result(NAME, None, 1.0, "no evidence span to compare polarity with")
    span = evidence[0]
    cn, en = negated(text), negated(span.text)
    if cn != en:
        neg, other = (text, span.text) if cn else (span.text, text)
        cue = scoped_negation(neg, set(content_terms(other)))
        who = "the claim" if cn else "the evidence"
        if cue:
            return result(
                NAME,
                "contradicted",
                0.0,
                f"negation mismatch: only {who} is negated ('{cue}')",
                [span],
            )
        return result(
            NAME, None, 0.5, f"only {who} is negated, about other words than the claim's", [span]
        )
    clash = antonym_clash(text, span.text)
    if clash:
        pairs = ", ".join(f"{c}/{a}" for c, a in clash)
        return result(NAME, "contradicted", 0.0, f"antonyms: {pairs}", [span])
    quals = qualified(text, span.text)
    if quals:
        return result(
            NAME, "contradicted", 0.0, "the evidence qualifies: " + ", ".join(quals), [span]
        )
    return result(NAME, None, 1.0, "polarity agrees", [span])
