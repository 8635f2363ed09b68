import math

import pytest

from baton.contracts import CheckResult, Evidence
from baton.verifiers.aggregate import LogisticModel, aggregate, features, load_models
from baton.verifiers.training import fit_logistic, grouped_folds

E = Evidence(source_id="s", start=0, end=4, text="text")
MODEL = LogisticModel(("lexical", "numbers"), (4.0, 2.0), -4.0, (0.5, 1.0))


def r(check, label, score, evidence=(E,)):
    return CheckResult(check=check, label=label, score=score, evidence=list(evidence))


def test_features_from_results():
    f = features(
        [
            r("lexical", "supported", 0.8),
            r("numbers", "contradicted", 0.0),
            r("negation", None, 1.0),
        ]
    )
    assert f == {"lexical": 0.8, "numbers": 0.0, "numbers_conflict": 1.0, "negation": 0.0}


def test_supported_when_probability_passes_threshold():
    v = aggregate(
        "c", [r("lexical", "supported", 1.0), r("numbers", "supported", 1.0)], model=MODEL
    )
    assert v.label == "supported"
    assert v.confidence == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert v.evidence == [E]


def test_contradicted_needs_a_contradicting_check_and_coverage():
    results = [r("lexical", "unsupported", 0.6), r("numbers", "contradicted", 0.0)]
    v = aggregate("c", results, model=MODEL)
    assert v.label == "contradicted"
    assert v.confidence == pytest.approx(1 - 1 / (1 + math.exp(-(-4.0 + 2.4))))
    low = aggregate(
        "c", [r("lexical", "unsupported", 0.2), r("numbers", "contradicted", 0.0)], model=MODEL
    )
    assert low.label == "unsupported"


def test_missing_feature_takes_its_mean():
    # numbers absent -> mean 1.0 -> z = -4 + 4*1.0 + 2*1.0 = 2
    v = aggregate("c", [r("lexical", "supported", 1.0)], model=MODEL)
    assert v.confidence == pytest.approx(1 / (1 + math.exp(-2.0)))


def test_shipped_models_load_and_weigh_lexical_support_up():
    models = load_models()
    assert "base" in models
    base = models["base"]
    assert base.coef[base.features.index("lexical")] > 0
    assert base.probability({"lexical": 1.0}) > base.probability({"lexical": 0.0})


def test_fit_logistic_learns_the_sign_and_folds_group():
    rows = [{"lexical": x / 10} for x in range(11)] * 4
    labels = [x / 10 > 0.5 for x in range(11)] * 4
    m = fit_logistic(rows, labels, ["lexical"])
    assert m.coef[0] > 0 and m.probability({"lexical": 0.9}) > 0.5 > m.probability({"lexical": 0.1})
    folds = grouped_folds(["a", "b", "a", "c", "b"], k=2, seed=1)
    assert folds[0] == folds[2] and folds[1] == folds[4]
