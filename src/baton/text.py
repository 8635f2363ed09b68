"""Text utilities shared by the specialists and the verifier: sentence spans with character
offsets (pysbd, Golden Rules segmenter) and BM25 passage ranking (bm25s, Lucene variant).

No langgraph or streamlit import here; this is a leaf module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import pysbd

from baton.contracts import Evidence, Source

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'’][A-Za-z0-9]+)*")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves also s t""".split()
)


def tokens(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased word tokens of ``text`` (numbers kept whole: ``1,500`` and ``3.5`` are one token)."""
    words = [w.lower() for w in _WORD.findall(text)]
    return words if keep_stopwords else [w for w in words if w not in STOPWORDS]


@lru_cache(maxsize=4)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


CHUNK_CHARS = 8_000
"""pysbd is quadratic on one long line; text is cut into pieces of about this many characters
(at whitespace after sentence-ending punctuation, else at any whitespace) before segmenting."""

_CUT = re.compile(r"(?<=[.!?])\s+|\n")


def _chunks(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` pieces of ``text`` of at most about ``CHUNK_CHARS`` characters."""
    pieces, start, n = [], 0, len(text)
    while n - start > CHUNK_CHARS:
        window = text[start : start + CHUNK_CHARS]
        cut = None
        for m in _CUT.finditer(window, CHUNK_CHARS // 2):
            cut = m.end()
        if cut is None:
            ws = window.rfind(" ", CHUNK_CHARS // 2)
            cut = ws + 1 if ws > 0 else CHUNK_CHARS
        pieces.append((start, start + cut))
        start += cut
    pieces.append((start, n))
    return pieces


def _segment(piece: str) -> list[tuple[int, int]]:
    """pysbd's sentences of ``piece`` as ``(start, end)`` offsets, each found with ``str.find``
    after the previous one. (pysbd's own ``char_span`` compiles a regex of every sentence and
    scans the whole text with it: quadratic, and it evicts everything else from ``re``'s
    cache; it was most of the offline engine's CPU time.) Falls back to pysbd's spans if a
    sentence is not found verbatim."""
    segmenter = _segmenter()
    out: list[tuple[int, int]] = []
    pos = 0
    for sent in segmenter.processor(piece).process():
        if not sent:
            continue
        i = piece.find(sent, pos)
        if i < 0:
            return [(p.start, p.end) for p in segmenter.segment(piece)]
        out.append((i, i + len(sent)))
        pos = i + len(sent)
    return out


@lru_cache(maxsize=2048)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence boundaries of ``text`` as ``(start, end)`` character offsets, end exclusive,
    whitespace trimmed, empty sentences dropped. Uses pysbd's rule-based English segmenter
    on pieces of at most about ``CHUNK_CHARS`` characters (linear time on long lines)."""
    spans: list[tuple[int, int]] = []
    for base, stop in _chunks(text):
        piece_text = text[base:stop]
        for piece_start, piece_end in _segment(piece_text):
            start, end = base + piece_start, base + piece_end
            # pysbd may report spans that include surrounding whitespace; trim both sides.
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append((start, end))
    return tuple(spans)


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see ``sentence_spans``)."""
    return [text[s:e] for s, e in sentence_spans(text)]


def passages(sources: Iterable[Source]) -> list[Evidence]:
    """Every sentence of every readable source as an ``Evidence`` span, in source order.
    Sources that look like binary data (``Source.is_binary``) are skipped."""
    out: list[Evidence] = []
    for src in sources:
        if src.is_binary:
            continue
        for s, e in sentence_spans(src.text):
            out.append(Evidence(source_id=src.id, start=s, end=e, text=src.text[s:e]))
    return out


@dataclass
class PassageIndex:
    """A BM25 index (bm25s, method ``lucene``) over sentence passages of a set of sources.

    Build with ``PassageIndex.build(sources)``; ``search(query, k)`` returns up to ``k``
    ``Evidence`` spans with ``score`` set, best first (ties keep source order).
    """

    passages: Sequence[Evidence]
    _retriever: bm25s.BM25 | None
    _vocab: dict[str, int]

    @classmethod
    def build(cls, sources: Iterable[Source]) -> PassageIndex:
        spans = passages(sources)
        corpus = [tokens(p.text) for p in spans]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(w, len(vocab)) for w in doc] for doc in corpus]
        if not vocab:
            return cls(spans, None, vocab)
        retriever = bm25s.BM25(method="lucene")
        retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(spans, retriever, vocab)

    def search(self, query: str, k: int = 5) -> list[Evidence]:
        if self._retriever is None or not self.passages:
            return []
        q = [self._vocab[w] for w in tokens(query) if w in self._vocab]
        if not q:
            return []
        scores = self._retriever.get_scores(q)
        order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
        out = []
        for i in order[:k]:
            if float(scores[i]) <= 0:
                break
            out.append(self.passages[i].model_copy(update={"score": float(scores[i])}))
        return out
