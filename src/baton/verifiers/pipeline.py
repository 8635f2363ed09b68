"""``verify``: retrieve evidence over all sources, run the checks, aggregate into verdicts.

For each claim: the claim's stemmed content terms rank windows of 1-3 consecutive sentences
over *all* sources (not only the cited one; ``baton.verifiers.passages``). The claim is then
checked against one source at a time, the ``MAX_SOURCES`` sources holding its best windows:
that source's ``TOP_K`` best windows are the evidence every check sees, and the aggregator
(``baton.verifiers.aggregate``) turns the check results into a ``Verdict``; a source that
supports the claim wins, then one that contradicts it.

Why one source at a time: a claim must be carried by one source, not stitched together from
a name in one page and a date in another. Pooling the top windows of a task's 20-odd
same-topic sources let the entities and numbers checks find each part somewhere, and the
verifier called most claims supported: on ``tasks-dev.jsonl``'s 438 gold claims checked
against all their task's sources, balanced accuracy was 57.1 pooled, 59.3 source by source
(``MAX_SOURCES = 3``), 60.5 with the best source only and 58.3 with five. One source only
loses a claim whenever its best-covering page is the wrong one: in the example tasks, a
citation line "Retrieved January 15, 2022 ... Trump ... Kavanaugh" outranked the pages that
date the appointment to 2018 and the claim was flagged contradicted; with 3 it is supported.
With a single source nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from baton.contracts import CheckResult, Claim, Source, Verdict
from baton.errors import ConfigError
from baton.settings import Settings
from baton.verifiers.aggregate import aggregate
from baton.verifiers.passages import SourceIndex, claim_parts, content_terms
from baton.verifiers.registry import (
    ALL_CHECKS,
    BY_NAME,
    DEFAULT_CHECKS,
    OPTIONAL_CHECKS,
    SEMANTIC_CHECKS,
    Runner,
)

TOP_K = 5
"""Evidence windows retrieved per claim and source."""
PART_K = 2
"""Extra evidence windows retrieved per sentence of a claim of several sentences (a summary)."""
MAX_SOURCES = 3
"""Sources a claim is checked against, one at a time: those holding its best windows."""
ENTAILMENT_BY_DEFAULT = False
"""Whether ``default_verifier`` adds the shipped entailment model (``entailment`` check) to
the always-on checks; see the README's verifier section for the figures behind the choice."""
MODELS = ("nli_model", "judge", "entailment_model")
"""The keywords of ``verify`` that pass a model to the check that needs it
(``CheckSpec.needs``)."""
__all__ = [
    "ALL_CHECKS",
    "DEFAULT_CHECKS",
    "OPTIONAL_CHECKS",
    "SEMANTIC_CHECKS",
    "ConfiguredVerifier",
    "default_verifier",
    "resolve_checks",
    "verify",
    "with_nli",
]


def _unsupported(claim_id: str, detail: str) -> Verdict:
    note = CheckResult(check="verifier", label="unsupported", score=0.0, detail=detail)
    return Verdict(
        claim_id=claim_id, label="unsupported", confidence=1.0, evidence=[], checks=[note]
    )


def resolve_checks(checks: Sequence[str] | None, **models: Any) -> tuple[str, ...]:
    """The check names to run: ``checks`` validated, or the defaults plus every optional check
    whose model was given (``models``: ``nli_model=``, ``judge=``, ``entailment_model=``, None
    when absent). Raises ``ConfigError`` for an unknown name, or for a check asked for without
    the model it needs."""
    given = {k for k, v in models.items() if v is not None}
    if checks is None:
        names = DEFAULT_CHECKS + tuple(n for n in OPTIONAL_CHECKS if BY_NAME[n].needs in given)
    else:
        names = tuple(dict.fromkeys(c.strip() for c in checks if c.strip()))
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ConfigError(
            f"unknown verifier check(s): {', '.join(unknown)}; known: {', '.join(ALL_CHECKS)}"
        )
    for n in names:
        needs = BY_NAME[n].needs
        if needs in MODELS and needs not in given:
            raise ConfigError(f"the {n} check needs {needs}= (see baton.verifiers.registry)")
    return names


def _runners(names: Sequence[str], **context: Any) -> list[tuple[str, Runner]]:
    """``(name, runner)`` per check, built once per ``verify`` call from the registry."""
    return [(n, BY_NAME[n].build(context)) for n in names]


