"""Token-alignment checks (optional extra ``baton[semantic]``): BERTScore-style recall of the
claim's content words against the evidence spans, and the claim word the evidence supports least.

Method: BERTScore (Zhang et al., "BERTScore: Evaluating Text Generation with BERT", ICLR 2020),
recall side. The claim and each evidence span are encoded *separately* by a contextual encoder
(all-MiniLM-L6-v2's last layer, the model of ``baton.verifiers.semantic``); each claim word-piece
is aligned to its most similar word-piece of a span (cosine of the token vectors), a word's
similarity is the mean over its word-pieces, and a content word (``passages.content_terms``:
stop words dropped) takes its best similarity over all the spans. Two scores come out of that
one alignment:

- ``alignment``: the IDF-weighted mean over the claim's content words (IDF from the sources'
  sentences, ``SourceIndex.weights``, when given; else 1 per word): how much of the claim the
  evidence says, paraphrases included;
- ``weakest_part``: the smallest word similarity: low when one part of the claim (a name, a
  date, a relation word) has no counterpart in any span, the usual shape of a claim that is
  only partly supported.

On ``verifier-dev.jsonl`` (claim-grouped 5-fold CV, mean over split seeds 0-9) the two
features added to the ``semantic`` aggregator (the ``aligned`` model) move the mean per-dataset
balanced accuracy from 74.7 to 75.2 (WiCE 75.5 -> 76.6, Factcheck-GPT 74.0 -> 73.8; seeds
10-29: 74.4 -> 75.1). A small gain, chosen among about 15 variants of these features (layers,
thresholds, pooling), so part of it may be selection luck; they cost a second MiniLM pass.

Shapes: a ``TokenEmbedder`` maps a list of ``n`` texts to ``n`` pairs ``(offsets, vectors)``:
``offsets`` the ``(start, end)`` character offsets into that text of each non-special token,
``vectors`` a float array of shape ``(len(offsets), dim)`` (any scale: rows are normalised
here). Similarities are cosines in [-1, 1]; scores are clipped into [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from baton.contracts import CheckResult, Claim, Evidence
from baton.verifiers._common import claim_text, result
from baton.verifiers.passages import WORD, _term

ALIGNMENT = "alignment"
WEAKEST = "weakest_part"
ALIGNMENT_THRESHOLD = 0.7
"""IDF-weighted word alignment at or above which ``alignment`` alone says ``supported``."""
WEAKEST_THRESHOLD = 0.5
"""Below this best cosine a claim word counts as missing from the evidence (``weakest_part``
says ``unsupported``)."""

TokenEmbedder = Callable[[Sequence[str]], list[tuple[list[tuple[int, int]], np.ndarray]]]
"""texts -> per text ``(token character offsets, (n_tokens, dim) token vectors)``."""


def load_token_embedder() -> TokenEmbedder:
    """A ``TokenEmbedder`` over all-MiniLM-L6-v2 (last layer, CPU, one thread, inputs cut at
    the model's 256 word-pieces). Raises ``ConfigError`` when the ``semantic`` extra is
    missing."""
    from baton.verifiers.semantic import load_encoder

    return _minilm_embedder(load_encoder())


@lru_cache(maxsize=2)
def _minilm_embedder(encoder: Any) -> TokenEmbedder:
    import torch

    tokenizer = encoder.tokenizer
    model = encoder[0].auto_model
    max_len = encoder.max_seq_length

    def embed(texts: Sequence[str]) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        batch = tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=max_len,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = batch.pop("offset_mapping").tolist()
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state.numpy()
        mask = batch["attention_mask"].tolist()
        out = []
        for row, (offs, m) in enumerate(zip(offsets, mask, strict=True)):
            keep = [j for j, ((a, b), on) in enumerate(zip(offs, m, strict=True)) if on and b > a]
            out.append(([tuple(offs[j]) for j in keep], hidden[row, keep]))
        return out

    return embed


@dataclass(frozen=True)
class WordAlignment:
    """Per claim content word (in claim order): its text, stemmed term, best cosine over all
    evidence spans and the index of the span giving it."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    similarity: tuple[float, ...]
    span: tuple[int, ...]


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n < 1e-12, 1.0, n)


