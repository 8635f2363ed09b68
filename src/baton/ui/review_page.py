"""The reviewer's desk (reviewers only; refused on the server for analysts, deep links included).

- ``queue``: pending items oldest first, refreshed every ``REFRESH_S`` seconds by itself, with
  counts, a filter by reason, a search, paging, and who is reviewing each item ("being
  reviewed by ann"). "Next item" (``N``) opens the oldest item nobody else has claimed.
- ``item`` (``?item=ID``): one screen, actions first: the reason, hop N of max and the bound in
  one line; the actions ``ALLOWED_ACTIONS`` gives for the reason (hop limit: extend / finish /
  reject; a claim problem: approve / edit (re-verified) / send back / reject; a failure: retry
  / reject); then the claims needing attention (contradicted, unsupported, edited, unverified)
  each beside its highlighted evidence; the other claims, the handoff, the failures and the
  trace collapsed. Opening an item claims it for ``CLAIM_TTL_S`` seconds
  (``RunStore.claim_item``); another reviewer sees "being reviewed by" and no actions.

A decision is checked at once (errors shown at the action) and applies after ``GRACE_S``
seconds, during which "Undo" (``U``) cancels it; meanwhile the next item opens. It applies
when due on any page (``pending``), only while the item is pending (``RunStore.decide`` is a
conditional update and refuses actions the reason does not allow); a reviewer who comes
second is told who decided and when. A decision still in its grace period when the tab closes
is not applied. Shortcuts on the item page: ``A`` approve/finish, ``E`` extend, ``B`` send
back/retry, ``X`` reject, ``N`` next item, ``U`` undo.
"""

from __future__ import annotations

import time
from contextlib import closing
from typing import Any

import streamlit as st

from baton import service
from baton.checkpoints import RunStore, open_store
from baton.contracts import ALLOWED_ACTIONS, Claim, ReviewRequest, Task
from baton.errors import BatonError, DecisionConflict, NotFoundError, Refused
from baton.ui.actions import decide, require_reviewer
from baton.ui.claims import claim_block, claims_section
from baton.ui.nav import go
from baton.ui.render import (
    block,
    chip_html,
    escape_markdown,
    escape_text,
    relative_time,
    text_html,
)

CLAIM_TTL_S = 300.0
"""How long opening an item claims it for the reviewer (renewed on each visit)."""
GRACE_S = 8.0
"""Seconds a decision waits for an Undo before it applies."""
REFRESH_S = 3.0
PAGE_SIZE = 20
SHORTCUTS = {
    "approve": "A",
    "reject": "X",
    "send_back": "B",
    "extend": "E",
    "next": "N",
    "undo": "U",
}
REASON_HELP = {
    "hop_limit": "the run reached its hop ceiling",
    "contradicted": "the verifier found a claim the sources contradict",
    "unsupported": "too many claims the sources do not back (max_unsupported_fraction)",
    "retries_exhausted": "the shared retry pool is spent and claims are still unsupported",
    "budget_exceeded": "the token budget is spent",
    "failure": "a node failed and cannot be retried",
}
REASON_COLOURS = {
    "hop_limit": "#1f6feb",
    "contradicted": "#b42318",
    "unsupported": "#8a6d00",
    "retries_exhausted": "#8a6d00",
    "budget_exceeded": "#6e40c9",
    "failure": "#b42318",
}
PENDING_KEY = "pending_decision"


def action_label(reason: str, action: str) -> str:
    """The button text of ``action`` for a review of ``reason``."""
    if action == "approve":
        return (
            "Finish with what exists"
            if reason in ("hop_limit", "budget_exceeded")
            else "Approve as is"
        )
    if action == "send_back":
        return "Retry" if reason == "failure" else "Send back"
    return {"extend": "Extend", "reject": "Reject", "edit": "Edit claims"}[action]


def _refuse_unless_reviewer(user: dict[str, Any]) -> bool:
    try:
        require_reviewer(user)
    except Refused as exc:
        st.error(escape_markdown(f"Refused: {exc}."))
        return False
    return True


def _claimed_by_other(row: dict[str, Any], reviewer: str, now: float) -> str | None:
    who = row.get("claimed_by")
    if who and who != reviewer and (row.get("claimed_until") or 0) > now:
        return who
    return None


