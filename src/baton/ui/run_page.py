"""Run detail (``?run=ID``): status and hops (live while the run moves), the timeline of
handoffs and events, the claims with verdict badges and their evidence highlighted in the
sources, the final report with citations, the review items, and the checkpoint history."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import streamlit as st

from baton.audit import waiting
from baton.checkpoints import TERMINAL, RunStore, open_store
from baton.checkpoints.views import checkpoint_history, latest_values
from baton.contracts import Claim, Report, Source, Task, Verdict
from baton.errors import NotFoundError
from baton.summary import RunSummary
from baton.ui.actions import is_reviewer
from baton.ui.claims import as_models, claims_section
from baton.ui.nav import go
from baton.ui.render import block, escape_markdown, escape_text, text_html
from baton.ui.runs_page import REFRESH_S, progress_line


def _status(row: dict[str, Any]) -> None:
    summary = RunSummary.from_row(row)
    c1, c2, c3, c4 = st.columns([1.4, 2, 1.3, 2.3])
    c1.metric("status", row["status"])
    frac, caption = progress_line(summary)
    c2.progress(frac, text=caption)
    c3.metric("node", summary.current_node or "–")
    c4.markdown(
        block(
            summary.counts_text()
            + (f"<br>reason: {escape_text(row['reason'])}" if row.get("reason") else "")
            + (f"<br>error: {escape_text(row['error'])}" if row.get("error") else "")
        ),
        unsafe_allow_html=True,
    )


@st.fragment(run_every=REFRESH_S)
def _live_status(url: str, run_id: str, seen_status: str) -> None:
    with closing(open_store(url)) as store:
        row = store.run(run_id)
        now_waiting = waiting(store.events(run_id)) if row["status"] == "running" else None
    _status(row)
    if now_waiting:
        st.caption(now_waiting)
    if row["status"] != seen_status:
        st.rerun()  # the whole page: new events, claims, report


def _timeline(store: RunStore, run_id: str) -> None:
    events = store.events(run_id)
    kinds = sorted({e["kind"] for e in events})
    chosen = st.multiselect(
        "Event kinds", kinds, default=[], key="timeline_kinds", placeholder="all kinds"
    )
    rows = [
        {
            "at": e["created_at"],
            "step": e["step"],
            "hop": e["hop"],
            "node": e["node"],
            "kind": e["kind"],
            "summary": e["summary"],
            "ms": e["duration_ms"],
        }
        for e in events
        if not chosen or e["kind"] in chosen
    ]
    st.dataframe(rows, hide_index=True, key="timeline", width="stretch")
    handoffs = [e for e in events if e["kind"] == "handoff" and e["payload"]]
    if handoffs:
        with st.expander(f"Handoffs ({len(handoffs)})"):
            for e in handoffs:
                h = e["payload"]
                st.markdown(
                    block(
                        f"<b>hop {h.get('hop')}: {escape_text(h.get('sender', ''))} → {escape_text(h.get('recipient', ''))}</b>"
                    ),
                    unsafe_allow_html=True,
                )
                st.markdown(text_html(h.get("instructions") or ""), unsafe_allow_html=True)


def _claims(store: RunStore, row: dict[str, Any], task: Task) -> tuple[list[Claim], list[Verdict]]:
    report = row.get("report")
    if report:
        rep = Report.model_validate(report)
        return rep.claims, rep.verdicts
    values = latest_values(store, row["id"])
    return as_models(Claim, values.get("claims")), as_models(Verdict, values.get("verdicts"))


def _report(row: dict[str, Any]) -> None:
    if not row.get("report"):
        st.caption("No report yet: the run has not finished.")
        return
    rep = Report.model_validate(row["report"])
    st.markdown("**Answer**")
    st.markdown(text_html(rep.answer), unsafe_allow_html=True)
    verdicts = {v.claim_id: v for v in rep.verdicts}
    st.markdown("**Citations**")
    cites = []
    for c in rep.claims:
        v = verdicts.get(c.id)
        for ev in v.evidence if v and v.evidence else c.citations:
            cites.append(
                {
                    "claim": c.id,
                    "verdict": v.label if v else "unverified",
                    "source": ev.source_id,
                    "start": ev.start,
                    "end": ev.end,
                    "text": ev.text,
                }
            )
    st.dataframe(cites, hide_index=True, key="report_citations", width="stretch")
    if rep.caveats:
        st.markdown("**Caveats**")
        for cav in rep.caveats:
            st.markdown(text_html("• " + cav), unsafe_allow_html=True)


def _items(store: RunStore, run_id: str, user: dict[str, Any]) -> None:
    items = store.items(run_id)
    if not items:
        st.caption("This run has not paused for review.")
        return
    for it in items:
        line = f"{it['reason']} at hop {it['hop']} of {it['max_hops']}: {it['status']}"
        if it.get("decided_by"):
            line += f", {it['action']} by {it['decided_by']} at {it['decided_at']}"
        c1, c2 = st.columns([5, 1])
        c1.markdown(
            block(f"<code>{escape_text(it['id'])}</code> " + escape_text(line)),
            unsafe_allow_html=True,
        )
        if (
            it["status"] == "pending"
            and is_reviewer(user)
            and c2.button("Review", key=f"review_{it['id']}")
        ):
            go(item=it["id"])


def detail(store: RunStore, user: dict[str, Any], run_id: str) -> None:
    """Draw one run."""
    try:
        row = store.run(run_id)
    except NotFoundError:
        st.error(escape_markdown(f"No run {run_id!r} in this database."))
        return
    task = Task.model_validate(row["task"])
    st.title(f"Run {row['id']}")
    st.markdown(text_html(task.question), unsafe_allow_html=True)
    st.caption(
        escape_markdown(
            f"{task.kind} task"
            + (f" {task.id}" if task.id else "")
            + f" · created {row['created_at']}"
            + (f" · finished {row['finished_at']}" if row.get("finished_at") else "")
        )
    )
    if row["status"] in TERMINAL:
        _status(row)
    else:
        _live_status(store.url, run_id, row["status"])
    t_time, t_claims, t_report, t_review, t_ckpt, t_task = st.tabs(
        ["Timeline", "Claims", "Report", "Review", "Checkpoints", "Task"]
    )
    with t_time:
        _timeline(store, run_id)
    with t_claims:
        claims, verdicts = _claims(store, row, task)
        claims_section(claims, verdicts, task.sources, key="run_claims")
    with t_report:
        _report(row)
    with t_review:
        _items(store, run_id, user)
    with t_ckpt:
        history = checkpoint_history(store, run_id)
        st.caption(
            escape_markdown(f"{len(history)} checkpoint(s) of thread {run_id}, newest first")
        )
        st.dataframe(history, hide_index=True, key="checkpoints", width="stretch")
    with t_task:
        if task.draft:
            st.markdown("**Draft**")
            st.markdown(text_html(task.draft), unsafe_allow_html=True)
        st.markdown("**Constraints**")
        st.json(task.constraints.model_dump(), expanded=False)
        st.markdown("**Policy**")
        st.json((task.policy.model_dump() if task.policy else {}), expanded=False)
        st.markdown(f"**Sources** ({len(task.sources)})")
        for s in task.sources:
            _source(s)


def _source(s: Source) -> None:
    with st.expander(escape_markdown(f"{s.id}: {s.title or '(untitled)'}")):
        if s.uri:
            st.caption(escape_markdown(s.uri))
        st.markdown(
            text_html(s.text[:20_000] + ("…" if len(s.text) > 20_000 else "")),
            unsafe_allow_html=True,
        )
