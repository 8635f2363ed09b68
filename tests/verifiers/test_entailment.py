"""The shipped entailment model (``baton.verifiers.entailment``): loads offline from the
repository, reproduces the training framework's scores through ONNX, and the behaviour of the
shipped weights on must-pass / must-fail pairs. No torch: the torch scores were stored at export
time by ``scripts/train_entailment.py`` (``entailment_parity.json``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from baton.errors import ConfigError
from baton.verifiers.entailment import (
    MODEL_DIR,
    ClaimScore,
    EntailmentModel,
    claim_pieces,
    claim_sentences,
    rank_windows,
    windows,
)

META_TRAINED_ON = ["begin", "citation-integrity", "faithdial-audit", "summedits"]
KNOWN_MISSES = {"changed number", "changed amount", "swapped entity", "added cause", "unrelated"}
PARITY = json.loads((Path(__file__).parent / "entailment_parity.json").read_text())
INT8_VS_TORCH_LOGIT_TOL = 0.3
"""Largest allowed |logit| difference between the int8 ONNX file and torch's fp32 model on the
parity pairs: dynamic int8 quantisation (per-tensor weight scales) of the shipped file moves the
logits by up to 0.256 (measured; 0.12 in probability). The fp32 ONNX export matched torch within 1e-4 at export time (checked below from the
fixture); the int8 file must reproduce its own stored logits within 1e-4."""


@pytest.fixture(scope="module")
def model() -> EntailmentModel:
    return EntailmentModel.load()


def test_missing_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="entailment model directory not found"):
        EntailmentModel.load(tmp_path / "nope")


def test_missing_file_is_a_config_error(tmp_path):
    shutil.copy(MODEL_DIR / "meta.json", tmp_path / "meta.json")
    shutil.copy(MODEL_DIR / "tokenizer.json", tmp_path / "tokenizer.json")
    with pytest.raises(ConfigError, match=r"lacks model\.onnx"):
        EntailmentModel.load(tmp_path)


def test_shipped_model_is_in_the_repository_and_never_saw_faithbench(model):
    assert model.path == MODEL_DIR
    assert model.trained_on == META_TRAINED_ON
    assert "faithbench" not in model.trained_on
    assert model.meta["max_length"] == 128


def test_fp32_export_matched_torch_at_export_time():
    torch_logits = np.array(PARITY["torch_logits"])
    fp32 = np.array(PARITY["onnx_fp32_logits"])
    assert np.abs(fp32 - torch_logits).max() <= 1e-4


def test_int8_onnx_reproduces_its_stored_scores_and_stays_near_torch(model):
    claims = [c for c, _ in PARITY["pairs"]]
    wins = [w for _, w in PARITY["pairs"]]
    logits = model.logits(claims, wins)
    assert logits.shape == (10,)
    np.testing.assert_allclose(logits, PARITY["onnx_int8_logits"], atol=1e-4)
    assert np.abs(logits - np.array(PARITY["torch_logits"])).max() <= INT8_VS_TORCH_LOGIT_TOL
    probs = model.score_pairs(claims, wins)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs, PARITY["onnx_int8_probabilities"], atol=1e-4)


def test_score_pairs_rejects_unequal_lengths(model):
    with pytest.raises(ValueError, match="2 claims but 1 windows"):
        model.score_pairs(["a", "b"], ["c"])
    assert model.score_pairs([], []).shape == (0,)


SOURCE = (
    "The first line is here. The second line follows. A third line comes. The last line ends it."
)


def test_windows_are_two_sentences_overlapping_by_one():
    assert windows(SOURCE) == [(0, 48), (24, 68), (49, 91)]
    assert [SOURCE[s:e] for s, e in windows(SOURCE)][
        -1
    ] == "A third line comes. The last line ends it."
    assert windows("One sentence only.") == [(0, 18)]
    assert windows("") == []


def test_rank_windows_prefers_the_window_covering_the_claim():
    assert rank_windows("the last line", SOURCE, windows(SOURCE), 1) == [(49, 91)]
    assert rank_windows("anything", SOURCE, windows(SOURCE)[:2], 3) == [(0, 48), (24, 68)]


def test_claim_pieces_split_only_long_claims():
    assert claim_pieces("Yes. The cat sat on the mat.") == ["Yes. The cat sat on the mat."]
    assert claim_sentences("Yes. The cat sat on the mat. It was red and big.") == [
        "Yes. The cat sat on the mat.",
        "It was red and big.",
    ]
    summary = (
        "The council met on Monday to discuss the budget and the new library for the town. "
        "It approved a new park for the town. "
        "The mayor said the park would open in May next year after the works."
    )
    assert len(summary.split()) > 30
    assert claim_pieces(summary) == [
        "The council met on Monday to discuss the budget and the new library for the town.",
        "It approved a new park for the town.",
        "The mayor said the park would open in May next year after the works.",
    ]


def test_empty_source_scores_zero(model):
    assert model.score_claim("The bridge opened in 1932.", "") == ClaimScore(0.0, 0, 0)


EVIDENCE = (
    "The Harbor Bridge was opened in 1932 by the city council of Halden. "
    "It cost 4 million dollars and was designed by Anna Berg."
)
LEASE = "The lease runs for five years. There is no option for renewal."
# (claim, evidence, label by design). "supported" pairs must score >= 0.5, the others < 0.5.
PAIRS = {
    "paraphrase": (
        "In 1932 the city council of Halden inaugurated the Harbor Bridge.",
        EVIDENCE,
        True,
    ),
    "same fact": ("The Harbor Bridge was designed by Anna Berg.", EVIDENCE, True),
    "changed number": ("The Harbor Bridge was opened in 1952.", EVIDENCE, False),
    "changed amount": ("The bridge cost 9 million dollars.", EVIDENCE, False),
    "swapped entity": ("The Harbor Bridge was designed by Peter Lund.", EVIDENCE, False),
    "added negation": ("The Harbor Bridge was not designed by Anna Berg.", EVIDENCE, False),
    "dropped negation": ("The lease can be renewed for a further five years.", LEASE, False),
    "added cause": (
        "The Harbor Bridge was opened in 1932 because of heavy traffic on the old ferry.",
        EVIDENCE,
        False,
    ),
    "unrelated": ("The museum has a large collection of Roman coins.", EVIDENCE, False),
}
SHIPPED_MISSES = set(KNOWN_MISSES)
"""Pairs the shipped weights get wrong (measured, not hidden): each is an xfail(strict=True),
so a retrained model that fixes one makes the test fail until the list is updated."""


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            marks=pytest.mark.xfail(strict=True, reason="a known miss of the shipped model")
            if c in SHIPPED_MISSES
            else (),
        )
        for c in PAIRS
    ],
)
def test_must_pass_and_must_fail_pairs(model, case):
    claim, evidence, supported = PAIRS[case]
    p = float(model.score_pairs([claim], [evidence])[0])
    assert (p >= 0.5) is supported, f"{case}: P(supported) = {p:.3f}"


FILLER = [
    "The weather in the valley is usually mild in spring.",
    "Local farmers grow apples, pears and plums on the hillsides.",
    "A weekly market is held in the old square on Saturdays.",
    "The school was extended with a new gymnasium some years ago.",
    "Hiking trails lead from the village to the lakes above it.",
    "The church bells ring every hour during the day.",
    "Tourists often visit the castle ruins in the summer months.",
    "The railway station has two platforms and a small cafe.",
]
LAST = "The Harbor Bridge was opened in 1932 by the city council of Halden."


def test_only_the_last_window_supports_the_claim(model):
    source = " ".join(FILLER + [LAST])
    claim = "The Harbor Bridge was opened by the Halden city council in 1932."
    spans = windows(source)
    assert len(spans) == 8
    scored = model.score_claim(claim, source)
    assert (scored.start, scored.end) == spans[-1]
    assert source[scored.start : scored.end].endswith(LAST)
    each = model.score_pairs([claim] * len(spans), [source[s:e] for s, e in spans])
    assert scored.probability == pytest.approx(float(each.max()), abs=1e-6)
    assert int(np.argmax(each)) == len(spans) - 1
    without = model.score_claim(claim, " ".join(FILLER))
    assert without.probability < scored.probability