def next_item(
    store: RunStore, reviewer: str, skip: set[str] | frozenset = frozenset()
) -> str | None:
    """Claim and return the oldest pending item not in ``skip`` that no other reviewer holds
    (``RunStore.claim_item``), or None when there is none."""
    now = time.time()
    for row in store.pending_items():
        if row["item_id"] in skip or _claimed_by_other(row, reviewer, now):
            continue
        if store.claim_item(row["item_id"], reviewer, CLAIM_TTL_S)["mine"]:
            return row["item_id"]
    return None


def _go_next(store: RunStore, user: dict[str, Any], skip: set[str]) -> None:
    nxt = next_item(store, user["name"], skip)
    if nxt:
        go(item=nxt)
    go(page="queue")


# -- decisions with a grace period ------------------------------------------------------------


def _pending_ids() -> set[str]:
    p = st.session_state.get(PENDING_KEY)
    return {p["item_id"]} if p else set()


def _apply(store: RunStore, user: dict[str, Any], p: dict[str, Any]) -> None:
    try:
        decided = decide(store, user, p["item_id"], p["action"], **p["kwargs"])
    except DecisionConflict as exc:
        st.toast(
            f"Not applied: item {p['item_id']} was already decided ({exc.action}) by "
            f"{exc.decided_by} at {exc.decided_at}.",
            icon="⚠️",
        )
        return
    except BatonError as exc:
        st.toast(f"Not applied to item {p['item_id']}: {exc}", icon="⚠️")
        return
    st.toast(
        f"{p['label']} recorded for item {p['item_id']} by {decided['decided_by']}; "
        f"a worker resumes run {p['run_id']}.",
        icon="✅",
    )


def flush_due(store: RunStore, user: dict[str, Any], *, force: bool = False) -> None:
    """Apply the signed-in reviewer's pending decision when its grace period is over (or at
    once with ``force``)."""
    p = st.session_state.get(PENDING_KEY)
    if p and (force or time.time() >= p["due"]):
        st.session_state.pop(PENDING_KEY, None)
        _apply(store, user, p)


@st.fragment(run_every=1.0)
def _pending_bar(url: str, user: dict[str, Any]) -> None:
    p = st.session_state.get(PENDING_KEY)
    if not p:
        return
    left = p["due"] - time.time()
    if left <= 0:
        with closing(open_store(url)) as store:
            flush_due(store, user)
        st.rerun()
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.warning(
        escape_markdown(f"{p['label']} of item {p['item_id']} applies in {left:.0f} s."),
        icon=":material/hourglass_top:",
    )
    if c2.button("Undo", key="undo", shortcut=SHORTCUTS["undo"], width="stretch"):
        st.session_state.pop(PENDING_KEY, None)
        st.toast(f"Undone: {p['label']} of item {p['item_id']} was not applied.", icon="↩️")
        go(item=p["item_id"])


def pending(store: RunStore, user: dict[str, Any]) -> None:
    """Apply a due decision, then show the one still in its grace period with "Undo"
    (called on every page, before the page is drawn)."""
    flush_due(store, user)
    if st.session_state.get(PENDING_KEY):
        _pending_bar(store.url, user)


def _schedule(
    store: RunStore,
    user: dict[str, Any],
    item: dict[str, Any],
    request: ReviewRequest,
    action: str,
    **kwargs: Any,
) -> str | None:
    """Check a decision now (the error text, shown at the action), else hold it for
    ``GRACE_S`` seconds and open the next item."""
    if action == "reject" and not (kwargs.get("note") or "").strip():
        return "A rejection needs a reason."
    try:
        edits = None
        if action == "edit":
            edits = {
                "claims": kwargs.get("claim_edits") or [],
                "instructions": (kwargs.get("instructions") or "").strip() or None,
            }
        chosen = service.decision(
            action,
            reviewer=user["name"],
            note=(kwargs.get("note") or "").strip(),
            edits=edits,
            target=kwargs.get("target"),
            extra_hops=kwargs.get("extra_hops"),
        )
    except BatonError as exc:
        return str(exc)
    refusal = request.refusal(chosen)
    if refusal:
        return refusal
    flush_due(store, user, force=True)  # one decision in its grace period at a time
    st.session_state[PENDING_KEY] = {
        "item_id": item["id"],
        "run_id": item["run_id"],
        "action": action,
        "kwargs": kwargs,
        "label": action_label(request.reason, action),
        "due": time.time() + GRACE_S,
    }
    _go_next(store, user, {item["id"]})
    return None


# -- the queue ----------------------------------------------------------------------------------


