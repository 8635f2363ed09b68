"""The offline engine: deterministic and real, no network, no model.

- ``research`` ranks every sentence of every source for the question with BM25 (bm25s).
- ``analyze`` makes claims with citations: for ``answer`` tasks the answer-bearing sentences
  (the best-ranked passages, skipping ones the verifier refused); for ``check`` tasks the draft
  split into sentences (pysbd), each cited to its best-matching passage over all sources.
- ``write`` composes the answer from verified claims, each followed by its citations.
"""

from __future__ import annotations

from baton.answer import compose_answer
from baton.contracts import Claim, Evidence, Handoff, Route, Task, Verdict
from baton.engines.base import SupervisorView
from baton.text import PassageIndex, sentence_spans, tokens

RESEARCH_K = 12
"""Passages research keeps, best first."""
DEFAULT_ANSWER_CLAIMS = 3
"""Claims an answer carries when the task sets no ``constraints.max_claims``."""
MIN_WORDS, MAX_WORDS = 5, 80
"""Sentence length (words) that can stand as a claim; shorter or longer passages are menus or dumps."""


def research_query(task: Task) -> str:
    """What passages are ranked for: the question, plus the draft in ``check`` tasks."""
    return task.question if task.kind == "answer" else f"{task.question}\n{task.draft or ''}"


def _words(text: str) -> int:
    return len(text.split())


class OfflineEngine:
    """Deterministic specialists (see module docstring). Stateless; safe to share."""

    name = "offline"
    usage = 0
    local = True  # CPU work only: its turns run inline (see baton.graph.build)

    def route(self, task: Task, view: SupervisorView) -> Route:
        return Route(next=view.suggested, reason="deterministic plan")

    def research(self, task: Task, handoff: Handoff) -> list[Evidence]:
        return PassageIndex.build(task.sources).search(research_query(task), k=RESEARCH_K)

    def analyze(
        self,
        task: Task,
        handoff: Handoff,
        passages: list[Evidence],
        previous: list[Claim],
        verdicts: list[Verdict],
    ) -> list[Claim]:
        if task.kind == "check":
            return self._split_draft(task)
        return self._answer_claims(task, passages, previous, verdicts)

    def _split_draft(self, task: Task) -> list[Claim]:
        draft = task.draft or ""
        index = PassageIndex.build(task.sources)
        claims: list[Claim] = []
        for start, end in sentence_spans(draft):
            text = draft[start:end].strip()
            if not tokens(text):
                continue
            cites = index.search(text, k=2)
            claims.append(
                Claim(id=f"c{len(claims) + 1}", text=text, citations=cites, author="draft")
            )
        return claims

    def _answer_claims(
        self, task: Task, passages: list[Evidence], previous: list[Claim], verdicts: list[Verdict]
    ) -> list[Claim]:
        by_id = {v.claim_id: v for v in verdicts}
        keep = [
            c for c in previous if by_id.get(c.id) is not None and by_id[c.id].label == "supported"
        ]
        refused = {c.text for c in previous if c not in keep}
        limit = task.constraints.max_claims or DEFAULT_ANSWER_CLAIMS
        used = {c.text for c in keep}
        seen_tokens: list[set[str]] = [set(tokens(c.text)) for c in keep]
        next_id = 1 + max((int(c.id[1:]) for c in previous if c.id[1:].isdigit()), default=0)
        out = list(keep)
        for p in passages:
            if len(out) >= limit:
                break
            if (
                p.text in used
                or p.text in refused
                or not (MIN_WORDS <= _words(p.text) <= MAX_WORDS)
            ):
                continue
            toks = set(tokens(p.text))
            if any(len(toks & s) >= 0.8 * max(1, len(toks)) for s in seen_tokens):
                continue  # near-duplicate of a sentence already in the answer
            out.append(
                Claim(id=f"c{next_id}", text=p.text.strip(), citations=[p], author="analyze")
            )
            next_id += 1
            used.add(p.text)
            seen_tokens.append(toks)
        return out

    def write(
        self, task: Task, handoff: Handoff, claims: list[Claim], verdicts: list[Verdict]
    ) -> str:
        return compose_answer(task, claims, verdicts)


__all__ = ["DEFAULT_ANSWER_CLAIMS", "OfflineEngine", "compose_answer", "research_query"]
