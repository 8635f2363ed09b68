"""The check registry: one entry per check, read by the pipeline and the aggregator."""

from __future__ import annotations

import pytest

from baton.contracts import CheckResult, Claim, Source
from baton.errors import ConfigError
from baton.settings import Settings
from baton.verifiers import ConfiguredVerifier, default_verifier, pipeline, verify
from baton.verifiers.aggregate import aggregate, load_models
from baton.verifiers.entailment import ClaimScore
from baton.verifiers.entailment_check import check_entailment
from baton.verifiers.registry import (
    ALL_CHECKS,
    BY_NAME,
    DEFAULT_CHECKS,
    FEATURE_CHECK,
    FEATURES,
    OPTIONAL_CHECKS,
    features,
)

SOURCE = "The Evergreen Point Floating Bridge opened in 1963. It carries State Route 520."


class FakeEntailment:
    """P(supported) 0.9 when the window states 1963, else 0.2; records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list[tuple[int, int]]]] = []

    def score_claim(self, claim, source, *, top_k, spans):
        self.calls.append((claim, source, list(spans)))
        for s, e in spans:
            if "1963" in source[s:e]:
                return ClaimScore(0.9 if "1963" in claim else 0.2, s, e)
        return ClaimScore(0.2, *spans[0])


def test_the_registry_lists_every_check_once():
    assert DEFAULT_CHECKS == ("lexical", "phrases", "numbers", "entities", "negation", "hedging")
    assert OPTIONAL_CHECKS == (
        "semantic",
        "alignment",
        "weakest_part",
        "entailment",
        "nli",
        "llm_judge",
    )
    assert set(ALL_CHECKS) == set(BY_NAME)
    assert FEATURES == (
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
        "entailment",
    )
    assert FEATURE_CHECK["numbers_conflict"] == "numbers"
    for model in load_models().values():
        assert set(model.features) <= set(FEATURES)


def test_features_come_from_the_registry_entries():
    results = [
        CheckResult(check="lexical", label="supported", score=0.8),
        CheckResult(check="numbers", label="contradicted", score=0.0),
        CheckResult(check="negation", label=None, score=0.5),
        CheckResult(check="entailment", label="supported", score=0.7),
        CheckResult(check="verifier", label="unsupported", score=0.0),
    ]
    assert features(results) == {
        "lexical": 0.8,
        "numbers": 0.0,
        "numbers_conflict": 1.0,
        "negation": 0.5,
        "entailment": 0.7,
    }


def test_the_entailment_check_needs_its_model():
    with pytest.raises(ConfigError, match="the entailment check needs entailment_model="):
        verify([Claim(id="c", text="It opened in 1963.", author="a")], [], checks=["entailment"])


def test_the_entailment_check_scores_the_retrieved_windows():
    fake = FakeEntailment()
    claim = Claim(id="c", text="The Evergreen Point Floating Bridge opened in 1963.", author="a")
    v = verify([claim], [Source(id="s", text=SOURCE)], entailment_model=fake)[0]
    ent = next(r for r in v.checks if r.check == "entailment")
    assert (ent.label, ent.score) == ("supported", pytest.approx(0.9))
    assert ent.evidence[0].text == "The Evergreen Point Floating Bridge opened in 1963."
    assert [r.check for r in v.checks] == [*DEFAULT_CHECKS, "entailment"]
    assert fake.calls[0][0] == claim.text


def test_check_entailment_without_evidence():
    r = check_entailment("It opened in 1963.", [], model=FakeEntailment())
    assert (r.label, r.score, r.detail) == ("unsupported", 0.0, "no evidence span")


def test_an_aggregator_set_with_the_entailment_feature_is_chosen_when_it_ran():
    from baton.verifiers.aggregate import LogisticModel, choose_model

    base = LogisticModel(("lexical",), (1.0,), 0.0, (0.5,))
    ent = LogisticModel(("lexical", "entailment"), (1.0, 1.0), 0.0, (0.5, 0.5))
    models = {"base": base, "entailment": ent}
    ran = [CheckResult(check="lexical", label=None, score=1.0)]
    assert choose_model(ran, models) is base
    ran.append(CheckResult(check="entailment", label=None, score=1.0))
    assert choose_model(ran, models) is ent


def test_the_model_is_switched_off_by_setting_or_by_naming_checks(monkeypatch):
    loaded = []
    monkeypatch.setattr(pipeline, "ENTAILMENT_BY_DEFAULT", True)
    from baton.verifiers import entailment

    monkeypatch.setattr(
        entailment.EntailmentModel,
        "load",
        classmethod(lambda cls, *a, **k: loaded.append(1) or FakeEntailment()),
    )
    on = default_verifier(Settings())
    assert isinstance(on, ConfiguredVerifier) and "entailment" in on.checks and loaded == [1]
    monkeypatch.setenv("BATON_VERIFIER_MODEL", "off")
    assert Settings.from_env().verifier_model is False
    assert default_verifier(Settings.from_env()) is verify
    assert default_verifier(Settings(verifier_model=False)) is verify
    named = default_verifier(Settings(verifier_checks=("lexical", "numbers")))
    assert named.checks == ("lexical", "numbers") and named.entailment_model is None
    assert loaded == [1]


def test_a_contradicting_check_under_a_supported_verdict_is_named_in_dissent():
    results = [
        CheckResult(check="lexical", label="supported", score=1.0),
        CheckResult(check="numbers", label="contradicted", score=0.0),
        CheckResult(check="entities", label="supported", score=1.0),
    ]
    from baton.verifiers.aggregate import LogisticModel

    model = LogisticModel(("lexical",), (10.0,), -5.0, (0.5,))
    v = aggregate("c", results, model=model)
    assert (v.label, v.dissent) == ("supported", ["numbers"])
    assert aggregate("c", results[:1] + results[2:], model=model).dissent == []
    # the negation check vetoes: its contradiction overrides the regression
    veto = [*results[:1], CheckResult(check="negation", label="contradicted", score=0.0)]
    v = aggregate("c", veto, model=model)
    assert (v.label, v.confidence, v.dissent) == ("contradicted", 0.5, [])
    assert aggregate("c", veto, model=model, veto=False).label == "supported"
