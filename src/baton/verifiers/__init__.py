"""The heterogeneous verifier: structurally different checks of each claim against all sources,
aggregated into a ``Verdict``. No langgraph or streamlit import in this package.

Public API::

    verify(claims, sources, *, checks=None, judge=None, nli_model=None, encoder=None) -> list[Verdict]
    default_verifier(settings=None) -> verify, or a ConfiguredVerifier (BATON_VERIFIER_CHECKS,
                                      BATON_NLI_MODEL, BATON_VERIFIER_MODEL)
    CHECKS / CheckSpec                 # the registry of checks (baton.verifiers.registry)
    check_lexical / check_phrases / check_numbers / check_entities / check_negation /
    check_hedging / check_semantic / check_nli / check_llm_judge (claim, evidence) -> CheckResult
    aggregate(claim_id, results) -> Verdict
    LLMJudge(model, author_model=...)   # ConfigError when it is the author's model
    load_nli(path) -> NLIModel           # local weights only
"""

from baton.verifiers.aggregate import aggregate, features
from baton.verifiers.entities import check_entities
from baton.verifiers.hedging import check_hedging
from baton.verifiers.lexical import check_lexical
from baton.verifiers.numbers import check_numbers
from baton.verifiers.phrases import check_phrases
from baton.verifiers.pipeline import (
    ALL_CHECKS,
    DEFAULT_CHECKS,
    OPTIONAL_CHECKS,
    ConfiguredVerifier,
    default_verifier,
    verify,
)
from baton.verifiers.polarity import check_negation
from baton.verifiers.registry import CHECKS, CheckSpec


def __getattr__(name: str):
    # The optional extras are imported lazily so that importing baton stays light.
    if name == "check_semantic":
        from baton.verifiers.semantic import check_semantic

        return check_semantic
    if name == "check_entailment":
        from baton.verifiers.entailment_check import check_entailment

        return check_entailment
    if name in ("check_nli", "load_nli"):
        from baton.verifiers import nli

        return getattr(nli, name)
    if name in ("check_llm_judge", "LLMJudge"):
        from baton.verifiers import judge

        return getattr(judge, name)
    raise AttributeError(name)


__all__ = [
    "ALL_CHECKS",
    "CHECKS",
    "DEFAULT_CHECKS",
    "OPTIONAL_CHECKS",
    "CheckSpec",
    "ConfiguredVerifier",
    "LLMJudge",
    "aggregate",
    "check_entailment",
    "check_entities",
    "check_hedging",
    "check_lexical",
    "check_llm_judge",
    "check_negation",
    "check_nli",
    "check_numbers",
    "check_phrases",
    "check_semantic",
    "default_verifier",
    "features",
    "load_nli",
    "verify",
]
