"""Submit (analysts and reviewers): question, kind, the draft (check tasks only), sources pasted
(up to ``MAX_PASTE_CHARS``) or uploaded (larger ones, up to ``MAX_UPLOAD_BYTES`` each),
constraints, and the policy (collapsed, defaults shown). Every error is listed at once
(``form_errors``), naming the field. Submitting writes a ``queued`` run (a worker picks it up),
clears the form and links to the new run."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import ValidationError

from baton.checkpoints import RunStore
from baton.contracts import Task
from baton.errors import BatonError, TaskInputError
from baton.policy import Policy
from baton.ui.actions import submit_task
from baton.ui.nav import go
from baton.ui.render import escape_markdown
from baton.ui.sources import ACCEPTED, MAX_UPLOAD_BYTES, pasted_sources, read_upload

DEFAULTS = Policy()
MAX_PASTE_CHARS = 100_000
"""Longest pasted text (characters, enforced in the browser); larger sources are uploaded."""
FORM_DEFAULTS: dict[str, Any] = {
    "f_question": "",
    "f_draft": "",
    "f_pasted": "",
    "f_max_claims": 0,
    "f_max_words": 0,
    "f_notes": "",
    "f_task_id": "",
}
"""The form's values after a submit (set before the widgets are drawn, so the browser shows them)."""


def _policy_inputs() -> dict[str, Any]:
    st.caption("Defaults shown; a run pauses for review when it reaches a bound.")
    c1, c2, c3 = st.columns(3)
    return {
        "max_hops": c1.number_input(
            "Max hops",
            1,
            1000,
            DEFAULTS.max_hops,
            key="p_max_hops",
            help="Handoffs from the supervisor before review (hop_limit).",
        ),
        "retry_budget": c2.number_input(
            "Retry budget (shared pool)", 0, 1000, DEFAULTS.retry_budget, key="p_retry_budget"
        ),
        "max_retries_per_agent": c3.number_input(
            "Retries per agent", 0, 100, DEFAULTS.max_retries_per_agent, key="p_retries_agent"
        ),
        "max_tokens_per_task": c1.number_input(
            "Token budget", 1, 100_000_000, DEFAULTS.max_tokens_per_task, step=1000, key="p_tokens"
        ),
        "agent_turn_timeout_s": c2.number_input(
            "Turn timeout (s)", 1.0, 86_400.0, DEFAULTS.agent_turn_timeout_s, key="p_turn_timeout"
        ),
        "pipeline_timeout_s": c3.number_input(
            "Pipeline timeout (s)",
            1.0,
            86_400.0,
            DEFAULTS.pipeline_timeout_s,
            key="p_pipeline_timeout",
        ),
        "max_unsupported_fraction": c1.number_input(
            "Max unsupported fraction",
            0.0,
            1.0,
            DEFAULTS.max_unsupported_fraction,
            step=0.05,
            key="p_unsupported",
            help="Review (reason unsupported) when more verified claims than this are unsupported; 1.0 turns it off.",
        ),
    }


def build_payload(
    *,
    question: str,
    kind: str,
    draft: str,
    pasted: str,
    uploads: list[tuple[str, bytes]],
    max_claims: int,
    max_words: int,
    require_citations: bool,
    notes: str,
    policy: dict[str, Any],
    task_id: str = "",
) -> dict[str, Any]:
    """The ``Task`` payload from the form's values (0 means "no limit" for the constraints).
    Raises ``TaskInputError`` for an unreadable upload or no source at all."""
    sources = pasted_sources(pasted)
    for name, data in uploads:
        sources.append(read_upload(name, data, f"s{len(sources) + 1}"))
    if not sources:
        raise TaskInputError(
            "add at least one source: paste its text or upload a file", field="sources"
        )
    return {
        "id": task_id.strip() or None,
        "kind": kind,
        "question": question,
        "draft": draft if kind == "check" else None,
        "sources": [s.model_dump() for s in sources],
        "constraints": {
            "max_claims": max_claims or None,
            "max_words": max_words or None,
            "require_citations": require_citations,
            "notes": [n.strip() for n in notes.splitlines() if n.strip()],
        },
        "policy": policy,
    }