@st.fragment(run_every=REFRESH_S)
def _live_queue(url: str, user: dict[str, Any]) -> None:
    with closing(open_store(url)) as store:
        rows = store.pending_items()
        counts = store.reason_counts()
    now = time.time()
    total = sum(counts.values())
    st.markdown(
        block(
            f"<b>{total} pending</b> "
            + " ".join(
                chip_html(f"{r.replace('_', ' ')} {n}", REASON_COLOURS.get(r, "#555"))
                for r, n in counts.items()
            )
        ),
        unsafe_allow_html=True,
    )
    reason = st.session_state.get("queue_reason") or "all"
    search = (st.session_state.get("queue_search") or "").strip().lower()
    shown = [
        r
        for r in rows
        if (reason == "all" or r["reason"] == reason)
        and (
            not search
            or search in (r.get("question") or "").lower()
            or search in r["item_id"]
            or search in r["run_id"]
            or search in (r.get("task_id") or "").lower()
        )
    ]
    if not shown:
        st.info("Nothing to review." if not rows else "No pending item matches.")
        return
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(int(st.session_state.get("queue_page", 1)), pages)
    widths = [1.4, 1.4, 0.7, 4.0, 1.1, 1.8, 1.0]
    head = st.columns(widths)
    for col, name in zip(
        head, ("item", "reason", "hop", "question", "waiting", "review", ""), strict=True
    ):
        col.caption(name)
    for it in shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        c = st.columns(widths, vertical_alignment="center")
        c[0].markdown(f"`{it['item_id']}`")
        c[1].markdown(
            block(
                chip_html(it["reason"].replace("_", " "), REASON_COLOURS.get(it["reason"], "#555"))
            ),
            unsafe_allow_html=True,
        )
        c[2].markdown(f"{it['hop']} of {it['max_hops']}")
        c[3].markdown(block(escape_text((it.get("question") or "")[:160])), unsafe_allow_html=True)
        c[4].markdown(
            block(escape_text(relative_time(it["created_at"], now))), unsafe_allow_html=True
        )
        other = _claimed_by_other(it, user["name"], now)
        mine = it.get("claimed_by") == user["name"] and (it.get("claimed_until") or 0) > now
        c[5].markdown(
            block(
                f"<i>being reviewed by {escape_text(other)}</i>"
                if other
                else ("<i>you</i>" if mine else "–")
            ),
            unsafe_allow_html=True,
        )
        if c[6].button("Open", key=f"open_item_{it['item_id']}"):
            go(item=it["item_id"])
    st.caption(f"{len(shown)} item(s) · page {page} of {pages}")


def queue(store: RunStore, user: dict[str, Any]) -> None:
    """Draw the review queue (see the module docstring)."""
    if not _refuse_unless_reviewer(user):
        return
    c_title, c_next = st.columns([5, 1], vertical_alignment="bottom")
    c_title.title("Review queue")
    if c_next.button(
        "Next item", key="open_next", type="primary", shortcut=SHORTCUTS["next"], width="stretch"
    ):
        _go_next(store, user, _pending_ids())
    f1, f2, f3 = st.columns([2, 4, 1.2])
    reasons = ["all", *ALLOWED_ACTIONS]
    f1.selectbox("Reason", reasons, key="queue_reason", format_func=lambda r: r.replace("_", " "))
    f2.text_input("Search", key="queue_search", placeholder="question, task, item or run id")
    f3.number_input("Page", min_value=1, value=1, step=1, key="queue_page")
    _live_queue(store.url, user)


# -- one item -----------------------------------------------------------------------------------


def _needs_attention(claim: Claim, label: str | None) -> bool:
    return label in ("contradicted", "unsupported") or label is None or claim.author == "reviewer"


@st.fragment(run_every=REFRESH_S)
def _watch(url: str, item_id: str, seen: str) -> None:
    """Rerun the page when the item stops being pending (another reviewer decided it)."""
    with closing(open_store(url)) as store:
        status = store.item(item_id)["status"]
    if status != seen:
        st.rerun()


ACTION_KEYS = (
    "act_approve",
    "act_reject",
    "act_send_back",
    "act_extend",
    "FormSubmitter:act_edit_form-Apply edits",
)
"""Widget keys of the decision buttons (a click on one is seen even when the item was decided
before this script run drew the buttons again)."""


