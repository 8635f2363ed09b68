"""The aggregator: check results in, one ``Verdict`` out.

Support is decided by a logistic regression over the features the checks yield (each check's
features are declared once, in ``baton.verifiers.registry``), fit under leave-one-dataset-out
on the dev datasets (see ``baton.verifiers.training`` and ``baton bench verifier --lodo``) and
shipped as ``aggregator.json`` beside this module, so the runtime needs only the standard
library. Several coefficient sets are shipped (``base``: the always-on checks; ``entailment``:
the same plus the trained entailment model; ``semantic`` / ``aligned``: plus the checks of the
``semantic`` extra); the largest one whose optional checks all ran is used. A check that did not
run, or could not judge (it yields no feature), takes its training mean.

Label rule: ``supported`` when P(supported) >= the model's threshold, unless a *veto* check
(``CheckSpec.veto``: the negation check, whose contradiction is scoped to a claim word) says
contradicted while the best passage covers at least ``CONTRADICTION_MIN_COVERAGE`` of the claim;
otherwise ``contradicted`` when a check that may contradict (``CheckSpec.contradicts``) says so
on such a passage, else ``unsupported``. Scores of ``blend`` checks (an optional NLI model, an
LLM judge) are averaged with the regression's probability. ``Verdict.dissent`` names the checks
whose own label disagrees with the verdict, so a reader sees the conflict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from baton.contracts import CheckResult, Evidence, Verdict
from baton.verifiers.registry import (
    BY_NAME,
    CHECKS,
    FEATURE_CHECK,
    FEATURES,
    OPTIONAL_FEATURES,
    CheckSpec,
    features,
)

WEIGHTS_PATH = Path(__file__).with_name("aggregator.json")
CONTRADICTION_MIN_COVERAGE = 0.5
"""Lexical coverage of the best passage above which a contradiction counts (same topic)."""
_NONE = CheckSpec("", lambda ctx: None)
"""Stands in for a result of a check not in the registry (the pipeline's ``verifier`` note)."""
__all__ = [
    "CONTRADICTION_MIN_COVERAGE",
    "FEATURES",
    "OPTIONAL_FEATURES",
    "WEIGHTS_PATH",
    "LogisticModel",
    "aggregate",
    "choose_model",
    "dissenting",
    "features",
    "load_models",
]


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
    """The shipped coefficient sets (``{name: LogisticModel}``) from ``aggregator.json``."""
    data = json.loads(Path(path or WEIGHTS_PATH).read_text())
    return {name: LogisticModel.from_dict(d) for name, d in data["models"].items()}


def choose_model(
    results: Sequence[CheckResult], models: dict[str, LogisticModel] | None = None
) -> LogisticModel:
    """The model with the most features among those whose optional checks
    (``OPTIONAL_FEATURES``) all ran: e.g. ``entailment`` when the entailment check ran,
    ``aligned`` when semantic, alignment and weakest_part ran, else ``base``."""
    models = models or load_models()
    ran = {r.check for r in results}
    usable = [
        m
        for m in models.values()
        if all(FEATURE_CHECK[f] in ran for f in m.features if f in OPTIONAL_FEATURES)
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


def dissenting(label: str, results: Sequence[CheckResult]) -> list[str]:
    """Names of the checks that disagree with a verdict ``label``: under ``supported``, those
    that say ``contradicted``; under ``unsupported`` / ``contradicted``, the models
    (``CheckSpec.needs`` a model) that say ``supported``."""
    out = []
    for r in results:
        spec = BY_NAME.get(r.check)
        if spec is None or r.check in out:
            continue
        against = r.label == "contradicted" if label == "supported" else r.label == "supported"
        if against and (label == "supported" or spec.needs.endswith("model")):
            out.append(r.check)
    return out


def aggregate(
    claim_id: str,
    results: Sequence[CheckResult],
    *,
    model: LogisticModel | None = None,
    veto: bool = True,
) -> Verdict:
    """Turn one claim's check results into a ``Verdict`` (see the module docstring).

    ``confidence`` is the probability of the returned side (P(supported) for ``supported``,
    1 - P(supported) otherwise). ``evidence``: the spans of the checks in registry
    ``evidence_rank`` order (lexical first), without duplicates; a contradiction puts the
    contradicting spans first. ``veto=False`` turns the veto off (for ablation figures).
    """
    results = list(results)
    model = model or choose_model(results)
    p = model.probability(features(results))
    by = {r.check: r for r in results}
    extras = [r.score for r in results if r.label is not None and BY_NAME.get(r.check, _NONE).blend]
    if extras:
        p = (p + sum(extras)) / (1 + len(extras))
    ranked = sorted(
        (s for s in CHECKS if s.evidence_rank is not None and s.name in by),
        key=lambda s: s.evidence_rank,
    )
    evidence = _dedup([e for s in ranked for e in by[s.name].evidence])
    coverage = by["lexical"].score if "lexical" in by else 1.0
    on_topic = coverage >= CONTRADICTION_MIN_COVERAGE
    contra = [
        r for r in results if r.label == "contradicted" and BY_NAME.get(r.check, _NONE).contradicts
    ]
    vetoed = veto and on_topic and any(BY_NAME[r.check].veto for r in contra)
    if p >= model.threshold and not vetoed:
        label, conf, spans = "supported", p, evidence
    elif contra and on_topic:
        # A veto overrides the regression: the verdict is then at least as likely as not.
        label, conf = "contradicted", max(1.0 - p, 0.5) if vetoed else 1.0 - p
        spans = _dedup([e for r in contra for e in r.evidence] + evidence)
    else:
        label, conf, spans = "unsupported", 1.0 - p, evidence
    return Verdict(
        claim_id=claim_id,
        label=label,
        confidence=conf,
        evidence=spans,
        checks=results,
        dissent=dissenting(label, results),
    )
