"""The NLI check (optional): a natural-language-inference model read from a *local* path.

Any Hugging Face sequence-classification checkpoint whose ``config.id2label`` names
entailment / neutral / contradiction classes works (e.g. a DeBERTa or RoBERTa model fine-tuned
on MNLI/ANLI, the models behind SummaC and AlignScore-style checkers). Nothing is downloaded:
pass a directory that holds the weights. Needs ``transformers`` and torch
(``pip install 'baton[nli]'``).

The evidence span is the premise and the claim the hypothesis (the MNLI convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.contracts import CheckResult, Claim, Evidence
from baton.errors import ConfigError
from baton.verifiers._common import claim_text, result

NAME = "nli"


@dataclass
class NLIModel:
    """A loaded NLI classifier: ``tokenizer``, ``model`` and the index of each class."""

    tokenizer: Any
    model: Any
    entailment: int
    contradiction: int

    def probabilities(self, premise: str, hypothesis: str) -> tuple[float, float]:
        """``(P(entailment), P(contradiction))`` for one pair, inputs truncated to 512 tokens."""
        import torch

        batch = self.tokenizer(
            premise, hypothesis, truncation=True, max_length=512, return_tensors="pt"
        )
        with torch.no_grad():
            probs = self.model(**batch).logits.softmax(-1)[0].tolist()
        return float(probs[self.entailment]), float(probs[self.contradiction])


def load_nli(path: str | Path) -> NLIModel:
    """Load an NLI classifier from a local directory. Raises ``ConfigError`` when the path does
    not exist, the ``nli`` extra is missing, or the labels name no entailment/contradiction."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"NLI model path {str(path)!r} is not a directory with model weights")
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the NLI check needs the optional extra: pip install 'baton[nli]'"
        ) from exc
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True).eval()
    labels = {i: str(v).lower() for i, v in model.config.id2label.items()}
    ent = [i for i, v in labels.items() if v.startswith("entail")]
    con = [i for i, v in labels.items() if v.startswith("contradict")]
    if not ent or not con:
        raise ConfigError(f"model at {path} has labels {labels}; need entailment and contradiction")
    return NLIModel(tokenizer, model, ent[0], con[0])


def check_nli(claim: Claim | str, evidence: Sequence[Evidence], *, model: NLIModel) -> CheckResult:
    """Entailment of the claim by its best evidence span according to an NLI ``model``.

    ``score`` = the highest entailment probability over spans; ``label`` ``supported`` when it
    exceeds 0.5, ``contradicted`` when some span's contradiction probability exceeds 0.5 and
    its entailment, else ``unsupported``.
    """
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no evidence span")
    text = claim_text(claim)
    probs = [model.probabilities(e.text, text) for e in evidence]
    i = max(range(len(probs)), key=lambda j: probs[j][0])
    ent = probs[i][0]
    if ent > 0.5:
        return result(NAME, "supported", ent, f"entailment {ent:.2f}", [evidence[i]])
    j = max(range(len(probs)), key=lambda k: probs[k][1])
    if probs[j][1] > 0.5 and probs[j][1] > probs[j][0]:
        return result(NAME, "contradicted", ent, f"contradiction {probs[j][1]:.2f}", [evidence[j]])
    return result(NAME, "unsupported", ent, f"entailment {ent:.2f}", [evidence[i]])