def _decided(item: dict[str, Any]) -> None:
    if any(st.session_state.get(k) for k in ACTION_KEYS):
        st.error(
            escape_markdown(
                f"Not applied: this item was already decided ({item['action']}) by "
                f"{item['decided_by']} at {item['decided_at']}."
            ),
            icon="⚠️",
        )
    st.info(
        escape_markdown(
            f"Already decided: {item['action']} by {item['decided_by']} at {item['decided_at']} "
            f"({relative_time(item['decided_at'])}). Nothing more can be applied to this item."
        )
    )


def _actions(
    store: RunStore,
    user: dict[str, Any],
    item: dict[str, Any],
    request: ReviewRequest,
    disabled: bool,
) -> None:
    allowed = ALLOWED_ACTIONS.get(request.reason, ())
    shown = [a for a in allowed if a != "edit"]
    cols = st.columns([*(1.0 for _ in shown), 0.7], vertical_alignment="bottom")
    errors: dict[str, str | None] = {}
    for col, action in zip(cols, shown, strict=False):
        label = action_label(request.reason, action)
        with col:
            kwargs: dict[str, Any] = {}
            if action == "extend":
                extra = st.number_input(
                    f"Extra hops (new ceiling {request.max_hops} + N)",
                    1,
                    1000,
                    4,
                    key="act_extra_hops",
                )
                kwargs["extra_hops"] = int(extra)
            elif action == "reject":
                kwargs["note"] = st.text_input(
                    "Reason (required)", key="act_reject_reason", placeholder="why this run ends"
                )
            elif action == "send_back":
                targets = request.allowed_targets or []
                t1, t2 = st.columns([1, 1.4])
                kwargs["target"] = t1.selectbox("To", targets, key="act_target")
                kwargs["note"] = t2.text_input(
                    "Note", key="act_back_note", placeholder="what to change"
                )
            if st.button(
                label,
                key=f"act_{action}",
                type="primary" if action in ("approve", "extend") else "secondary",
                shortcut=SHORTCUTS.get(action),
                disabled=disabled or (action == "send_back" and not request.allowed_targets),
                width="stretch",
            ):
                errors[action] = _schedule(store, user, item, request, action, **kwargs)
            if errors.get(action):
                st.error(escape_markdown(errors[action] or ""), icon="⚠️")
    if cols[-1].button("Next", key="act_next", shortcut=SHORTCUTS["next"], width="stretch"):
        _go_next(store, user, {item["id"], *_pending_ids()})
    if "edit" in allowed and not disabled:
        _edit_form(store, user, item, request)


def _edit_form(
    store: RunStore, user: dict[str, Any], item: dict[str, Any], request: ReviewRequest
) -> None:
    labels = {v.claim_id: v.label for v in request.verdicts}
    with st.expander("Edit claims (the changed claims are verified again)"):
        with st.form("act_edit_form"):
            edits: list[tuple[str, str, str, bool]] = []
            for i, claim in enumerate(request.claims):
                c1, c2 = st.columns([6, 1], vertical_alignment="center")
                new_text = c1.text_area(
                    escape_markdown(f"Claim {claim.id} ({labels.get(claim.id, 'unverified')})"),
                    value=claim.text,
                    key=f"edit_text_{i}",
                    height=68,
                )
                drop = c2.checkbox("Drop", key=f"edit_drop_{i}")
                edits.append((claim.id, claim.text, new_text, drop))
            current = request.handoff.instructions if request.handoff else ""
            instructions = st.text_area(
                "Instructions for the next step", value=current, key="edit_instructions", height=68
            )
            note = st.text_input("Note (optional)", key="edit_note")
            applied = st.form_submit_button("Apply edits", type="primary")
        if applied:
            claim_edits = [
                {"claim_id": cid, "drop": True} if drop else {"claim_id": cid, "text": new}
                for cid, old, new, drop in edits
                if drop or new.strip() != old.strip()
            ]
            new_instr = instructions if instructions.strip() != (current or "").strip() else None
            error = _schedule(
                store,
                user,
                item,
                request,
                "edit",
                claim_edits=claim_edits,
                instructions=new_instr,
                note=note,
            )
            if error:
                st.error(escape_markdown(error), icon="⚠️")


