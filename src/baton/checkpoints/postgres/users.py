"""The ``users`` table in PostgreSQL (see ``baton.checkpoints.users`` for the roles and the
password hashing); created by the store's migrations."""

from __future__ import annotations

from typing import Any, Literal

import psycopg

from baton.checkpoints.protocol import now_iso
from baton.checkpoints.users import SignIn, check_new_user, hash_password
from baton.errors import ConfigError, NotFoundError

_COLUMNS = "name, role, password_hash, created_at, last_login_at"


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("name", "role", "created_at", "last_login_at")} | {
        "oidc": row["password_hash"] is None
    }


class PostgresUsers(SignIn):
    """The ``users`` table on a store's connection (a ``UserStore``). Rows are dicts
    ``{name, role, created_at, last_login_at, oidc}`` (the hash is never returned)."""

    def __init__(self, conn: psycopg.Connection[dict[str, Any]]):
        self.conn = conn

    def add(
        self, name: str, role: str, password: str | None, *, replace: bool = False
    ) -> dict[str, Any]:
        """Create a user (``password=None``: an OIDC-only user). Raises ``ConfigError`` for a
        bad name, an unknown role, a password shorter than ``MIN_PASSWORD`` characters, or a
        name that exists (unless ``replace=True``, which resets role and password)."""
        name = check_new_user(name, role, password)
        row = {
            "name": name,
            "role": role,
            "password_hash": hash_password(password) if password is not None else None,
            "created_at": now_iso(),
        }
        insert = (
            "INSERT INTO users (name, role, password_hash, created_at) "
            "VALUES (%(name)s, %(role)s, %(password_hash)s, %(created_at)s)"
        )
        if replace:
            insert += (
                " ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
                "password_hash = excluded.password_hash"
            )
        try:
            self.conn.execute(insert, row)
        except psycopg.errors.UniqueViolation:
            raise ConfigError(f"user {name!r} exists already") from None
        return self.get(name)

    def get(self, name: str) -> dict[str, Any]:
        """The user called ``name``. Raises ``NotFoundError``."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM users WHERE name = %s", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"no user {name!r}")
        return _public(row)

    def _password_hash(self, name: str) -> str | None | Literal[False]:
        row = self.conn.execute(
            "SELECT password_hash FROM users WHERE name = %s", (name,)
        ).fetchone()
        return False if row is None else row["password_hash"]

    def touch(self, name: str) -> None:
        """Record a sign-in of ``name`` now."""
        self.conn.execute("UPDATE users SET last_login_at = %s WHERE name = %s", (now_iso(), name))

    def list(self) -> list[dict[str, Any]]:
        """All users, by name."""
        return [
            _public(r) for r in self.conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name")
        ]

    def count(self) -> int:
        """How many users there are."""
        return int(self.conn.execute("SELECT count(*) AS n FROM users").fetchone()["n"])
