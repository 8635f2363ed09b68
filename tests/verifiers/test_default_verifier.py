"""The verifier runs use, from settings: ``BATON_VERIFIER_CHECKS`` and ``BATON_NLI_MODEL``."""

from __future__ import annotations

import pytest

from baton.contracts import Claim, Source
from baton.errors import ConfigError
from baton.settings import Settings
from baton.verifiers import ConfiguredVerifier, default_verifier, verify
from baton.verifiers import nli as nli_module
from baton.verifiers.nli import NLIModel, label_indices

SOURCES = [Source(id="s", text="The bridge opened in 1963. It is 2,350 metres long.")]
CLAIMS = [Claim(id="c1", text="The bridge opened in 1963.", author="write")]


class FakeNLI(NLIModel):
    """An NLI model without weights: entailment 0.9 for every pair, no contradiction."""

    def __init__(self) -> None:
        super().__init__(tokenizer=None, model=None, entailment=0, contradiction=None)
        self.pairs: list[tuple[str, str]] = []

    def probabilities(self, premise: str, hypothesis: str) -> tuple[float, float]:
        self.pairs.append((premise, hypothesis))
        return 0.9, 0.0


@pytest.fixture
def fake_nli(monkeypatch, tmp_path):
    """``load_nli`` patched to return a ``FakeNLI`` for the path it was given."""
    model = FakeNLI()
    loaded: list[str] = []

    def load(path):
        loaded.append(str(path))
        return model

    monkeypatch.setattr(nli_module, "load_nli", load)
    return model, loaded


def test_settings_read_the_verifier_variables(monkeypatch):
    assert (Settings.from_env().verifier_checks, Settings.from_env().nli_model) == (None, None)
    monkeypatch.setenv("BATON_VERIFIER_CHECKS", " lexical, ,numbers,")
    monkeypatch.setenv("BATON_NLI_MODEL", "/models/minicheck")
    s = Settings.from_env()
    assert (s.verifier_checks, s.nli_model) == (("lexical", "numbers"), "/models/minicheck")


def test_without_settings_runs_use_plain_verify():
    assert default_verifier(Settings()) is verify


def test_named_checks_are_the_checks_every_verdict_carries():
    v = default_verifier(Settings(verifier_checks=("lexical", "numbers")))
    assert isinstance(v, ConfiguredVerifier) and v.local
    (verdict,) = v(CLAIMS, SOURCES)
    assert [r.check for r in verdict.checks] == ["lexical", "numbers"]
    assert verdict.label == "supported"


def test_unusable_settings_are_refused_when_the_verifier_is_built(tmp_path):
    with pytest.raises(ConfigError, match="telepathy"):
        default_verifier(Settings(verifier_checks=("lexical", "telepathy")))
    with pytest.raises(ConfigError, match="llm_judge"):
        default_verifier(Settings(verifier_checks=("llm_judge",)))
    with pytest.raises(ConfigError, match="not a directory"):
        default_verifier(Settings(nli_model=str(tmp_path / "missing")))


def test_an_nli_model_from_settings_adds_the_nli_check(fake_nli):
    model, loaded = fake_nli
    v = default_verifier(Settings(nli_model="/models/mnli"))
    (verdict,) = v(CLAIMS, SOURCES)
    assert loaded == ["/models/mnli"]
    assert [r.check for r in verdict.checks][-1] == "nli"
    nli = verdict.checks[-1]
    assert (nli.label, nli.score) == ("supported", 0.9)
    assert model.pairs[0][1] == CLAIMS[0].text  # the claim is the hypothesis
    named = default_verifier(Settings(verifier_checks=("lexical",), nli_model="/models/mnli"))
    assert named.checks == ("lexical", "nli")


@pytest.mark.parametrize(
    "id2label, expected",
    [
        ({0: "entailment", 1: "neutral", 2: "contradiction"}, (0, 2)),
        ({"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}, (2, 0)),
        ({0: "unsupported", 1: "supported"}, (1, None)),
        ({0: "hallucinated", 1: "consistent"}, (1, None)),
    ],
)
def test_label_indices_find_the_entailment_and_contradiction_classes(id2label, expected):
    assert label_indices(id2label) == expected


def test_unnamed_labels_are_refused_rather_than_guessed():
    with pytest.raises(ConfigError, match="no entailment class"):
        label_indices({0: "LABEL_0", 1: "LABEL_1"})
