"""Run detail (``?run=ID``) for analysts: it opens on the result (status chip, progress that is
complete once finished, the answer, then each claim with its verdict badge beside its
evidence highlighted in the sources, live while the run moves); the review items, the
timeline, the checkpoints and the task (policy and constraints as tables) are tabs.
An analyst may open only the runs they submitted (refused on the server); reviewers any."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import streamlit as st

from baton.audit import waiting
from baton.checkpoints import TERMINAL, RunStore, open_store
from baton.checkpoints.views import checkpoint_history, latest_values
from baton.contracts import Claim, Report, Source, Task, Verdict
from baton.errors import NotFoundError, Refused
from baton.summary import RunSummary
from baton.ui.actions import is_reviewer
from baton.ui.claims import as_models, claims_section
from baton.ui.nav import go
from baton.ui.render import block, escape_markdown, escape_text, relative_time, text_html
from baton.ui.runs_page import REFRESH_S, own_runs_only, progress_line, status_html


def check_visible(user: dict[str, Any], row: dict[str, Any]) -> None:
    """Raise ``Refused`` when ``user`` (an analyst) did not submit the run ``row``."""
    mine = own_runs_only(user)
    if mine is not None and row.get("submitted_by") != mine:
        raise Refused(f"run {row['id']} was not submitted by {mine}; analysts see their own runs")


def _status(row: dict[str, Any]) -> None:
    summary = RunSummary.from_row(row)
    c1, c2, c3, c4 = st.columns([1.4, 2, 1.3, 2.3], vertical_alignment="center")
    c1.markdown(block(status_html(row["status"])), unsafe_allow_html=True)
    frac, caption = progress_line(summary, row["status"])
    c2.progress(frac, text=caption)
    c3.markdown(
        block(f"<small>node</small> {escape_text(summary.current_node or '–')}"),
        unsafe_allow_html=True,
    )
    c4.markdown(
        block(
            summary.counts_text()
            + (
                f"<br>reason: {escape_text(row['reason'].replace('_', ' '))}"
                if row.get("reason")
                else ""
            )
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
            "at": relative_time(e["created_at"]),
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
        st.caption("No answer yet: the run has not finished. The claims so far:")
        return
    rep = Report.model_validate(row["report"])
    st.markdown("**Answer**")
    st.markdown(text_html(rep.answer), unsafe_allow_html=True)
    if rep.caveats:
        for cav in rep.caveats:
            st.markdown(text_html("• " + cav), unsafe_allow_html=True)


def _citations(row: dict[str, Any]) -> None:
    if not row.get("report"):
        return
    rep = Report.model_validate(row["report"])
    verdicts = {v.claim_id: v for v in rep.verdicts}
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
    with st.expander(f"Citations ({len(cites)})"):
        st.dataframe(cites, hide_index=True, key="report_citations", width="stretch")


def _table(values: dict[str, Any], key: str) -> None:
    st.dataframe(
        [{"setting": k, "value": str(v)} for k, v in values.items()],
        hide_index=True,
        key=key,
        width="stretch",
    )


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
    """Draw one run (refused for an analyst who did not submit it)."""
    try:
        row = store.run(run_id)
        check_visible(user, row)
    except NotFoundError:
        st.error(escape_markdown(f"No run {run_id!r} in this database."))
        return
    except Refused as exc:
        st.error(escape_markdown(f"Refused: {exc}."))
        return
    task = Task.model_validate(row["task"])
    st.title(f"Run {row['id']}")
    st.markdown(text_html(task.question), unsafe_allow_html=True)
    st.caption(
        escape_markdown(
            f"{task.kind} task"
            + (f" {task.id}" if task.id else "")
            + (f" · by {row['submitted_by']}" if row.get("submitted_by") else "")
            + f" · created {relative_time(row['created_at'])}"
            + (f" · finished {relative_time(row['finished_at'])}" if row.get("finished_at") else "")
        )
    )
    if row["status"] in TERMINAL:
        _status(row)
    else:
        _live_status(store.url, run_id, row["status"])
    _report(row)
    claims, verdicts = _claims(store, row, task)
    claims_section(claims, verdicts, task.sources, key="run_claims")
    _citations(row)
    t_review, t_time, t_ckpt, t_task = st.tabs(["Review", "Timeline", "Checkpoints", "Task"])
    with t_review:
        _items(store, run_id, user)
    with t_time:
        _timeline(store, run_id)
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
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Policy**")
            _table(task.policy.model_dump() if task.policy else {}, "task_policy")
        with c2:
            st.markdown("**Constraints**")
            _table(task.constraints.model_dump(), "task_constraints")
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
