"""The trained entailment model: a cross-encoder (claim, evidence window) -> P(supported),
run by ``onnxruntime`` with a ``tokenizers`` tokenizer (no torch at run time).

Model: all-MiniLM-L6-v2 (6-layer BERT, 22.7 M parameters; Reimers & Gurevych, Sentence-BERT,
EMNLP 2019) fine-tuned as a binary cross-encoder by ``scripts/train_entailment.py`` on
``verifier-train.jsonl`` (never its FaithBench rows) plus rule-based hard negatives (FactCC-style
corruptions of supported claims), exported to ONNX and quantised to int8. The weights, the
tokenizer, ``meta.json`` (what it was trained on, ``max_length``, calibration) and the model card
live in ``MODEL_DIR``; nothing is downloaded.

Long sources are scored in windows, as SummaC and MiniCheck do: the source is cut into
sentences (``baton.verifiers.passages.sentence_spans``), grouped into windows of
``WINDOW_SENTENCES`` consecutive sentences that overlap by one sentence, the ``top_k`` windows
with the highest IDF-weighted coverage of the claim's content terms are scored, and the claim's
probability is the maximum over them. A claim of more than ``SPLIT_WORDS`` words (a whole summary) is scored
sentence by sentence and gets the *minimum* over its sentences of that maximum: every sentence
must be supported somewhere in the source.

Shapes and units: probabilities are float32 in [0, 1]; spans are ``(start, end)`` character
offsets into the source text, end exclusive.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baton.errors import ConfigError
from baton.verifiers.passages import content_terms, sentence_spans

MODEL_DIR = Path(__file__).parent / "models" / "entailment"
"""The shipped model: ``model.onnx``, ``tokenizer.json``, ``meta.json``, ``MODEL_CARD.md``."""

MODEL_FILES = ("model.onnx", "tokenizer.json", "meta.json")
WINDOW_SENTENCES = 2
"""Sentences per window; consecutive windows share one sentence (stride ``WINDOW_SENTENCES - 1``)."""
TOP_K = 3
"""Windows scored per claim sentence by default (the best-covering ones)."""
SPLIT_WORDS = 30
"""A claim of more words than this (e.g. a whole summary) is scored sentence by sentence."""
MIN_CLAIM_SENTENCE_WORDS = 4
"""A claim piece shorter than this (e.g. "Yes.") is joined to its neighbour, not scored alone."""
BATCH = 1
"""Pairs per onnxruntime call. One: int8 dynamic quantisation computes the activation scales
over the whole batch (padding included), so in a batch a pair's score would depend on its
batch mates (by up to ~0.01); run alone, every pair always gets the same score."""


@dataclass(frozen=True)
class ClaimScore:
    """P(supported) of a claim against one source, and the window that decided it.

    ``probability``: float in [0, 1]. ``start``/``end``: character offsets into the source of
    the best window of the claim's weakest sentence (0, 0 for an empty source).
    """

    probability: float
    start: int
    end: int


def windows(source: str, size: int = WINDOW_SENTENCES) -> list[tuple[int, int]]:
    """Windows of ``size`` consecutive sentences of ``source`` overlapping by one sentence, as
    ``(start, end)`` character offsets; one window when the source has at most ``size``
    sentences, none for an empty source."""
    spans = sentence_spans(source)
    if not spans:
        return []
    if len(spans) <= size:
        return [(spans[0][0], spans[-1][1])]
    stride = max(size - 1, 1)
    out = []
    for i in range(0, len(spans), stride):
        j = min(i + size, len(spans))
        out.append((spans[i][0], spans[j - 1][1]))
        if j == len(spans):
            break
    return out


def claim_sentences(claim: str) -> list[str]:
    """The sentences of ``claim`` (pieces shorter than ``MIN_CLAIM_SENTENCE_WORDS`` words joined
    to a neighbour); ``[claim]`` when it has one sentence."""
    pieces = [claim[s:e] for s, e in sentence_spans(claim)]
    out: list[str] = []
    for p in pieces:
        if out and (len(p.split()) < MIN_CLAIM_SENTENCE_WORDS or len(out[-1].split()) < 4):
            out[-1] = f"{out[-1]} {p}"
        else:
            out.append(p)
    return out or [claim]


def claim_pieces(claim: str) -> list[str]:
    """What is scored of ``claim``: ``[claim]`` up to ``SPLIT_WORDS`` words (a dialogue turn
    is judged whole), else ``claim_sentences(claim)``."""
    return [claim] if len(claim.split()) <= SPLIT_WORDS else claim_sentences(claim)


def rank_windows(
    claim: str, source: str, spans: Sequence[tuple[int, int]], k: int
) -> list[tuple[int, int]]:
    """The ``k`` spans of ``source`` with the highest IDF-weighted coverage of ``claim``'s
    content terms (IDF over ``spans``), best first; ties keep source order."""
    if len(spans) <= k:
        return list(spans)
    terms = set(content_terms(claim))
    if not terms:
        return list(spans[:k])
    span_terms = [set(content_terms(source[s:e])) for s, e in spans]
    n = len(spans)
    idf = {t: math.log(1.0 + n / (1 + sum(t in st for st in span_terms))) for t in terms}
    scored = sorted(range(n), key=lambda i: (-math.fsum(idf[t] for t in terms & span_terms[i]), i))
    return [spans[i] for i in scored[:k]]


class EntailmentModel:
    """A loaded cross-encoder. Build with ``EntailmentModel.load()``.

    ``meta``: the model's ``meta.json`` (``trained_on``: dataset names of its training data,
    ``max_length``: tokens per (claim, window) pair, ``calibration``: ``{"a", "b"}`` of
    P = sigmoid(a * logit + b), training figures).
    """

    def __init__(self, session: Any, tokenizer: Any, meta: dict, path: Path):
        self.session = session
        self.tokenizer = tokenizer
        self.meta = meta
        self.path = path
        self._inputs = {i.name for i in session.get_inputs()}
        cal = meta.get("calibration") or {}
        self._a = float(cal.get("a", 1.0))
        self._b = float(cal.get("b", 0.0))

    @classmethod
    def load(cls, path: str | Path | None = None, *, threads: int = 1) -> EntailmentModel:
        """Load the model in ``path`` (default ``MODEL_DIR``) on CPU with ``threads`` intra-op
        threads. Raises ``ConfigError`` when the directory or one of ``MODEL_FILES`` is missing,
        or when ``onnxruntime`` / ``tokenizers`` are not installed."""
        path = Path(path) if path is not None else MODEL_DIR
        if not path.is_dir():
            raise ConfigError(f"entailment model directory not found: {path}")
        missing = [f for f in MODEL_FILES if not (path / f).is_file()]
        if missing:
            raise ConfigError(f"entailment model in {path} lacks {', '.join(missing)}")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigError(
                f"the entailment model needs onnxruntime and tokenizers; missing: {exc.name}"
            ) from exc
        meta = json.loads((path / "meta.json").read_text())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(
            str(path / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.enable_truncation(int(meta["max_length"]), strategy="longest_first")
        tokenizer.no_padding()
        return cls(session, tokenizer, meta, path)

    @property
    def trained_on(self) -> list[str]:
        """Dataset names (the jsonl ``dataset`` field) of the model's training data."""
        return list(self.meta.get("trained_on", []))

    def logits(self, claims: Sequence[str], windows: Sequence[str]) -> np.ndarray:
        """Raw (uncalibrated) logits per (claim, window) pair, float32, shape (n,)."""
        if len(claims) != len(windows):
            raise ValueError(f"{len(claims)} claims but {len(windows)} windows")
        if not claims:
            return np.zeros(0, dtype=np.float32)
        encs = self.tokenizer.encode_batch(list(zip(claims, windows, strict=True)))
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out = np.zeros(len(encs), dtype=np.float32)
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for r, i in enumerate(idx):
                e = encs[i]
                n = len(e.ids)
                ids[r, :n] = e.ids
                mask[r, :n] = 1
                types[r, :n] = e.type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            (logit,) = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
            out[idx] = np.asarray(logit, dtype=np.float32).reshape(len(idx))
        return out

    def score_pairs(self, claims: Sequence[str], windows: Sequence[str]) -> np.ndarray:
        """P(supported) per (claim, window) pair: float32 in [0, 1], shape (n,). Inputs longer
        than ``meta["max_length"]`` tokens are truncated, the longer text first."""
        z = self._a * self.logits(claims, windows) + self._b
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def score_claim(
        self,
        claim: str,
        source: str,
        *,
        top_k: int = TOP_K,
        spans: Sequence[tuple[int, int]] | None = None,
    ) -> ClaimScore:
        """P(supported) of ``claim`` against ``source``: each claim sentence is scored against
        the ``top_k`` best-covering windows (``spans`` if given, e.g. from the pipeline's
        retrieval, else ``windows(source)``) and takes the maximum; the claim takes the minimum
        over its sentences. An empty source gives probability 0.0."""
        cands = list(spans) if spans is not None else windows(source)
        if not cands:
            return ClaimScore(0.0, 0, 0)
        sents = claim_pieces(claim)
        pairs: list[tuple[int, tuple[int, int]]] = []
        for si, sent in enumerate(sents):
            for span in rank_windows(sent, source, cands, top_k):
                pairs.append((si, span))
        probs = self.score_pairs(
            [sents[si] for si, _ in pairs], [source[s:e] for _, (s, e) in pairs]
        )
        best: list[tuple[float, tuple[int, int]]] = [(-1.0, (0, 0))] * len(sents)
        for (si, span), p in zip(pairs, probs, strict=True):
            if p > best[si][0]:
                best[si] = (float(p), span)
        prob, (start, end) = min(best, key=lambda x: x[0])
        return ClaimScore(prob, start, end)


__all__ = [
    "MODEL_DIR",
    "TOP_K",
    "WINDOW_SENTENCES",
    "ClaimScore",
    "EntailmentModel",
    "claim_pieces",
    "claim_sentences",
    "rank_windows",
    "windows",
]
