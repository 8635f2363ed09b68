"""The named-entity check: people, places, organisations and titles named in the claim must be
named in the evidence.

Entities are found with a light orthographic rule (runs of capitalised words and acronyms,
ignoring the claim's first word when it stands alone, leading function words such as "The" or
"In", and months, week days and number words, which the numbers check handles), which is fast
and needs no model. Matching compares Snowball stems, allows simple morphological variants
(stems sharing their first five letters: Libya/Libyan, Europe/European) and a name written as
one word or two (FamilyMart / Family Mart), and a multi-word name also matches on its last word
(a surname: "Brett Kavanaugh" then "Kavanaugh"). A swapped entity ("Harris" for "Biden") is
thus a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.passages import WORD, content_terms, lower_cased

NAME = "entities"
CANNOT_JUDGE = "lower-cased claim: names cannot be told from other words"
_CAP_RUN = re.compile(
    r"(?:[A-Z][\w'’.-]*|[0-9]+(?:st|nd|rd|th))(?:\s+(?:of|the|de|von|van|da|and|for|&)?\s*[A-Z][\w'’.-]*)*"
)
_NOT_NAMES = frozenset(
    "a an the in on at of for and or but by to from with as this that these those his her its "
    "their our my your he she it they we i after before during since until when while however "
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday "
    "one two three four five six seven eight nine ten eleven twelve first second third".split()
)
"""Capitalised words that are not names: sentence-initial function words, and months, week
days and number words (dates and numbers are the numbers check's business)."""


def _trim(name: str) -> str:
    """``name`` without leading/trailing words from ``_NOT_NAMES`` ("In June" -> "",
    "The Simpsons" -> "Simpsons")."""
    words = name.split()
    while words and words[0].lower().strip(".,'’") in _NOT_NAMES:
        words.pop(0)
    while words and words[-1].lower().strip(".,'’") in _NOT_NAMES:
        words.pop()
    return " ".join(words)


def entities(text: str) -> list[str]:
    """Capitalised names and acronyms in ``text``, in order, without duplicates."""
    out: list[str] = []
    for m in _CAP_RUN.finditer(text):
        full = m.group(0).strip(" .,'’")
        name = _trim(full)
        if not name or not name[0].isupper():
            continue
        at_start = m.start() == 0 or text[: m.start()].rstrip().endswith((".", "!", "?", ":", '"'))
        if at_start and full == name and " " not in name and not name.isupper():
            continue  # a capitalised first word is not evidence of a name
        if not content_terms(name):
            continue
        if name not in out:
            out.append(name)
    return out


PREFIX = 5
"""Stems sharing their first ``PREFIX`` letters match (Libya/Libyan, Europe/European)."""
_SQUASH = re.compile(r"[\s\-‐–]+")


class _Span:
    """What one evidence span offers to match names against: its content stems, their
    ``PREFIX``-letter prefixes, and (computed on demand) its lower-cased text with spaces and
    hyphens removed, so that a name written as one word matches it written as two
    (FamilyMart / Family Mart, bellflower / bell flower)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.terms = set(content_terms(text))
        self.prefixes = {t[:PREFIX] for t in self.terms if len(t) >= PREFIX and not t[0].isdigit()}
        self._squashed: str | None = None

    @property
    def squashed(self) -> str:
        if self._squashed is None:
            self._squashed = _SQUASH.sub("", self.text.lower())
        return self._squashed

    def has(self, term: str) -> bool:
        if term in self.terms:
            return True
        if term[0].isdigit() or len(term) < PREFIX:
            return False
        return term[:PREFIX] in self.prefixes or (len(term) > PREFIX and term in self.squashed)


def _found(name: str, span: _Span) -> bool:
    terms = content_terms(name)
    if all(span.has(t) for t in terms):
        return True
    if len(terms) > 1:
        if span.has(terms[-1]):  # a surname alone
            return True
        joined = "".join(w.lower() for w in WORD.findall(name))
        return len(joined) > PREFIX and joined in span.squashed
    return False


def check_entities(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Check that each named entity of the claim occurs in some evidence span.

    ``score`` is the share of entities found; ``label`` None when the claim names none,
    ``supported`` when all are found, else ``unsupported`` (the detail names the missing ones);
    ``evidence`` holds the spans that name them. A lower-cased claim (capitals cannot tell
    names from words) gets label None and the detail ``CANNOT_JUDGE``: it yields no aggregator
    feature, so the aggregator uses the feature's training mean instead of "no name".
    """
    text = claim_text(claim)
    if lower_cased(text):
        return result(NAME, None, 1.0, CANNOT_JUDGE)
    names = entities(text)
    if not names:
        return result(NAME, None, 1.0, "the claim names no entity")
    spans_seen = [_Span(e.text) for e in evidence]
    missing, used = [], []
    for n in names:
        hit = [i for i, st in enumerate(spans_seen) if _found(n, st)]
        if not hit:
            missing.append(n)
        used.extend(i for i in hit if i not in used)
    score = 1 - len(missing) / len(names)
    spans = [evidence[i] for i in sorted(used)]
    if missing:
        return result(
            NAME, "unsupported", score, "not named in the evidence: " + ", ".join(missing), spans
        )
    return result(NAME, "supported", score, "all named: " + ", ".join(names), spans)
