"""Users of the browser app (analysts and reviewers): roles, names, and password hashes;
the table itself is the backend's (``RunStore.users``, a ``UserStore``).

Passwords are hashed with scrypt (``hashlib.scrypt``, RFC 7914; N=2**14, r=8, p=1, a 16-byte
random salt, a 32-byte key) and stored as ``scrypt$N$r$p$salt_hex$key_hex``; checks use a
constant-time comparison. A user added for OpenID Connect sign-in (``oidc=True``) has no
password and can only sign in through the identity provider.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from typing import Any, Literal

from baton.checkpoints.protocol import UserStore
from baton.errors import ConfigError, NotFoundError

__all__ = [
    "MIN_PASSWORD",
    "NAME_RE",
    "ROLES",
    "Role",
    "UserStore",
    "check_name",
    "check_new_user",
    "dummy_hash",
    "hash_password",
    "verify_password",
]

Role = Literal["analyst", "reviewer"]
ROLES: tuple[str, ...] = ("analyst", "reviewer")
"""``analyst``: submits tasks and follows runs. ``reviewer``: everything an analyst can do,
plus the review queue and its decisions."""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
"""User names: 1-100 characters, letters, digits and ``. _ @ + -`` (an e-mail address fits)."""
MIN_PASSWORD = 8

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32


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


def check_new_user(name: str, role: str, password: str | None) -> str:
    """``name`` stripped, after checking a new user: ``ConfigError`` for a bad name, an
    unknown role or a password shorter than ``MIN_PASSWORD`` characters."""
    name = check_name(name)
    if role not in ROLES:
        raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password needs at least {MIN_PASSWORD} characters")
    return name


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password, checked against for unknown names (so timing does not
    reveal which names exist)."""
    return hash_password(secrets.token_hex(8))


class SignIn:
    """The backend-neutral half of a ``UserStore``: ``find`` and ``authenticate`` (the
    sign-in policy), over the backend's ``get``, ``touch`` and ``_password_hash``."""

    def get(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def touch(self, name: str) -> None:
        raise NotImplementedError

    def _password_hash(self, name: str) -> str | None | Literal[False]:
        """The stored hash of ``name`` (None: an OIDC-only user), or False for no such user."""
        raise NotImplementedError

    def find(self, name: str) -> dict[str, Any] | None:
        """The user called ``name``, or None."""
        try:
            return self.get(name)
        except NotFoundError:
            return None

    def authenticate(self, name: str, password: str) -> dict[str, Any] | None:
        """The user when ``password`` is theirs (and records the sign-in time), else None.
        An unknown name costs one scrypt hash too, so timing does not reveal which names exist."""
        name = (name or "").strip()
        stored = self._password_hash(name)
        if stored is False:
            verify_password(password, dummy_hash())
            return None
        if not verify_password(password, stored):
            return None
        self.touch(name)
        return self.get(name)