def form_errors(
    *, pasted: str, uploads: list[tuple[str, bytes]], **rest: Any
) -> tuple[dict[str, Any] | None, list[str]]:
    """``(payload, [])`` for a valid form, else ``(None, every error)``: each unreadable
    upload, a missing source and every field ``Task`` refuses, each naming its field
    (``rest``: the other ``build_payload`` arguments)."""
    errors: list[str] = []
    good: list[tuple[str, bytes]] = []
    for name, data in uploads:
        try:
            read_upload(name, data, "s0")
            good.append((name, data))
        except TaskInputError as exc:
            errors.append(str(exc))
    try:
        payload = build_payload(pasted=pasted, uploads=good, **rest)
    except TaskInputError as exc:  # no source at all: check the other fields still
        if not errors:  # an unreadable upload says so already
            errors.append(str(exc))
        payload = build_payload(pasted="placeholder", uploads=[], **rest)
    try:
        Task.model_validate(payload)
    except ValidationError as exc:
        errors += [str(TaskInputError.from_validation(_One(e))) for e in exc.errors()]
    return (None, errors) if errors else (payload, [])


class _One:
    """One pydantic error dict seen as a ``ValidationError`` (``TaskInputError.from_validation``
    reads ``errors()``), so every error is worded as the command line words the first."""

    def __init__(self, error: dict[str, Any]):
        self._error = error

    def errors(self) -> list[dict[str, Any]]:
        return [self._error]


def submit(store: RunStore, user: dict[str, Any]) -> None:
    """Draw the submit page."""
    if st.session_state.pop("_clear_submit_form", False):
        st.session_state.update(FORM_DEFAULTS)
        st.session_state.pop("f_files", None)
    st.title("Submit a task")
    last = st.session_state.get("last_submitted")
    if last:
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.success(escape_markdown(f"Queued run {last}; a worker picks it up."))
        if c2.button(f"Open run {last}", key="open_submitted", width="stretch"):
            st.session_state.pop("last_submitted", None)
            go(run=last)
    kind = st.radio(
        "Kind",
        ["answer", "check"],
        horizontal=True,
        key="f_kind",
        help="answer: write a cited answer from the sources. check: verify a draft against them.",
    )
    with st.form("submit_task", clear_on_submit=False):
        question = st.text_area("Question", key="f_question", height=80)
        draft = st.text_area("Draft to check", key="f_draft", height=120) if kind == "check" else ""
        st.markdown("**Sources**")
        pasted = st.text_area(
            f"Paste sources, up to {MAX_PASTE_CHARS:,} characters (separate several with a line "
            "holding only ---; a first line '# Title' names one)",
            key="f_pasted",
            height=160,
            max_chars=MAX_PASTE_CHARS,
        )
        files = st.file_uploader(
            f"Or upload files (larger sources; up to {MAX_UPLOAD_BYTES // 1_000_000} MB each)",
            type=[a.lstrip(".") for a in ACCEPTED],
            accept_multiple_files=True,
            key="f_files",
        )
        with st.expander("Constraints"):
            c1, c2, c3 = st.columns(3)
            max_claims = c1.number_input("Max claims (0 = no limit)", 0, 200, 0, key="f_max_claims")
            max_words = c2.number_input("Max words (0 = no limit)", 0, 10_000, 0, key="f_max_words")
            require_citations = c3.checkbox("Require citations", True, key="f_require_citations")
            notes = st.text_area("Notes (one requirement per line)", key="f_notes")
        with st.expander("Policy (defaults)", expanded=False):
            policy = _policy_inputs()
        task_id = st.text_input("Task id (optional)", key="f_task_id")
        sent = st.form_submit_button("Submit", type="primary")
    if sent:
        payload, errors = form_errors(
            question=question,
            kind=kind,
            draft=draft,
            pasted=pasted,
            uploads=[(f.name, f.getvalue()) for f in files or []],
            max_claims=int(max_claims),
            max_words=int(max_words),
            require_citations=require_citations,
            notes=notes,
            policy=policy,
            task_id=task_id,
        )
        if errors:
            st.error(
                escape_markdown(f"Not submitted: {errors[0]}")
                if len(errors) == 1
                else "Not submitted:\n" + "\n".join(f"- {escape_markdown(e)}" for e in errors)
            )
            return
        try:
            run_id = submit_task(store, user, payload or {})
        except BatonError as exc:
            st.error(escape_markdown(f"Not submitted: {exc}"))
            return
        st.session_state["last_submitted"] = run_id
        st.session_state["_clear_submit_form"] = True
        st.rerun()
