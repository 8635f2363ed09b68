"""The ``users`` table in the SQLite file of the runs (see ``baton.checkpoints.users`` for the
roles and the password hashing). It has its own sqlite-utils migration set (``baton.users``),
applied when the table is first used, so it can be added to an existing database."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from sqlite_utils import Database, Migrations

from baton.checkpoints.protocol import now_iso
from baton.checkpoints.sqlite.connection import migrate
from baton.checkpoints.users import SignIn, check_new_user, hash_password
from baton.errors import ConfigError, NotFoundError

user_migrations = Migrations("baton.users")


@user_migrations()
def m001_users(db: Database) -> None:
    db["users"].create(
        {
            "name": str,
            "role": str,  # analyst | reviewer
            "password_hash": str,  # scrypt$N$r$p$salt$key, or NULL for an OIDC-only user
            "created_at": str,  # ISO 8601 UTC
            "last_login_at": str,
        },
        pk="name",
        not_null={"role", "created_at"},
        if_not_exists=True,
    )


class SqliteUsers(SignIn):
    """The ``users`` table of one SQLite file (a ``UserStore``), on the store's connection;
    its migration set (``baton.users``) is applied when it is opened.

    Rows are dicts ``{name, role, created_at, last_login_at}`` (the hash is never returned).
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        migrate(conn, user_migrations)

    @staticmethod
    def _public(row: dict[str, Any]) -> dict[str, Any]:
        return {k: row[k] for k in ("name", "role", "created_at", "last_login_at")} | {
            "oidc": row["password_hash"] is None
        }

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
        try:
            if replace:
                self.conn.execute(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (:name, :role, :password_hash, :created_at) "
                    "ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash",
                    row,
                )
            else:
                self.conn.execute(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (:name, :role, :password_hash, :created_at)",
                    row,
                )
        except sqlite3.IntegrityError:
            raise ConfigError(f"user {name!r} exists already") from None
        return self.get(name)

    def get(self, name: str) -> dict[str, Any]:
        """The user called ``name``. Raises ``NotFoundError``."""
        row = self.conn.execute(
            "SELECT name, role, password_hash, created_at, last_login_at FROM users WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no user {name!r}")
        return self._public(
            dict(
                zip(
                    ("name", "role", "password_hash", "created_at", "last_login_at"),
                    row,
                    strict=True,
                )
            )
        )

    def _password_hash(self, name: str) -> str | None | Literal[False]:
        row = self.conn.execute(
            "SELECT password_hash FROM users WHERE name = ?", (name,)
        ).fetchone()
        return False if row is None else row[0]

    def touch(self, name: str) -> None:
        """Record a sign-in of ``name`` now."""
        self.conn.execute("UPDATE users SET last_login_at = ? WHERE name = ?", (now_iso(), name))

    def list(self) -> list[dict[str, Any]]:
        """All users, by name."""
        rows = self.conn.execute(
            "SELECT name, role, password_hash, created_at, last_login_at FROM users ORDER BY name"
        ).fetchall()
        return [
            self._public(
                dict(
                    zip(
                        ("name", "role", "password_hash", "created_at", "last_login_at"),
                        r,
                        strict=True,
                    )
                )
            )
            for r in rows
        ]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM users").fetchone()[0])
