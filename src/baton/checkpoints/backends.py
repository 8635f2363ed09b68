"""Choosing the storage backend from a database URL.

=========================================  =====================================================
URL                                        backend
=========================================  =====================================================
``baton.db``, ``/var/lib/baton.db``        SQLite file at that path (relative to the working
                                           directory)
``sqlite:///baton.db``                     the same, as a URL (SQLAlchemy's form: three slashes
                                           and a relative path, four for an absolute one:
                                           ``sqlite:////var/lib/baton.db``)
``postgresql://user@host:5432/baton``      PostgreSQL database ``baton`` (``postgres://`` and
                                           ``postgresql+psycopg://`` too; libpq URL, password
                                           and ``?sslmode=...`` parameters allowed)
=========================================  =====================================================

Any other scheme raises ``ConfigError`` naming the supported ones. A backend is a package
offering ``open_store(location) -> RunStore``, ``open_saver(location) -> BaseCheckpointSaver``
and ``remove(location)`` (delete the database: ``baton ui --fresh``);
adding one is a line in ``BACKENDS``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from baton.errors import ConfigError

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from baton.checkpoints.protocol import RunStore

BACKENDS: dict[str, str] = {
    "sqlite": "baton.checkpoints.sqlite",
    "postgresql": "baton.checkpoints.postgres",
}
"""URL scheme -> the package of its backend."""


def parse_url(url: str | Path) -> tuple[str, str]:
    """``(scheme, location)`` of a database URL or file path. Raises ``ConfigError`` for an
    unsupported scheme or an empty location (the URL itself is not repeated: it may hold a
    password)."""
    text = str(url).strip()
    if "://" not in text:
        if not text:
            raise ConfigError("no database given: pass a file path or sqlite:///PATH")
        return "sqlite", text
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower().split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    if scheme == "postgresql":
        location = "postgresql://" + rest
        _host, _, dbname = rest.split("?", 1)[0].partition("/")
        if not dbname:
            raise ConfigError("the postgresql URL names no database: use postgresql://USER@HOST/DB")
        return scheme, location
    if scheme not in BACKENDS:
        raise ConfigError(
            f"database URL scheme {scheme!r} is not supported: use "
            + "sqlite:///PATH (or a plain file path) or postgresql://USER@HOST/DB"
        )
    location = rest[1:] if rest.startswith("/") else rest
    if not location:
        raise ConfigError(f"the {scheme} URL names no database: use {scheme}:///PATH")
    return scheme, location


def display_url(url: str | Path) -> str:
    """``url`` fit to print: a password in it is replaced by ``***``
    (``postgresql://baton:***@db/baton``); paths are unchanged."""
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, tail = rest.partition("/")
    user, at, host = authority.rpartition("@")
    if at and ":" in user:
        authority = user.split(":", 1)[0] + ":***@" + host
    return f"{scheme}://{authority}{slash}{tail}"


def _backend(url: str | Path):
    scheme, location = parse_url(url)
    return importlib.import_module(BACKENDS[scheme]), location


def open_store(url: str | Path) -> RunStore:
    """The ``RunStore`` at ``url`` (see the module docstring), its tables created or migrated.
    Raises ``ConfigError`` for an unsupported URL."""
    backend, location = _backend(url)
    return backend.open_store(location)


def open_saver(url: str | Path) -> BaseCheckpointSaver:
    """A LangGraph checkpointer on the database at ``url``, its tables created if missing (on
    its own connection; one writer process per run). Raises ``ConfigError`` for an
    unsupported URL."""
    backend, location = _backend(url)
    return backend.open_saver(location)


def remove_database(url: str | Path) -> None:
    """Delete the database at ``url`` and everything in it (``baton ui --fresh``); nothing
    happens when there is none. Raises ``ConfigError`` for an unsupported URL."""
    backend, location = _backend(url)
    backend.remove(location)
