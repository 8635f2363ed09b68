"""The app's frame: page setup, sign-in, the sidebar and the router (it imports the pages;
the pages import ``baton.ui.nav``, never this module).

Routes come from the URL's query parameters, so every page has a deep link:

- ``?item=ID``: one review item (reviewers only; refused on the server for analysts);
- ``?run=ID``: one run;
- ``?page=submit|runs|queue``: the submit form, the live runs list, the review queue.

Without parameters a reviewer lands on the queue and an analyst on the runs list.
"""

from __future__ import annotations

from contextlib import closing

import streamlit as st

from baton.checkpoints import open_store
from baton.settings import Settings
from baton.ui import auth, review_page, run_page, runs_page, submit_page
from baton.ui.actions import is_reviewer
from baton.ui.nav import flash, go
from baton.ui.render import escape_markdown

PAGES = {"submit": "Submit", "runs": "Runs", "queue": "Review queue"}


def current_route(user: dict) -> tuple[str, str | None]:
    """``(page, id)`` from the query parameters (see the module docstring)."""
    qp = st.query_params
    if qp.get("item"):
        return "item", qp.get("item")
    if qp.get("run"):
        return "run", qp.get("run")
    page = qp.get("page")
    if page in PAGES:
        return page, None
    return ("queue" if is_reviewer(user) else "runs"), None


def _sidebar(store, user: dict, page: str, db: str) -> None:
    with st.sidebar:
        st.markdown("### baton")
        st.caption(f"Signed in as **{escape_markdown(user['name'])}** ({user['role']})")
        for key, label in PAGES.items():
            if key == "queue" and not is_reviewer(user):
                continue
            if st.button(
                label,
                key=f"nav_{key}",
                type="primary" if page == key else "secondary",
                width="stretch",
            ):
                go(page=key)
        st.divider()
        if st.button("Sign out", key="sign_out"):
            auth.sign_out(store)
            go()
        st.caption(escape_markdown(f"Database: {db}"))


def main() -> None:
    """Draw the page for the current route (the script body of ``app.py``)."""
    st.set_page_config(page_title="baton", layout="wide")
    db = Settings.from_env().db
    with closing(open_store(db)) as store:
        user = auth.signed_in_user(store, db)
        if user is None:
            st.stop()
        page, ident = current_route(user)
        _sidebar(store, user, page, db)
        flash()
        if is_reviewer(user):
            review_page.pending(store, user)
        if page == "item":
            review_page.item(store, user, ident or "")
        elif page == "queue":
            review_page.queue(store, user)
        elif page == "run":
            run_page.detail(store, user, ident or "")
        elif page == "submit":
            submit_page.submit(store, user)
        else:
            runs_page.runs(store, user)