def verify(
    claims: Sequence[Claim],
    sources: Sequence[Source],
    *,
    checks: Sequence[str] | None = None,
    judge: Any = None,
    nli_model: Any = None,
    encoder: Any = None,
    token_embedder: Any = None,
    entailment_model: Any = None,
) -> list[Verdict]:
    """Check each claim against all ``sources``: one ``Verdict`` per claim, in order.

    ``checks``: names from ``ALL_CHECKS`` (default ``DEFAULT_CHECKS``, plus ``entailment`` /
    ``nli`` / ``llm_judge`` when their model is given; the registry is
    ``baton.verifiers.registry``). ``judge``: a ``baton.verifiers.judge.LLMJudge``
    (built with the author model, so a same-model judge is refused there). ``nli_model``: from
    ``baton.verifiers.nli.load_nli``. ``encoder``: a sentence encoder for ``semantic``
    (default: all-MiniLM-L6-v2 from the extra). ``token_embedder``: a
    ``baton.verifiers.alignment.TokenEmbedder`` for ``alignment`` / ``weakest_part`` (default:
    the token vectors of ``encoder``'s MiniLM). ``entailment_model``: a
    ``baton.verifiers.entailment.EntailmentModel`` for the ``entailment`` check.

    Never raises on odd input: no sources, a claim without content words, or a check that
    fails all give an ``unsupported`` verdict whose ``checks`` explain why. Raises
    ``ConfigError`` only for an unusable configuration (unknown check, missing extra).
    """
    models = {"judge": judge, "nli_model": nli_model, "entailment_model": entailment_model}
    names = resolve_checks(checks, **models)
    runners = _runners(names, encoder=encoder, token_embedder=token_embedder, **models)
    try:
        index = SourceIndex.build(list(sources))
    except Exception as exc:  # defensive: a source the splitter cannot read
        return [_unsupported(c.id, f"the sources could not be indexed: {exc}") for c in claims]
    out = []
    for claim in claims:
        try:
            out.append(_verify_one(claim, index, runners))
        except ConfigError:
            raise
        except Exception as exc:  # one bad claim must not sink the others
            out.append(
                _unsupported(claim.id, f"verifier error on this claim: {type(exc).__name__}: {exc}")
            )
    return out


@dataclass(frozen=True)
class ConfiguredVerifier:
    """``verify`` with fixed options, callable as ``verifier(claims, sources)``: what
    ``default_verifier`` builds from settings. CPU work, so ``local`` (see ``build_graph``)."""

    checks: tuple[str, ...] | None = None
    nli_model: Any = None
    entailment_model: Any = None
    judge: Any = None

    @property
    def local(self) -> bool:
        """CPU work on this machine, unless a judge model is called (then the verify turn is
        watched by the guard's timeouts)."""
        return self.judge is None

    def __call__(self, claims: Sequence[Claim], sources: Sequence[Source]) -> list[Verdict]:
        return verify(
            claims,
            sources,
            checks=self.checks,
            nli_model=self.nli_model,
            entailment_model=self.entailment_model,
            judge=self.judge,
        )


def with_nli(checks: Sequence[str] | None, nli_model: Any) -> tuple[str, ...] | None:
    """``checks`` plus ``nli`` when an NLI model is given and the named checks lack it (a
    model passed on purpose is used); ``None`` (the defaults, which add it) stays ``None``."""
    if checks is None or nli_model is None or "nli" in checks:
        return None if checks is None else tuple(checks)
    return (*checks, "nli")


