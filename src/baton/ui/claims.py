"""Claims beside their sources: each claim with its verdict badge and checks, and each piece of
evidence highlighted inside its source's text (shown as text, see ``baton.ui.render``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from baton.contracts import Claim, Evidence, Source, Verdict
from baton.ui.render import badge_html, block, escape_text, highlight_html, text_html


def as_models(cls: type, values: Iterable[Any] | None) -> list[Any]:
    """Re-validate models that may come back from a checkpoint as dicts."""
    out = []
    for v in values or []:
        out.append(
            v
            if isinstance(v, cls)
            else cls.model_validate(v.model_dump() if hasattr(v, "model_dump") else v)
        )
    return out


def evidence_by_source(evidence: Iterable[Evidence]) -> dict[str, list[Evidence]]:
    """Evidence spans grouped by source id, in first-seen order."""
    out: dict[str, list[Evidence]] = {}
    for ev in evidence:
        out.setdefault(ev.source_id, []).append(ev)
    return out


def claim_block(
    claim: Claim,
    verdict: Verdict | None,
    sources: Mapping[str, Source],
    *,
    key: str,
    context: int = 300,
) -> None:
    """A claim (left) beside its evidence highlighted in the sources (right). Evidence is the
    verdict's when there is one, else the claim's own citations."""
    left, right = st.columns([2, 3])
    with left:
        st.markdown(
            block(
                badge_html(
                    verdict.label if verdict else None, verdict.confidence if verdict else None
                )
                + f" <code>{escape_text(claim.id)}</code> <small>by {escape_text(claim.author)}</small>"
            ),
            unsafe_allow_html=True,
        )
        st.markdown(text_html(claim.text), unsafe_allow_html=True)
        if verdict and verdict.dissent:
            st.warning(
                f"checks that disagree with {verdict.label}: {', '.join(verdict.dissent)}", icon="⚠️"
            )
        if verdict and verdict.checks:
            with st.expander("checks"):
                st.dataframe(
                    [
                        {
                            "check": c.check,
                            "label": c.label or "n/a",
                            "score": round(c.score, 3),
                            "detail": c.detail,
                        }
                        for c in verdict.checks
                    ],
                    hide_index=True,
                    key=f"{key}_checks",
                )
    with right:
        evidence = list(verdict.evidence) if verdict and verdict.evidence else list(claim.citations)
        if not evidence:
            st.caption("no evidence span")
        for sid, spans in evidence_by_source(evidence).items():
            src = sources.get(sid)
            title = f"{sid}" + (f": {src.title}" if src and src.title else "")
            st.markdown(
                block(f"<small><b>{escape_text(title)}</b></small>"), unsafe_allow_html=True
            )
            if src is None:
                for ev in spans:
                    st.markdown(text_html(ev.text), unsafe_allow_html=True)
                continue
            st.markdown(
                highlight_html(
                    src.text,
                    [(e.start, e.end) for e in spans],
                    context=context,
                    label=verdict.label if verdict else None,
                ),
                unsafe_allow_html=True,
            )


def claims_section(
    claims: list[Claim], verdicts: list[Verdict], sources: Iterable[Source], *, key: str
) -> None:
    """Every claim with its verdict beside its highlighted evidence."""
    by_id = {v.claim_id: v for v in verdicts}
    srcs = {s.id: s for s in sources}
    if not claims:
        st.caption("no claims yet")
    for i, claim in enumerate(claims):
        with st.container(border=True):
            claim_block(claim, by_id.get(claim.id), srcs, key=f"{key}_{i}")
