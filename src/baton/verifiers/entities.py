"""The named-entity check: people, places, organisations and titles named in the claim must be
named in the evidence.

Entities are found with a light orthographic rule (runs of capitalised words and acronyms,
ignoring the claim's first word when it stands alone), which is fast and needs no model;
matching compares Snowball stems, and a multi-word name also matches on its last word (a
surname: "Brett Kavanaugh" then "Kavanaugh"). A swapped entity ("Harris" for "Biden") is
thus a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.passages import content_terms

NAME = "entities"
_CAP_RUN = re.compile(
    r"(?:[A-Z][\w'’.-]*|[0-9]+(?:st|nd|rd|th))(?:\s+(?:of|the|de|von|van|da|and|for|&)?\s*[A-Z][\w'’.-]*)*"
)


def entities(text: str) -> list[str]:
    """Capitalised names and acronyms in ``text``, in order, without duplicates."""
    out: list[str] = []
    for m in _CAP_RUN.finditer(text):
        name = m.group(0).strip(" .,'’")
        if not name or not name[0].isupper():
            continue
        at_start = m.start() == 0 or text[: m.start()].rstrip().endswith((".", "!", "?", ":", '"'))
        if at_start and " " not in name and not name.isupper():
            continue  # a capitalised first word is not evidence of a name
        if not content_terms(name):
            continue
        if name not in out:
            out.append(name)
    return out


def _found(name: str, span_terms: set[str]) -> bool:
    terms = content_terms(name)
    return all(t in span_terms for t in terms) or (len(terms) > 1 and terms[-1] in span_terms)


def check_entities(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Check that each named entity of the claim occurs in some evidence span.

    ``score`` is the share of entities found; ``label`` None when the claim names none,
    ``supported`` when all are found, else ``unsupported`` (the detail names the missing ones);
    ``evidence`` holds the spans that name them.
    """
    names = entities(claim_text(claim))
    if not names:
        return result(NAME, None, 1.0, "the claim names no entity")
    span_terms = [set(content_terms(e.text)) for e in evidence]
    missing, used = [], []
    for n in names:
        hit = [i for i, st in enumerate(span_terms) if _found(n, st)]
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
