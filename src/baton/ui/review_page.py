"""The review queue (reviewers only; refused on the server for analysts, deep links included).

- ``queue``: pending items oldest first, counts by reason.
- ``item`` (``?item=ID``): why the run paused (reason, hop N of max, the failures, the bound
  that was hit), the handoff, the claims with verdicts beside the sources with the evidence
  highlighted, and the actions: approve, edit (typed: a claim's text, drop a claim, the
  instructions), reject (a reason is required), send back to a node the table allows (with a
  note), extend the hop ceiling.

A decision applies only while the item is pending (``RunStore.decide`` is a conditional update);
a reviewer who comes second is told who decided and when, and nothing is resumed twice.
Keyboard shortcuts: ``A`` approve, ``X`` reject, ``B`` send back, ``E`` extend,
``N`` next item.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from baton.checkpoints import RunStore
from baton.contracts import ReviewRequest, Task
from baton.errors import BatonError, DecisionConflict, NotFoundError, Refused
from baton.ui.actions import decide, require_reviewer
from baton.ui.claims import claims_section
from baton.ui.nav import flash, go
from baton.ui.render import block, escape_markdown, escape_text, text_html

SHORTCUTS = {"approve": "A", "reject": "X", "send_back": "B", "extend": "E", "next": "N"}
REASON_HELP = {
    "hop_limit": "the run reached its hop ceiling",
    "contradicted": "the verifier found a claim the sources contradict",
    "retries_exhausted": "the shared retry pool is spent and claims are still unsupported",
    "budget_exceeded": "the token budget is spent",
    "failure": "a node failed and cannot be retried",
}


def _refuse_unless_reviewer(user: dict[str, Any]) -> bool:
    try:
        require_reviewer(user)
    except Refused as exc:
        st.error(escape_markdown(f"Refused: {exc}."))
        return False
    return True


def queue(store: RunStore, user: dict[str, Any]) -> None:
    """Draw the pending review items, oldest first, with counts by reason."""
    if not _refuse_unless_reviewer(user):
        return
    st.title("Review queue")
    counts = store.reason_counts()
    items = store.pending_items()
    if counts:
        cols = st.columns(max(len(counts), 1) + 1)
        cols[0].metric("pending", sum(counts.values()))
        for col, (reason, n) in zip(cols[1:], counts.items(), strict=True):
            col.metric(reason.replace("_", " "), n, help=REASON_HELP.get(reason))
    if not items:
        st.info("Nothing to review.")
        return
    if st.button("Open the oldest", key="open_oldest", type="primary", shortcut=SHORTCUTS["next"]):
        go(item=items[0]["item_id"])
    head = st.columns([1.2, 1.4, 1.1, 4.5, 2, 0.9])
    for col, name in zip(
        head, ("item", "reason", "hop", "question", "waiting since", ""), strict=True
    ):
        col.caption(name)
    for it in items:
        c = st.columns([1.2, 1.4, 1.1, 4.5, 2, 0.9], vertical_alignment="center")
        c[0].markdown(f"`{it['item_id']}`")
        c[1].markdown(block(escape_text(it["reason"])), unsafe_allow_html=True)
        c[2].markdown(f"{it['hop']} of {it['max_hops']}")
        c[3].markdown(block(escape_text((it.get("question") or "")[:200])), unsafe_allow_html=True)
        c[4].markdown(block(escape_text(it["created_at"])), unsafe_allow_html=True)
        if c[5].button("Open", key=f"open_item_{it['item_id']}"):
            go(item=it["item_id"])


def _why(request: ReviewRequest) -> None:
    st.subheader("Why the run paused")
    c1, c2, c3 = st.columns(3)
    c1.metric("reason", request.reason.replace("_", " "), help=REASON_HELP.get(request.reason))
    c2.metric("hop", f"{request.hop} of {request.max_hops}")
    c3.metric("bound hit", request.bound or "none")
    if request.failures:
        st.markdown("**Failures**")
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
    else:
        st.caption("no failures recorded")
    if request.trace:
        with st.expander(f"Trace ({len(request.trace)} lines)"):
            st.markdown(text_html("\n".join(request.trace), mono=True), unsafe_allow_html=True)


def _handoff(request: ReviewRequest) -> None:
    st.subheader("The handoff")
    h = request.handoff
    if h is None:
        st.caption("no handoff (the run paused before the supervisor handed work on)")
        return
    st.markdown(
        block(f"hop {h.hop}: <b>{escape_text(h.sender)} → {escape_text(h.recipient)}</b>"),
        unsafe_allow_html=True,
    )
    for label, value in (
        ("Instructions", h.instructions),
        ("Context", "\n".join(h.context) or "(none)"),
        ("Expected output", h.expected_output),
        ("On failure", h.on_failure),
    ):
        st.markdown(f"**{label}**")
        st.markdown(text_html(value), unsafe_allow_html=True)


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
                f"Not applied: this item was already decided ({item['action']}) by {item['decided_by']} at {item['decided_at']}."
            )
        )
    st.info(
        escape_markdown(
            f"Already decided: {item['action']} by {item['decided_by']} at {item['decided_at']}. Nothing more can be applied to this item."
        )
    )
    if item.get("decision"):
        st.json(item["decision"], expanded=False)


def _do(
    store: RunStore, user: dict[str, Any], item_id: str, run_id: str, action: str, **kwargs: Any
) -> None:
    """Apply one decision, report the outcome, move on to the next pending item."""
    try:
        decided = decide(store, user, item_id, action, **kwargs)
    except DecisionConflict as exc:
        st.error(
            escape_markdown(
                f"Not applied: this item was already decided ({exc.action}) by {exc.decided_by} at {exc.decided_at}."
            )
        )
        return
    except BatonError as exc:
        st.error(escape_markdown(f"Not applied: {exc}"))
        return
    flash(
        f"{action.replace('_', ' ')} recorded for item {item_id} by {decided['decided_by']}; a worker resumes run {run_id}."
    )
    nxt = [i for i in store.pending_items() if i["item_id"] != item_id]
    if nxt:
        go(item=nxt[0]["item_id"])
    go(page="queue")


def _actions(
    store: RunStore, user: dict[str, Any], item: dict[str, Any], request: ReviewRequest
) -> None:
    item_id, run_id = item["id"], item["run_id"]
    st.subheader("Decide")
    st.caption("Shortcuts: A approve · X reject · B send back · E extend · N next item")
    c_ok, c_rej, c_back, c_ext = st.columns(4)
    with c_ok:
        st.markdown("**Approve**: finish with what exists")
        if st.button("Approve", key="act_approve", type="primary", shortcut=SHORTCUTS["approve"]):
            _do(store, user, item_id, run_id, "approve")
    with c_rej:
        reason = st.text_input("Reason for rejecting (required)", key="act_reject_reason")
        if st.button("Reject", key="act_reject", shortcut=SHORTCUTS["reject"]):
            if not reason.strip():
                st.error("A rejection needs a reason.")
            else:
                _do(store, user, item_id, run_id, "reject", note=reason)
    with c_back:
        targets = request.allowed_targets or []
        target = st.selectbox("Send back to", targets, key="act_target", disabled=not targets)
        note = st.text_input("Note for that node", key="act_back_note")
        if st.button(
            "Send back", key="act_send_back", disabled=not targets, shortcut=SHORTCUTS["send_back"]
        ):
            _do(store, user, item_id, run_id, "send_back", target=target, note=note)
    with c_ext:
        extra = st.number_input("Extra hops", 1, 1000, 4, key="act_extra_hops")
        st.caption(f"new ceiling: {request.max_hops + int(extra)}")
        if st.button("Extend", key="act_extend", shortcut=SHORTCUTS["extend"]):
            _do(store, user, item_id, run_id, "extend", extra_hops=int(extra))
    with st.expander("Edit: change a claim's text, drop a claim, change the instructions"):
        with st.form("act_edit_form"):
            edits: list[tuple[str, str, str, bool]] = []
            for i, claim in enumerate(request.claims):
                new_text = st.text_area(
                    escape_markdown(f"Claim {claim.id}"),
                    value=claim.text,
                    key=f"edit_text_{i}",
                    height=80,
                )
                drop = st.checkbox(escape_markdown(f"Drop claim {claim.id}"), key=f"edit_drop_{i}")
                edits.append((claim.id, claim.text, new_text, drop))
            current = request.handoff.instructions if request.handoff else ""
            instructions = st.text_area(
                "Instructions for the next step", value=current, key="edit_instructions"
            )
            note = st.text_input("Note (optional)", key="edit_note")
            applied = st.form_submit_button("Apply edits")
        if applied:
            claim_edits = [
                {"claim_id": cid, "drop": True} if drop else {"claim_id": cid, "text": new}
                for cid, old, new, drop in edits
                if drop or new.strip() != old.strip()
            ]
            new_instr = instructions if instructions.strip() != (current or "").strip() else None
            _do(
                store,
                user,
                item_id,
                run_id,
                "edit",
                claim_edits=claim_edits,
                instructions=new_instr,
                note=note,
            )


def item(store: RunStore, user: dict[str, Any], item_id: str) -> None:
    """Draw one review item. Refused for analysts before anything of the item is read."""
    if not _refuse_unless_reviewer(user):
        return
    try:
        it = store.item(item_id)
    except NotFoundError:
        st.error(escape_markdown(f"No review item {item_id!r} in this database."))
        return
    request = ReviewRequest.model_validate(it["request"])
    task = Task.model_validate(store.run(it["run_id"])["task"])
    st.title(f"Review item {it['id']}")
    st.markdown(text_html(task.question), unsafe_allow_html=True)
    c1, c2 = st.columns([4, 1])
    c1.caption(
        escape_markdown(
            f"run {it['run_id']} · {task.kind} task"
            + (f" {task.id}" if task.id else "")
            + f" · waiting since {it['created_at']}"
        )
    )
    if c2.button("Open the run", key="item_open_run"):
        go(run=it["run_id"])
    if it["status"] != "pending":
        _decided(it)
    _why(request)
    _handoff(request)
    st.subheader("Claims and evidence")
    claims_section(request.claims, request.verdicts, task.sources, key="item_claims")
    if it["status"] == "pending":
        _actions(store, user, it, request)
