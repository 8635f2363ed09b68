"""The registry of verifier checks: each check is named once, here, with everything the pipeline
and the aggregator need to know about it.

A ``CheckSpec`` says how to build the check's runner (``build(context) -> runner``, where a
runner is ``runner(claim, evidence, weights) -> CheckResult``), which aggregator features its
result yields (``features(result) -> {name: value}``, names listed in ``feature_names``),
whether it runs by default, what it needs (``""``, an extra, or a model passed by the caller)
and how the aggregator treats a ``contradicted`` result (``contradicts``: may make the verdict
``contradicted``; ``veto``: a *scoped* contradiction that also overrides ``supported``).

A new check is one module (``check_x(claim, evidence) -> CheckResult``) plus one entry in
``CHECKS``; ``baton.verifiers.pipeline`` (which checks run) and ``baton.verifiers.aggregate``
(features, evidence order, contradiction rule) read nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers.entities import CANNOT_JUDGE as ENTITIES_CANNOT_JUDGE
from baton.verifiers.entities import check_entities
from baton.verifiers.hedging import check_hedging
from baton.verifiers.lexical import check_lexical
from baton.verifiers.numbers import check_numbers
from baton.verifiers.phrases import check_phrases
from baton.verifiers.polarity import check_negation

Runner = Callable[[Claim, list[Evidence], dict[str, float]], CheckResult]
"""``runner(claim, evidence, idf_weights) -> CheckResult``."""


@dataclass(frozen=True)
class CheckSpec:
    """One check as the pipeline and the aggregator see it (see the module docstring).

    ``needs``: ``""`` (always available), ``"extra:semantic"`` (``pip install baton[semantic]``)
    or the name of the keyword the caller must pass to ``verify`` (``nli_model``, ``judge``,
    ``entailment_model``). ``blend``: the check's score is averaged with the aggregator's
    probability (a model with no aggregator coefficients of its own). ``evidence_rank``: the
    order in which the verdict's evidence spans are collected (None: not collected).
    """

    name: str
    build: Callable[[Mapping[str, Any]], Runner]
    feature_names: tuple[str, ...] = ()
    features: Callable[[CheckResult], dict[str, float]] | None = None
    default: bool = False
    needs: str = ""
    contradicts: bool = False
    veto: bool = False
    blend: bool = False
    evidence_rank: int | None = None


def _score(name: str) -> Callable[[CheckResult], dict[str, float]]:
    return lambda r: {name: r.score}


def _flag(name: str) -> Callable[[CheckResult], dict[str, float]]:
    """1.0 when the check flags a mismatch (score 0), else 0.0."""
    return lambda r: {name: 1.0 - r.score}


def _entities(r: CheckResult) -> dict[str, float]:
    return {} if r.detail == ENTITIES_CANNOT_JUDGE else {"entities": r.score}


def _numbers(r: CheckResult) -> dict[str, float]:
    return {"numbers": r.score, "numbers_conflict": 1.0 if r.label == "contradicted" else 0.0}


def _semantic(ctx: Mapping[str, Any]) -> Runner:
    from baton.verifiers.semantic import check_semantic, load_encoder

    enc = ctx.get("encoder") or load_encoder()
    return lambda c, ev, w: check_semantic(c, ev, encoder=enc)


def _token_embedder(ctx: Mapping[str, Any]) -> Any:
    if ctx.get("token_embedder") is not None:
        return ctx["token_embedder"]
    from baton.verifiers.alignment import _minilm_embedder
    from baton.verifiers.semantic import load_encoder

    return _minilm_embedder(ctx.get("encoder") or load_encoder())


def _alignment(ctx: Mapping[str, Any]) -> Runner:
    from baton.verifiers.alignment import check_alignment

    emb = _token_embedder(ctx)
    return lambda c, ev, w: check_alignment(c, ev, embedder=emb, weights=w)


def _weakest_part(ctx: Mapping[str, Any]) -> Runner:
    from baton.verifiers.alignment import check_weakest_part

    emb = _token_embedder(ctx)
    return lambda c, ev, w: check_weakest_part(c, ev, embedder=emb)


def _nli(ctx: Mapping[str, Any]) -> Runner:
    from baton.verifiers.nli import check_nli

    model = ctx["nli_model"]
    return lambda c, ev, w: check_nli(c, ev, model=model)


def _judge(ctx: Mapping[str, Any]) -> Runner:
    from baton.verifiers.judge import check_llm_judge

    judge = ctx["judge"]
    return lambda c, ev, w: check_llm_judge(c, ev, judge=judge)


def _entailment(ctx: Mapping[str, Any]) -> Runner:
    from baton.verifiers.entailment_check import check_entailment

    model = ctx["entailment_model"]
    return lambda c, ev, w: check_entailment(c, ev, model=model)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "lexical",
        lambda ctx: lambda c, ev, w: check_lexical(c, ev, weights=w),
        ("lexical",),
        _score("lexical"),
        default=True,
        evidence_rank=0,
    ),
    CheckSpec(
        "phrases",
        lambda ctx: lambda c, ev, w: check_phrases(c, ev),
        ("phrases",),
        _score("phrases"),
        default=True,
        evidence_rank=5,
    ),
    CheckSpec(
        "numbers",
        lambda ctx: lambda c, ev, w: check_numbers(c, ev),
        ("numbers", "numbers_conflict"),
        _numbers,
        default=True,
        contradicts=True,
        evidence_rank=3,
    ),
    CheckSpec(
        "entities",
        lambda ctx: lambda c, ev, w: check_entities(c, ev),
        ("entities",),
        _entities,
        default=True,
        evidence_rank=4,
    ),
    CheckSpec(
        "negation",
        lambda ctx: lambda c, ev, w: check_negation(c, ev),
        ("negation",),
        _flag("negation"),
        default=True,
        contradicts=True,
        veto=True,
    ),
    CheckSpec(
        "hedging",
        lambda ctx: lambda c, ev, w: check_hedging(c, ev),
        ("hedging",),
        _flag("hedging"),
        default=True,
    ),
    CheckSpec(
        "semantic",
        _semantic,
        ("semantic",),
        _score("semantic"),
        needs="extra:semantic",
        evidence_rank=1,
    ),
    CheckSpec(
        "alignment",
        _alignment,
        ("alignment",),
        _score("alignment"),
        needs="extra:semantic",
        evidence_rank=2,
    ),
    CheckSpec(
        "weakest_part",
        _weakest_part,
        ("weakest_part",),
        _score("weakest_part"),
        needs="extra:semantic",
    ),
    CheckSpec(
        "entailment",
        _entailment,
        ("entailment",),
        _score("entailment"),
        needs="entailment_model",
    ),
    CheckSpec("nli", _nli, needs="nli_model", contradicts=True, blend=True),
    CheckSpec("llm_judge", _judge, needs="judge", contradicts=True, blend=True),
)
"""Every check, in the order they run and their results are listed."""

BY_NAME: dict[str, CheckSpec] = {s.name: s for s in CHECKS}
DEFAULT_CHECKS: tuple[str, ...] = tuple(s.name for s in CHECKS if s.default)
"""The always-available checks, run when no checks are named."""
OPTIONAL_CHECKS: tuple[str, ...] = tuple(s.name for s in CHECKS if not s.default)
"""Checks that need an extra or a model passed by the caller (``CheckSpec.needs``)."""
ALL_CHECKS: tuple[str, ...] = DEFAULT_CHECKS + OPTIONAL_CHECKS
SEMANTIC_CHECKS: tuple[str, ...] = DEFAULT_CHECKS + tuple(
    s.name for s in CHECKS if s.needs == "extra:semantic"
)
"""The defaults plus every check of the ``semantic`` extra."""
FEATURES: tuple[str, ...] = tuple(f for s in CHECKS for f in s.feature_names)
"""Every aggregator feature, in registry order."""
FEATURE_CHECK: dict[str, str] = {f: s.name for s in CHECKS for f in s.feature_names}
"""The check that yields each feature."""
OPTIONAL_FEATURES: tuple[str, ...] = tuple(
    f for s in CHECKS if not s.default for f in s.feature_names
)
"""Features of optional checks: an aggregator model using one is chosen only when it ran."""


def features(results: Sequence[CheckResult]) -> dict[str, float]:
    """The aggregator's features from the check results that ran (absent checks are absent;
    a result of a check not in the registry, such as the pipeline's ``verifier`` note, yields
    none)."""
    out: dict[str, float] = {}
    for r in results:
        spec = BY_NAME.get(r.check)
        if spec is not None and spec.features is not None:
            out.update(spec.features(r))
    return out
