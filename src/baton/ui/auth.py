"""Sign-in for the browser app: a name and password form checked against the store's users
(scrypt hashes), or Streamlit's OpenID Connect (``st.login``) when ``[auth]`` is configured in
``.streamlit/secrets.toml``. Either way the role comes from the ``users`` table, re-read on
every script run, so a changed role takes effect at once.

The signed-in name is kept in ``st.session_state["user_name"]`` (server-side session state;
the browser cannot set it).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from baton.checkpoints import RunStore, UserStore
from baton.checkpoints.users import ROLES
from baton.ui.render import escape_markdown

SESSION_KEY = "user_name"


def oidc_configured() -> bool:
    """True when an ``[auth]`` section is configured in Streamlit's secrets."""
    try:
        return bool(st.secrets.load_if_toml_exists() and st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 - malformed or absent secrets: no OIDC
        return False


def _no_users(db: str) -> None:
    st.title("baton")
    st.warning("This database has no users yet, so nobody can sign in.")
    st.markdown("Create a reviewer (and an analyst) from a terminal, then reload this page:")
    st.code(
        f"baton users add ann --role reviewer --db {db}\n"
        f"baton users add bob --role analyst --db {db}",
        language="bash",
    )
    st.caption("Each command asks for a password (or reads it from stdin with --password-stdin).")


def _password_form(users: UserStore) -> None:
    st.title("baton: sign in")
    with st.form("sign_in"):
        name = st.text_input("Name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        ok = st.form_submit_button("Sign in", type="primary")
    if ok:
        user = users.authenticate(name, password)
        if user is None:
            st.error("Unknown name or wrong password.")
        else:
            st.session_state[SESSION_KEY] = user["name"]
            st.rerun()


def _oidc(users: UserStore) -> dict[str, Any] | None:
    if not st.user.get("is_logged_in"):
        st.title("baton: sign in")
        st.button("Sign in with your identity provider", on_click=st.login, type="primary")
        return None
    name = st.user.get("email") or st.user.get("name") or ""
    user = users.find(str(name))
    if user is None:
        st.error(
            escape_markdown(
                f"{name} signed in, but is not a baton user. Ask an administrator to run: baton users add {name} --role analyst|reviewer --oidc"
            )
        )
        st.button("Sign out", on_click=st.logout)
        return None
    if st.session_state.get(SESSION_KEY) != user["name"]:
        users.touch(user["name"])
        st.session_state[SESSION_KEY] = user["name"]
    return user


def signed_in_user(store: RunStore, db: str) -> dict[str, Any] | None:
    """The signed-in user ``{name, role, ...}`` of ``store.users``, or None after drawing the
    sign-in page (or the "no users yet" page, whose commands name the database as ``db``).
    The caller stops the script on None."""
    users = store.users
    if users.count() == 0:
        _no_users(db)
        return None
    if oidc_configured():
        return _oidc(users)
    name = st.session_state.get(SESSION_KEY)
    user = users.find(name) if name else None
    if user is not None and user["role"] in ROLES:
        return user
    st.session_state.pop(SESSION_KEY, None)
    _password_form(users)
    return None


def sign_out() -> None:
    """Forget the signed-in user (and log out of the identity provider under OIDC)."""
    st.session_state.pop(SESSION_KEY, None)
    if oidc_configured():
        st.logout()