def _details(request: ReviewRequest, task: Task, others: list[Claim]) -> None:
    if others:
        with st.expander(f"Other claims ({len(others)})"):
            claims_section(others, request.verdicts, task.sources, key="item_other")
    if request.failures and request.reason != "failure":
        with st.expander(f"Failures ({len(request.failures)})"):
            _failures(request)
    h = request.handoff
    with st.expander("The handoff" + (f": {h.sender} → {h.recipient}, hop {h.hop}" if h else "")):
        if h is None:
            st.caption("no handoff (the run paused before the supervisor handed work on)")
        else:
            for label, value in (
                ("Instructions", h.instructions),
                ("Context", "\n".join(h.context) or "(none)"),
                ("Expected output", h.expected_output),
                ("On failure", h.on_failure),
            ):
                st.markdown(f"**{label}**")
                st.markdown(text_html(value), unsafe_allow_html=True)
    if request.trace:
        with st.expander(f"Trace ({len(request.trace)} lines)"):
            st.markdown(text_html("\n".join(request.trace), mono=True), unsafe_allow_html=True)


def _failures(request: ReviewRequest) -> None:
    st.dataframe(
        [
            {
                "node": f.node,
                "kind": f.kind,
                "hop": f.hop,
                "retryable": f.retryable,
                "detail": f.detail,
            }
            for f in request.failures
        ],
        hide_index=True,
        key="item_failures",
        width="stretch",
    )


def item(store: RunStore, user: dict[str, Any], item_id: str) -> None:
    """Draw one review item (see the module docstring). Refused for analysts before anything
    of the item is read."""
    if not _refuse_unless_reviewer(user):
        return
    try:
        it = store.item(item_id)
    except NotFoundError:
        st.error(escape_markdown(f"No review item {item_id!r} in this database."))
        return
    request = ReviewRequest.model_validate(it["request"])
    task = Task.model_validate(store.run(it["run_id"])["task"])
    reason = request.reason
    st.markdown(
        block(
            f'<span style="font-size:1.35em;font-weight:700;">Review item {escape_text(it["id"])}</span> '
            + chip_html(reason.replace("_", " "), REASON_COLOURS.get(reason, "#555"))
            + f" <b>hop {request.hop} of {request.max_hops}</b>"
            + (f" · bound {escape_text(request.bound)}" if request.bound else "")
            + f" · <small>{escape_text(REASON_HELP.get(reason, ''))}</small>"
        ),
        unsafe_allow_html=True,
    )
    c_q, c_run = st.columns([6, 1], vertical_alignment="center")
    c_q.markdown(
        block(
            f"<small>{escape_text(task.question[:300])} · run {escape_text(it['run_id'])} · "
            f"{escape_text(task.kind)} task{(' ' + escape_text(task.id)) if task.id else ''} · "
            f"waiting {escape_text(relative_time(it['created_at']))}</small>"
        ),
        unsafe_allow_html=True,
    )
    if c_run.button("Open the run", key="item_open_run", width="stretch"):
        go(run=it["run_id"])
    other = None
    if it["status"] != "pending":
        _decided(it)
    elif it["id"] in _pending_ids():
        st.info(f"Your decision on this item applies in a few seconds (Undo: {SHORTCUTS['undo']}).")
    else:
        claim = store.claim_item(it["id"], user["name"], CLAIM_TTL_S)
        if not claim["mine"] and claim["claimed_by"]:
            other = claim["claimed_by"]
            st.warning(
                escape_markdown(
                    f"Being reviewed by {other} (claimed for {CLAIM_TTL_S / 60:.0f} min, until "
                    f"{time.strftime('%H:%M:%S', time.localtime(claim['claimed_until']))}). "
                    "Press N for the next item."
                )
            )
        _actions(store, user, it, request, disabled=other is not None)
        _watch(store.url, it["id"], it["status"])
    if reason == "failure" and request.failures:
        _failures(request)
    by_id = {v.claim_id: v for v in request.verdicts}
    srcs = {s.id: s for s in task.sources}
    flagged = [
        c for c in request.claims if _needs_attention(c, getattr(by_id.get(c.id), "label", None))
    ]
    others = [c for c in request.claims if c not in flagged]
    if flagged:
        st.markdown(f"**Claims needing attention ({len(flagged)} of {len(request.claims)})**")
        for i, claim in enumerate(flagged):
            with st.container(border=True, key=f"flagged_claim_{i}"):
                claim_block(claim, by_id.get(claim.id), srcs, key=f"item_flag_{i}", context=220)
    elif request.claims:
        st.caption(f"All {len(request.claims)} claims are supported.")
    _details(request, task, others if flagged else request.claims)
