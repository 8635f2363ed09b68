"""The hedging and causal-strength check: a claim must not state more firmly than its evidence.

Three overstatements that survive word matching (the "exaggeration" patterns of science
reporting studied by Sumner et al., BMJ 2014, and Yu et al., EMNLP 2019, "Detecting causal
language use in science findings"):

- a **dropped hedge**: the evidence says "may", "might", "suggests", "is likely to" and the
  claim states it flatly;
- **correlation turned into causation**: the evidence says "is associated with", "correlates
  with", "is linked to" and the claim says "causes", "leads to", "results in";
- a **condition removed**: the evidence limits the statement ("in some cases", "only if",
  "under", "in mice") and the claim drops the limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result

NAME = "hedging"
HEDGE = re.compile(
    r"\b(?:(?-i:may)(?!\s+\d)|might|could|possibly|perhaps|probably|likely|unlikely|suggests?|suggested|"
    r"appears? to|seems? to|potentially|presumably|reportedly|allegedly|believed to|thought to|"
    r"estimated)\b",
    re.IGNORECASE,
)
CAUSAL = re.compile(
    r"\b(?:caus(?:e|es|ed|ing)|leads? to|led to|results? in|resulted in|produces?|triggers?|"
    r"prevents?|prevented|due to|because of|responsible for|makes?\b.*\bmore|increases? the risk)\b",
    re.IGNORECASE,
)
CORRELATIONAL = re.compile(
    r"\b(?:associated with|associations?|correlat\w+|linked (?:to|with)|link between|"
    r"relationship between|related to|tied to|connected (?:to|with))\b",
    re.IGNORECASE,
)
CONDITION = re.compile(
    r"\b(?:only if|only when|if|unless|provided that|in some cases|in certain cases|under certain|"
    r"in (?:mice|rats|animals|vitro)|for some|some)\b",
    re.IGNORECASE,
)


def check_hedging(claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
    """Compare the claim's certainty and causal strength with its best evidence span.

    ``label`` ``unsupported`` with ``score`` 0 when the claim drops a hedge, turns a
    correlation into a cause, or drops a condition that the span states; None (``score`` 1)
    otherwise. ``evidence`` is the span compared (``evidence[0]``).
    """
    text = claim_text(claim)
    if not evidence:
        return result(NAME, None, 1.0, "no evidence span to compare certainty with")
    span = evidence[0]
    problems = []
    if CAUSAL.search(text) and not CAUSAL.search(span.text) and CORRELATIONAL.search(span.text):
        problems.append("the claim states a cause where the evidence states a correlation")
    if HEDGE.search(span.text) and not HEDGE.search(text):
        problems.append(
            "the claim drops the evidence's hedge ('" + HEDGE.search(span.text).group(0) + "')"
        )
    if CONDITION.search(span.text) and not CONDITION.search(text) and not HEDGE.search(text):
        problems.append(
            "the claim drops the evidence's condition ('"
            + CONDITION.search(span.text).group(0)
            + "')"
        )
    if problems:
        return result(NAME, "unsupported", 0.0, "; ".join(problems), [span])
    return result(NAME, None, 1.0, "certainty and causal strength agree", [span])
