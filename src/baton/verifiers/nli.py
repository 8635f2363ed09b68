"""The NLI check (optional): a natural-language-inference model read from a *local* path.

Any Hugging Face sequence-classification checkpoint whose ``config.id2label`` names an
entailment class works: three-way MNLI/ANLI models (entailment / neutral / contradiction, e.g.
the DeBERTa and RoBERTa models behind SummaC and AlignScore-style checkers) and two-way
fact-checkers whose positive class is named ``supported`` / ``consistent`` (MiniCheck-style;
no contradiction class, so they never say contradicted). Nothing is downloaded: pass a
directory that holds the weights, in code (``load_nli``) or for every run with
``BATON_NLI_MODEL``. Needs ``transformers`` and torch (``pip install 'baton[nli]'``).

The evidence span is the premise and the claim the hypothesis (the MNLI convention).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    contradiction: int | None

    def probabilities(self, premise: str, hypothesis: str) -> tuple[float, float]:
        """``(P(entailment), P(contradiction))`` for one pair, inputs truncated to 512 tokens;
        P(contradiction) is 0.0 for a model without a contradiction class."""
        import torch

        batch = self.tokenizer(
            premise, hypothesis, truncation=True, max_length=512, return_tensors="pt"
        )
        with torch.no_grad():
            probs = self.model(**batch).logits.softmax(-1)[0].tolist()
        con = 0.0 if self.contradiction is None else float(probs[self.contradiction])
        return float(probs[self.entailment]), con


ENTAILMENT_NAMES = ("entail", "support", "consistent", "faithful")
CONTRADICTION_NAMES = ("contradict", "refute")
"""Label-name prefixes (lower case) of the entailment and contradiction classes."""


def label_indices(id2label: Mapping[Any, Any]) -> tuple[int, int | None]:
    """``(entailment, contradiction)`` class indices from a model's ``id2label``, by name
    prefix (``ENTAILMENT_NAMES``, ``CONTRADICTION_NAMES``; ``unsupported`` does not count as
    ``support``). Raises ``ConfigError`` when no class names entailment, e.g. ``LABEL_0`` /
    ``LABEL_1``: a guess would silently invert the check."""
    labels = {int(i): str(v).lower() for i, v in id2label.items()}
    ent = [i for i, v in sorted(labels.items()) if v.startswith(ENTAILMENT_NAMES)]
    con = [i for i, v in sorted(labels.items()) if v.startswith(CONTRADICTION_NAMES)]
    if not ent:
        raise ConfigError(
            f"NLI model labels {labels} name no entailment class (one starting with "
            f"{', '.join(ENTAILMENT_NAMES)}); set config.id2label in the model's config.json"
        )
    return ent[0], (con[0] if con else None)


def load_nli(path: str | Path) -> NLIModel:
    """Load an NLI classifier from a local directory. Raises ``ConfigError`` when the path does
    not exist, the ``nli`` extra is missing, or the labels name no entailment class
    (``label_indices``)."""
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
    entailment, contradiction = label_indices(model.config.id2label)
    return NLIModel(tokenizer, model, entailment, contradiction)


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
