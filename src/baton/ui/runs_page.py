"""Runs (live): status, hops against the ceiling, the current node, filtered by status. The
list is a fragment that re-reads the database every ``REFRESH_S`` seconds on its own, so
progress shows while a worker works (nothing here runs the graph)."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import streamlit as st

from baton.checkpoints import STATUSES, RunStore, open_store
from baton.contracts import RunStatus
from baton.summary import RunSummary
from baton.ui.nav import go
from baton.ui.render import block, escape_text

STATUS_COLOURS: dict[RunStatus, str] = {
    "queued": "#555",
    "running": "#1f6feb",
    "waiting_review": "#8a6d00",
    "finished": "#1b7f3b",
    "rejected": "#b42318",
    "failed": "#b42318",
}


def status_html(status: RunStatus, reason: str | None = None) -> str:
    """The status as a coloured word, with the reason below it in small print."""
    colour = STATUS_COLOURS.get(status, "#555")
    out = f'<span style="color:{colour};font-weight:600;">{escape_text(status)}</span>'
    return out + (f"<br><small>{escape_text(reason)}</small>" if reason else "")


REFRESH_S = 2.0


def progress_line(summary: RunSummary) -> tuple[float, str]:
    """``(fraction for a progress bar, caption)`` of a run: hops over the ceiling."""
    max_hops = max(summary.max_hops, 1)
    return min(summary.hops / max_hops, 1.0), f"hop {summary.hops} of {max_hops}"


def run_row(row: dict[str, Any], key_prefix: str = "run") -> None:
    """One run as a row: id, status, question, hop progress, current node, an Open button."""
    c_id, c_status, c_q, c_prog, c_node, c_open = st.columns(
        [1.2, 1.6, 4, 2, 1.3, 0.9], vertical_alignment="center"
    )
    c_id.markdown(f"`{row['id']}`")
    c_status.markdown(block(status_html(row["status"], row.get("reason"))), unsafe_allow_html=True)
    c_q.markdown(block(escape_text((row.get("question") or "")[:200])), unsafe_allow_html=True)
    frac, caption = progress_line(RunSummary.from_row(row))
    c_prog.progress(frac, text=caption)
    c_node.markdown(block(escape_text(row.get("current_node") or "–")), unsafe_allow_html=True)
    if c_open.button("Open", key=f"{key_prefix}_open_{row['id']}"):
        go(run=row["id"])


@st.fragment(run_every=REFRESH_S)
def _live_list(url: str, statuses: list[str]) -> None:
    with closing(open_store(url)) as store:
        counts = store.status_counts()
        rows = store.run_rows(statuses)
    cols = st.columns(len(STATUSES))
    for col, status in zip(cols, STATUSES, strict=True):
        col.metric(status.replace("_", " "), counts.get(status, 0))
    if not rows:
        st.info(
            "No runs"
            + (f" with status {', '.join(statuses)}" if statuses else " yet: submit a task")
            + "."
        )
        return
    head = st.columns([1.2, 1.6, 4, 2, 1.3, 0.9])
    for col, name in zip(head, ("run", "status", "question", "progress", "node", ""), strict=True):
        col.caption(name)
    for row in rows:
        run_row(row)


def runs(store: RunStore, user: dict[str, Any]) -> None:
    """Draw the live runs list."""
    st.title("Runs")
    statuses = st.multiselect(
        "Status", STATUSES, default=[], key="runs_status_filter", placeholder="all statuses"
    )
    _live_list(store.url, list(statuses))
