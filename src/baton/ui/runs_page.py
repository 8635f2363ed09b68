"""Runs (live): status chip, hops against the ceiling (full once finished), the current node,
submitter and created time (relative), with a search (run id, task id, question), a status
filter and paging (``PAGE_SIZE``). Analysts see the runs they submitted, reviewers every run.
The list is a fragment that re-reads the database every ``REFRESH_S`` seconds on its own, so
progress shows while a worker works (nothing here runs the graph)."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import streamlit as st

from baton.checkpoints import STATUSES, RunStore, open_store
from baton.contracts import RunStatus
from baton.summary import RunSummary
from baton.ui.actions import is_reviewer
from baton.ui.nav import go
from baton.ui.render import block, chip_html, escape_text, relative_time

STATUS_COLOURS: dict[RunStatus, str] = {
    "queued": "#555",
    "running": "#1f6feb",
    "waiting_review": "#8a6d00",
    "finished": "#1b7f3b",
    "rejected": "#b42318",
    "failed": "#b42318",
}


def status_html(status: RunStatus, reason: str | None = None) -> str:
    """The status as a coloured chip in words (``waiting review``), with the reason below
    it in small print."""
    out = chip_html(status.replace("_", " "), STATUS_COLOURS.get(status, "#555"))
    return out + (f"<br><small>{escape_text(reason.replace('_', ' '))}</small>" if reason else "")


REFRESH_S = 2.0
PAGE_SIZE = 25


def progress_line(summary: RunSummary, status: str | None = None) -> tuple[float, str]:
    """``(fraction for a progress bar, caption)`` of a run: hops over the ceiling, complete
    (1.0) once the run ``finished``."""
    max_hops = max(summary.max_hops, 1)
    if status == "finished":
        return 1.0, f"done in {summary.hops} hop(s)"
    return min(summary.hops / max_hops, 1.0), f"hop {summary.hops} of {max_hops}"


def own_runs_only(user: dict[str, Any]) -> str | None:
    """The submitter whose runs ``user`` may see: their own name (analysts), None: all runs
    (reviewers)."""
    return None if is_reviewer(user) else user["name"]


WIDTHS = [1.5, 1.4, 3.2, 1.7, 0.9, 1.0, 1.1, 1.0]


def run_row(row: dict[str, Any], key_prefix: str = "run", now: float | None = None) -> None:
    """One run as a row: id (and task id), status, question, hop progress, current node,
    submitter, created (relative), an Open button."""
    c = st.columns(WIDTHS, vertical_alignment="center")
    c[0].markdown(
        block(
            f"<code>{escape_text(row['id'])}</code>"
            + (f"<br><small>{escape_text(row['task_id'])}</small>" if row.get("task_id") else "")
        ),
        unsafe_allow_html=True,
    )
    c[1].markdown(block(status_html(row["status"], row.get("reason"))), unsafe_allow_html=True)
    c[2].markdown(block(escape_text((row.get("question") or "")[:160])), unsafe_allow_html=True)
    frac, caption = progress_line(RunSummary.from_row(row), row["status"])
    c[3].progress(frac, text=caption)
    c[4].markdown(block(escape_text(row.get("current_node") or "–")), unsafe_allow_html=True)
    c[5].markdown(block(escape_text(row.get("submitted_by") or "–")), unsafe_allow_html=True)
    c[6].markdown(
        block(
            f'<span title="{escape_text(row["created_at"])}">'
            f"{escape_text(relative_time(row['created_at'], now))}</span>"
        ),
        unsafe_allow_html=True,
    )
    if c[7].button("Open", key=f"{key_prefix}_open_{row['id']}"):
        go(run=row["id"])


@st.fragment(run_every=REFRESH_S)
def _live_list(url: str, statuses: list[str], submitter: str | None) -> None:
    search = st.session_state.get("runs_search") or ""
    page = int(st.session_state.get("runs_page") or 1)
    with closing(open_store(url)) as store:
        rows, total = store.run_page(
            search=search,
            submitted_by=submitter,
            statuses=statuses,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        counts = store.status_counts() if submitter is None else None
    if counts is not None:
        st.markdown(
            block(
                " ".join(
                    chip_html(f"{s.replace('_', ' ')} {counts.get(s, 0)}", STATUS_COLOURS[s])
                    for s in STATUSES
                )
            ),
            unsafe_allow_html=True,
        )
    if not rows:
        st.info(
            "No runs"
            + (" match" if search or statuses or page > 1 else " yet: submit a task")
            + "."
        )
        return
    head = st.columns(WIDTHS)
    for col, name in zip(
        head,
        ("run", "status", "question", "progress", "node", "submitter", "created", ""),
        strict=True,
    ):
        col.caption(name)
    for row in rows:
        run_row(row)
    pages = max(1, -(-total // PAGE_SIZE))
    st.caption(f"{total} run(s) · page {min(page, pages)} of {pages}")


def runs(store: RunStore, user: dict[str, Any]) -> None:
    """Draw the live runs list (an analyst's own runs; every run for a reviewer)."""
    submitter = own_runs_only(user)
    st.title("Runs" if submitter is None else "My runs")
    f1, f2, f3 = st.columns([3, 3, 1])
    f1.text_input("Search", key="runs_search", placeholder="run id, task id or question")
    statuses = f2.multiselect(
        "Status",
        STATUSES,
        default=[],
        key="runs_status_filter",
        placeholder="all statuses",
        format_func=lambda s: s.replace("_", " "),
    )
    f3.number_input("Page", min_value=1, value=1, step=1, key="runs_page")
    _live_list(store.url, list(statuses), submitter)
