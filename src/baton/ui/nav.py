"""Navigation between the app's pages: ``go`` (a client-side navigation through the query
parameters) and ``flash`` (a message for the next script run). The frame (``main``) and every
page import it, so no page imports ``main``."""

from __future__ import annotations

import streamlit as st

from baton.ui.render import escape_markdown


def go(**params: str) -> None:
    """Replace the query parameters with ``params`` and rerun (a client-side navigation)."""
    st.query_params.clear()
    for k, v in params.items():
        st.query_params[k] = v
    st.rerun()


def flash(message: str | None = None) -> None:
    """Show (and forget) a message left by the previous run, or leave one for the next."""
    if message is not None:
        st.session_state["flash"] = message
        return
    msg = st.session_state.pop("flash", None)
    if msg:
        st.success(escape_markdown(msg))
