"""Users of the browser app (analysts and reviewers) and their password hashes, in the same
SQLite file as the runs.

Passwords are hashed with scrypt (``hashlib.scrypt``, RFC 7914; N=2**14, r=8, p=1, a 16-byte
random salt, a 32-byte key) and stored as ``scrypt$N$r$p$salt_hex$key_hex``; checks use a
constant-time comparison. A user added for OpenID Connect sign-in (``oidc=True``) has no
password and can only sign in through the identity provider.

The ``users`` table has its own sqlite-utils migration set (``baton.users``), applied when a
``Users`` is opened, so it can be added to an existing database.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database, Migrations

from baton.checkpoints.saver import open_database
from baton.checkpoints.store import now_iso
from baton.errors import ConfigError, NotFoundError

Role = Literal["analyst", "reviewer"]
ROLES: tuple[str, ...] = ("analyst", "reviewer")
"""``analyst``: submits tasks and follows runs. ``reviewer``: everything an analyst can do,
plus the review queue and its decisions."""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
"""User names: 1-100 characters, letters, digits and ``. _ @ + -`` (an e-mail address fits)."""
MIN_PASSWORD = 8

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32

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


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt_hex$key_hex`` for ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_DKLEN
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored`` (a ``hash_password`` string); False for a
    malformed or missing hash. Constant-time in the key comparison."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt_hex, key_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        key = bytes.fromhex(key_hex)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(key),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, key)


def check_name(name: str) -> str:
    """``name`` stripped, or ``ConfigError`` when it is not a valid user name (see ``NAME_RE``)."""
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise ConfigError(
            f"user name {name!r} is not valid: use 1-100 letters, digits and . _ @ + -"
        )
    return name


class Users:
    """The ``users`` table of one SQLite file. ``Users(path)`` applies its migration.

    Rows are dicts ``{name, role, created_at, last_login_at}`` (the hash is never returned).
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.conn, self.db = open_database(self.path, user_migrations)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Users:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        name = check_name(name)
        if role not in ROLES:
            raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if password is not None and len(password) < MIN_PASSWORD:
            raise ConfigError(f"the password needs at least {MIN_PASSWORD} characters")
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

    def find(self, name: str) -> dict[str, Any] | None:
        """The user called ``name``, or None."""
        try:
            return self.get(name)
        except NotFoundError:
            return None

    def authenticate(self, name: str, password: str) -> dict[str, Any] | None:
        """The user when ``password`` is theirs (and records the sign-in time), else None.
        An unknown name costs one scrypt hash too, so timing does not reveal which names exist."""
        row = self.conn.execute(
            "SELECT password_hash FROM users WHERE name = ?", ((name or "").strip(),)
        ).fetchone()
        if row is None:
            verify_password(password, _dummy_hash())
            return None
        if not verify_password(password, row[0]):
            return None
        self.touch(name.strip())
        return self.get(name.strip())

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


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))
