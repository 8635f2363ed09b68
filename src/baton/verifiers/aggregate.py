"""The aggregator: check results in, one ``Verdict`` out.

Support is decided by a logistic regression over one feature per check (its score, plus a flag
for a numbers conflict), fit on ``verifier-dev.jsonl`` (WiCE + Factcheck-GPT; see
``baton.verifiers.training``) and shipped as ``aggregator.json`` beside this module, so the
runtime needs only the standard library. Three coefficient sets are shipped: ``base`` (the
always-on checks), ``semantic`` (the same plus the optional embedding check) and ``aligned``
(plus the token-alignment checks ``alignment`` and ``weakest_part`` of the same extra); the
largest one whose optional checks all ran is used. A check that did not run takes its training
mean, the usual mean-imputation ablation.

Label rule: ``supported`` when P(supported) >= the model's threshold; otherwise
``contradicted`` when a polarity or numbers check (or an optional NLI model / LLM judge) says
contradicted *and* the best passage covers at least ``CONTRADICTION_MIN_COVERAGE`` of the claim
(it talks about the same thing), else ``unsupported``. The optional NLI and judge scores, when
present, are averaged with the regression's probability (they have no training data here).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from baton.contracts import CheckResult, Evidence, Verdict

WEIGHTS_PATH = Path(__file__).with_name("aggregator.json")
CONTRADICTION_MIN_COVERAGE = 0.5
FEATURES = (
    "lexical",
    "phrases",
    "numbers",
    "numbers_conflict",
    "entities",
    "negation",
    "hedging",
    "semantic",
    "alignment",
    "weakest_part",
)
"""Feature names, each computed from one check's result by ``features``."""
OPTIONAL_FEATURES = ("semantic", "alignment", "weakest_part")
"""Features of optional checks: a model using one is chosen only when that check ran."""


def features(results: Sequence[CheckResult]) -> dict[str, float]:
    """The aggregator's features from the check results that ran (absent checks are absent).

    - ``lexical``, ``phrases``, ``entities``, ``numbers``, ``semantic``, ``alignment``,
      ``weakest_part``: the check's score;
    - ``numbers_conflict``: 1.0 when the numbers check says contradicted;
    - ``negation``, ``hedging``: 1.0 when the check flags a mismatch (score 0), else 0.0.
    """
    by = {r.check: r for r in results}
    out: dict[str, float] = {}
    for name in ("lexical", "phrases", "entities", "semantic", "alignment", "weakest_part"):
        if name in by:
            out[name] = by[name].score
    if "numbers" in by:
        out["numbers"] = by["numbers"].score
        out["numbers_conflict"] = 1.0 if by["numbers"].label == "contradicted" else 0.0
    for name in ("negation", "hedging"):
        if name in by:
            out[name] = 1.0 - by[name].score
    return out


@dataclass(frozen=True)
class LogisticModel:
    """``P(supported) = 1 / (1 + exp(-(intercept + sum(coef[f] * x[f]))))``; a missing feature
    takes ``means[f]``."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    threshold: float = 0.5

    def probability(self, x: dict[str, float]) -> float:
        z = self.intercept
        for f, c, m in zip(self.features, self.coef, self.means, strict=True):
            z += c * x.get(f, m)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "means": list(self.means),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, d: dict) -> LogisticModel:
        return cls(
            tuple(d["features"]),
            tuple(d["coef"]),
            float(d["intercept"]),
            tuple(d["means"]),
            float(d.get("threshold", 0.5)),
        )


@lru_cache(maxsize=4)
def load_models(path: str | None = None) -> dict[str, LogisticModel]:
    """The shipped coefficient sets (``base``, ``semantic``, ``aligned``) from
    ``aggregator.json``."""
    data = json.loads(Path(path or WEIGHTS_PATH).read_text())
    return {name: LogisticModel.from_dict(d) for name, d in data["models"].items()}


def choose_model(
    results: Sequence[CheckResult], models: dict[str, LogisticModel] | None = None
) -> LogisticModel:
    """The model with the most features among those whose optional checks
    (``OPTIONAL_FEATURES``) all ran: ``aligned`` when semantic, alignment and weakest_part ran,
    ``semantic`` when only semantic did, else ``base``."""
    models = models or load_models()
    ran = {r.check for r in results}
    usable = [
        m for m in models.values() if all(f in ran for f in m.features if f in OPTIONAL_FEATURES)
    ]
    return max(usable, key=lambda m: len(m.features)) if usable else models["base"]


def _dedup(spans: list[Evidence]) -> list[Evidence]:
    seen, out = set(), []
    for e in spans:
        key = (e.source_id, e.start, e.end)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def aggregate(
    claim_id: str,
    results: Sequence[CheckResult],
    *,
    model: LogisticModel | None = None,
) -> Verdict:
    """Turn one claim's check results into a ``Verdict`` (see the module docstring).

    ``confidence`` is the probability of the returned side (P(supported) for ``supported``,
    1 - P(supported) otherwise). ``evidence``: the spans the lexical check chose, then those
    of the numbers/entity checks, without duplicates.
    """
    results = list(results)
    model = model or choose_model(results)
    p = model.probability(features(results))
    by = {r.check: r for r in results}
    extras = [by[n].score for n in ("nli", "llm_judge") if n in by and by[n].label is not None]
    if extras:
        p = (p + sum(extras)) / (1 + len(extras))
    spans: list[Evidence] = []
    for name in ("lexical", "semantic", "alignment", "numbers", "entities", "phrases"):
        if name in by:
            spans.extend(by[name].evidence)
    evidence = _dedup(spans)
    if p >= model.threshold:
        return Verdict(
            claim_id=claim_id, label="supported", confidence=p, evidence=evidence, checks=results
        )
    coverage = by["lexical"].score if "lexical" in by else 1.0
    contra = [
        r
        for r in results
        if r.label == "contradicted" and r.check in ("numbers", "negation", "nli", "llm_judge")
    ]
    if contra and coverage >= CONTRADICTION_MIN_COVERAGE:
        first = _dedup([e for r in contra for e in r.evidence] + evidence)
        return Verdict(
            claim_id=claim_id,
            label="contradicted",
            confidence=1.0 - p,
            evidence=first,
            checks=results,
        )
    return Verdict(
        claim_id=claim_id,
        label="unsupported",
        confidence=1.0 - p,
        evidence=evidence,
        checks=results,
    )