@lru_cache(maxsize=256)
def align_words(claim: str, spans: tuple[str, ...], embed: TokenEmbedder) -> WordAlignment:
    """Align the claim's content words to the evidence ``spans`` (see the module docstring).
    Content words without a token (cut off by the encoder's length limit) are left out."""
    words = [(m.start(), m.end(), m.group(0)) for m in WORD.finditer(claim)]
    content = [k for k, (_, _, w) in enumerate(words) if _term(w.lower())]
    if not content or not spans:
        return WordAlignment((), (), (), ())
    encoded = embed([claim, *spans])
    offsets, vectors = encoded[0]
    claim_vecs = _unit(vectors)
    # word index of each claim token (-1: punctuation or a token outside any word)
    owner = [next((k for k, (s, e, _) in enumerate(words) if s <= a < e), -1) for a, _ in offsets]
    per_span = []
    for span_offsets, span_vecs in encoded[1:]:
        if not span_offsets:
            per_span.append(np.full(len(offsets), -1.0, dtype=np.float32))
            continue
        per_span.append((claim_vecs @ _unit(span_vecs).T).max(axis=1))
    token_sims = np.stack(per_span)  # (n_spans, n_claim_tokens)
    out_words, out_terms, sims, best_span = [], [], [], []
    for k in content:
        cols = [j for j, o in enumerate(owner) if o == k]
        if not cols:
            continue
        by_span = token_sims[:, cols].mean(axis=1)
        i = int(by_span.argmax())
        out_words.append(words[k][2])
        out_terms.append(_term(words[k][2].lower()))
        sims.append(float(by_span[i]))
        best_span.append(i)
    return WordAlignment(tuple(out_words), tuple(out_terms), tuple(sims), tuple(best_span))


def _alignment(
    claim: Claim | str, evidence: Sequence[Evidence], embedder: TokenEmbedder | None
) -> WordAlignment:
    embed = embedder if embedder is not None else load_token_embedder()
    return align_words(claim_text(claim), tuple(e.text for e in evidence), embed)


def check_alignment(
    claim: Claim | str,
    evidence: Sequence[Evidence],
    *,
    embedder: TokenEmbedder | None = None,
    weights: Mapping[str, float] | None = None,
) -> CheckResult:
    """BERTScore recall of the claim against the evidence spans: the ``weights``-weighted mean
    (default 1 per word; ``SourceIndex.weights`` gives IDF) over the claim's content words of
    each word's best token cosine over all spans. ``score`` in [0, 1]; ``label`` ``supported``
    at ``ALIGNMENT_THRESHOLD`` or above, else ``unsupported``; None when the claim has no
    content word. ``evidence``: the span most claim words align to. Raises ``ConfigError``
    when no ``embedder`` is given and the extra is missing."""
    if not evidence:
        return result(ALIGNMENT, "unsupported", 0.0, "no evidence span")
    a = _alignment(claim, evidence, embedder)
    if not a.words:
        return result(ALIGNMENT, None, 0.0, "the claim has no content words to align")
    w = weights or {}
    ws = [w.get(t, 1.0) for t in a.terms]
    total = sum(ws)
    score = sum(x * s for x, s in zip(ws, a.similarity, strict=True)) / total if total else 0.0
    main = max(set(a.span), key=lambda i: (a.span.count(i), -i))
    label = "supported" if score >= ALIGNMENT_THRESHOLD else "unsupported"
    return result(
        ALIGNMENT,
        label,
        score,
        f"claim words align to the evidence at {score:.2f} (IDF-weighted token cosine)",
        [evidence[main]],
    )


def check_weakest_part(
    claim: Claim | str,
    evidence: Sequence[Evidence],
    *,
    embedder: TokenEmbedder | None = None,
) -> CheckResult:
    """The claim content word with the lowest best token cosine over all evidence spans: a
    part of the claim the evidence may not mention. ``score`` = that cosine clipped to [0, 1];
    ``label`` ``unsupported`` below ``WEAKEST_THRESHOLD``, else ``supported``; None when the
    claim has no content word. ``evidence``: the span that word aligns to best."""
    if not evidence:
        return result(WEAKEST, "unsupported", 0.0, "no evidence span")
    a = _alignment(claim, evidence, embedder)
    if not a.words:
        return result(WEAKEST, None, 0.0, "the claim has no content words to align")
    k = min(range(len(a.words)), key=lambda j: a.similarity[j])
    sim = a.similarity[k]
    label = "supported" if sim >= WEAKEST_THRESHOLD else "unsupported"
    return result(
        WEAKEST,
        label,
        sim,
        f"least supported claim word: {a.words[k]!r} (best token cosine {sim:.2f})",
        [evidence[a.span[k]]],
    )
