"""Sign-in for the browser app: a name and password form checked against the store's users
(scrypt hashes), or Streamlit's OpenID Connect (``st.login``) when ``[auth]`` is configured in
``.streamlit/secrets.toml``. Either way the role comes from the ``users`` table, re-read on
every script run, so a changed role takes effect at once.

The signed-in name is kept in ``st.session_state["user_name"]`` (server-side session state;
the browser cannot set it). A password sign-in also sets a signed, expiring cookie
(``COOKIE``, ``itsdangerous``, ``SESSION_TTL_S``) holding the name and a session id, so a
reload, a new tab or a deep link opens signed in; signing out records a ``sign_out`` event
that revokes the session id (``RunStore.session_revoked``) and clears the cookie. The signing
key is ``$BATON_SESSION_SECRET``, else one random key per server process (a restart signs
everyone out).

Failed sign-ins are ``sign_in_failed`` events (no run; payload ``{name, client}``). Within
``WINDOW_S``, after ``n`` failures for a name the next try waits ``delay_s(n)`` (for a client,
``delay_s(n - LOCKOUT_FAILURES)``);
``LOCKOUT_FAILURES`` for a name (``CLIENT_LOCKOUT_FAILURES`` for a client) lock it out until
the window passes; the password is not even checked then.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from itsdangerous import BadSignature, URLSafeTimedSerializer

from baton.checkpoints import RunStore, UserStore
from baton.checkpoints.users import ROLES
from baton.ui.render import escape_markdown

SESSION_KEY = "user_name"
SESSION_ID_KEY = "session_id"
COOKIE = "baton_session"
SESSION_TTL_S = 12 * 3600
WINDOW_S = 15 * 60
LOCKOUT_FAILURES = 5
CLIENT_LOCKOUT_FAILURES = 20
_PROCESS_SECRET = secrets.token_urlsafe(32)


def _serializer() -> URLSafeTimedSerializer:
    key = os.environ.get("BATON_SESSION_SECRET") or _PROCESS_SECRET
    return URLSafeTimedSerializer(key, salt="baton-session")


def session_token(name: str, session_id: str) -> str:
    """The signed cookie value for ``name``'s session ``session_id``."""
    return _serializer().dumps({"u": name, "s": session_id})


def read_token(token: str | None) -> tuple[str, str] | None:
    """``(name, session id)`` of a valid token no older than ``SESSION_TTL_S``, else None."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=SESSION_TTL_S)
    except BadSignature:  # includes SignatureExpired
        return None
    return (data.get("u"), data.get("s")) if isinstance(data, dict) else None


def delay_s(failures: int) -> float:
    """Seconds the next try waits after ``failures`` recent failures: 0, 0, 1, 2, 4, ...
    (at most 60)."""
    return 0.0 if failures < 2 else min(2.0 ** (failures - 2), 60.0)


def _since(seconds: float) -> str:
    t = datetime.now(UTC) - timedelta(seconds=seconds)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign_in_refusal(store: RunStore, name: str, client: str) -> str | None:
    """Why a sign-in of ``name`` from ``client`` is refused before the password is checked
    (a lockout or the growing delay), or None."""
    failed = store.failed_sign_ins(name, client, _since(WINDOW_S))
    if failed["name"] >= LOCKOUT_FAILURES or failed["client"] >= CLIENT_LOCKOUT_FAILURES:
        return (
            f"Too many failed sign-ins: locked for {WINDOW_S // 60} minutes. "
            "Ask an administrator to reset the password if you forgot it."
        )
    # a client's own delay starts once it failed more often than one name's lockout allows
    wait = max(delay_s(failed["name"]), delay_s(failed["client"] - LOCKOUT_FAILURES))
    if wait and failed["last_at"]:
        last = datetime.fromisoformat(failed["last_at"].replace("Z", "+00:00")).timestamp()
        left = last + wait - time.time()
        if left > 0:
            return f"Too many failed sign-ins: wait {left:.0f} s before trying again."
    return None


def _client() -> str:
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (tests)
        ip = None
    return ip if isinstance(ip, str) and ip else "unknown"


def _write_cookie(value: str, max_age: int) -> None:
    st.html(
        "<script>document.cookie = "
        + json.dumps(f"{COOKIE}={value}; path=/; max-age={max_age}; SameSite=Strict")
        + ";</script>",
        unsafe_allow_javascript=True,
    )


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


def _password_form(store: RunStore) -> None:
    st.title("baton: sign in")
    if st.session_state.pop("_clear_cookie", False):
        _write_cookie("", 0)
    with st.form("sign_in"):
        name = st.text_input("Name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        ok = st.form_submit_button("Sign in", type="primary")
    if not ok:
        return
    name, client = (name or "").strip(), _client()
    refusal = sign_in_refusal(store, name, client)
    if refusal:
        st.error(refusal)
        return
    user = store.users.authenticate(name, password)
    if user is None:
        store.add_event(
            None,  # type: ignore[arg-type]  # an event of no run
            step=None,
            node="auth",
            kind="sign_in_failed",
            summary=f"sign-in of {name!r} from {client} refused (attempt {secrets.token_hex(4)})",
            payload={"name": name, "client": client},
        )
        st.error("Unknown name or wrong password.")
        return
    sid = secrets.token_urlsafe(12)
    st.session_state[SESSION_KEY] = user["name"]
    st.session_state[SESSION_ID_KEY] = sid
    st.session_state["_set_cookie"] = session_token(user["name"], sid)
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
    if SESSION_KEY not in st.session_state:
        try:
            cookie = st.context.cookies.get(COOKIE)
        except Exception:  # noqa: BLE001 - no request context (tests)
            cookie = None
        found = read_token(cookie if isinstance(cookie, str) else None)
        if found:
            st.session_state[SESSION_KEY], st.session_state[SESSION_ID_KEY] = found
    name = st.session_state.get(SESSION_KEY)
    sid = st.session_state.get(SESSION_ID_KEY)
    user = users.find(name) if name else None
    if user is not None and user["role"] in ROLES and not (sid and store.session_revoked(sid)):
        token = st.session_state.pop("_set_cookie", None)
        if token:
            _write_cookie(token, SESSION_TTL_S)
        return user
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(SESSION_ID_KEY, None)
    _password_form(store)
    return None


def sign_out(store: RunStore | None = None) -> None:
    """Forget the signed-in user, revoke the session (a ``sign_out`` event, so the cookie no
    longer signs anyone in, in any tab) and clear the cookie; under OIDC, log out of the
    identity provider."""
    name = st.session_state.pop(SESSION_KEY, None)
    sid = st.session_state.pop(SESSION_ID_KEY, None)
    if store is not None and sid:
        store.add_event(
            None,  # type: ignore[arg-type]  # an event of no run
            step=None,
            node="auth",
            kind="sign_out",
            summary=f"{name} signed out (session {sid})",
            payload={"name": name, "session": sid},
        )
    st.session_state["_clear_cookie"] = True
    if oidc_configured():
        st.logout()