def default_verifier(settings: Settings | None = None) -> Callable[..., list[Verdict]]:
    """The verifier runs use: plain ``verify`` (the always-on checks), or a
    ``ConfiguredVerifier`` when ``settings`` (default ``Settings.from_env()``) name checks
    (``BATON_VERIFIER_CHECKS``), a local NLI model (``BATON_NLI_MODEL``), or when the shipped
    entailment model is in the default path (``ENTAILMENT_BY_DEFAULT``) and not switched off
    (``BATON_VERIFIER_MODEL=off``, or ``BATON_VERIFIER_CHECKS`` without ``entailment``).

    Raises ``ConfigError`` now, not at the first claim, for an unknown check, a check whose
    extra is not installed, or a model path that holds no usable model.
    """
    settings = settings or Settings.from_env()
    named = settings.verifier_checks
    want_model = ("entailment" in named) if named is not None else ENTAILMENT_BY_DEFAULT
    want_model = want_model and (named is not None or settings.verifier_model)
    if (
        named is None
        and settings.nli_model is None
        and settings.judge_model is None
        and not want_model
    ):
        return verify
    nli_model = None
    if settings.nli_model is not None:
        from baton.verifiers.nli import load_nli

        nli_model = load_nli(settings.nli_model)
    entailment_model = None
    if want_model:
        from baton.verifiers.entailment import EntailmentModel

        entailment_model = EntailmentModel.load()
    judge = judge_from_settings(settings)
    checks = with_nli(named, nli_model)
    if judge is not None and checks is not None and "llm_judge" not in checks:
        checks = (*checks, "llm_judge")
    names = resolve_checks(
        checks, nli_model=nli_model, entailment_model=entailment_model, judge=judge
    )
    _runners(names, nli_model=nli_model, entailment_model=entailment_model, judge=judge)
    return ConfiguredVerifier(names, nli_model, entailment_model, judge)


JUDGE_MAX_TOKENS = 512
"""Output bound of one judge call (its verdict is one short JSON object)."""


def judge_from_settings(settings: Settings):
    """The ``LLMJudge`` that ``BATON_JUDGE_MODEL`` / ``BATON_JUDGE_BASE_URL`` /
    ``BATON_JUDGE_API_KEY`` name (None when no judge model is set).

    Raises ``ConfigError`` when it names the authoring model (``BATON_MODEL``) at the same
    endpoint: a judge must be a different model (``baton.verifiers.judge``)."""
    if settings.judge_model is None:
        return None
    from baton.models import chat_model
    from baton.verifiers.judge import LLMJudge

    if settings.judge_model == settings.model and settings.judge_base_url == settings.base_url:
        raise ConfigError(
            f"BATON_JUDGE_MODEL={settings.judge_model!r} at {settings.judge_base_url or 'OpenAI'} "
            "is the authoring model (BATON_MODEL) at the same endpoint; a heterogeneous judge "
            "needs a different model or endpoint"
        )
    judge_settings = replace(
        settings, base_url=settings.judge_base_url, api_key=settings.judge_api_key
    )
    model = chat_model(judge_settings, model=settings.judge_model, max_tokens=JUDGE_MAX_TOKENS)
    return LLMJudge(model)


def _verify_one(claim: Claim, index: SourceIndex, runners) -> Verdict:
    if not index.sentences:
        return _unsupported(claim.id, "no source text to check the claim against")
    terms = content_terms(claim.text)
    if not terms:
        return _unsupported(claim.id, "the claim has no content words to check")
    ranked = index.best_windows(terms, TOP_K if len(index.sources) == 1 else TOP_K * MAX_SOURCES)
    if not ranked:
        return _unsupported(claim.id, "no source passage shares a content word with the claim")
    weights = index.weights(terms)
    best = list(dict.fromkeys(p.source_index for _, p in ranked))[:MAX_SOURCES]
    groups = (
        [ranked[:TOP_K]]  # one source: its best windows are already ranked
        if len(best) == 1
        else [index.best_windows(terms, TOP_K, source_index=s) for s in best]
    )
    parts = [content_terms(p) for p in claim_parts(claim.text)] if len(terms) > 12 else []
    verdicts = []
    for windows in groups:
        if len(parts) > 1:  # a whole summary: each sentence's best windows too
            s = windows[0][1].source_index
            seen = {(p.start, p.end) for _, p in windows}
            for part in parts:
                for cov, p in index.best_windows(part, PART_K, source_index=s):
                    if (p.start, p.end) not in seen:
                        seen.add((p.start, p.end))
                        windows = [*windows, (cov, p)]
        evidence = [index.evidence(p, round(cov, 4)) for cov, p in windows]
        verdicts.append(aggregate(claim.id, [run(claim, evidence, weights) for _, run in runners]))
    return _strongest(verdicts)


def _strongest(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict from the per-source verdicts: a source that supports the claim wins, then
    one that contradicts it (each the most confident), else the least confident unsupported
    verdict (the source closest to supporting it)."""
    for label in ("supported", "contradicted"):
        hits = [v for v in verdicts if v.label == label]
        if hits:
            return max(hits, key=lambda v: v.confidence)
    return min(verdicts, key=lambda v: v.confidence)
