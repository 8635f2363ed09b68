"""The PostgreSQL backend: LangGraph's ``PostgresSaver`` (psycopg 3, a connection pool) and
baton's own tables in one database, for many workers on many machines. All PostgreSQL-specific
code of baton lives in this package (``FOR UPDATE SKIP LOCKED``, ``ON CONFLICT``, the
versioned migrations in ``schema_migrations``, ``VACUUM``).

A backend package offers ``open_store(location)``, ``open_saver(location)`` and
``remove(location)`` (see ``baton.checkpoints.backends``); here ``location`` is a libpq URL,
``postgresql://user[:password]@host[:port]/database``.
"""

from __future__ import annotations

from psycopg import sql

from baton.checkpoints.postgres.connection import connect, database_name, maintenance_url
from baton.checkpoints.postgres.retention import PostgresPrune
from baton.checkpoints.postgres.saver import FencedPostgresSaver
from baton.checkpoints.postgres.store import PostgresStore

__all__ = [
    "PostgresPrune",
    "PostgresStore",
    "FencedPostgresSaver",
    "open_saver",
    "open_store",
    "remove",
]


def open_store(location: str) -> PostgresStore:
    """The ``PostgresStore`` of the database at ``location`` (migrated if needed, LangGraph's
    checkpoint tables included). Raises ``psycopg.OperationalError`` when the server does not
    answer or the database does not exist."""
    return PostgresStore(location)


def open_saver(location: str) -> FencedPostgresSaver:
    """A ``FencedPostgresSaver`` (LangGraph's ``PostgresSaver`` fenced by the run's lease, with
    the standard ``prune``) on the database at ``location`` over its own connection pool
    (``saver.conn``; close it when done), the tables migrated if needed (``open_store``)."""
    with PostgresStore(location) as store:
        return store.open_saver()


def remove(location: str) -> None:
    """Drop the database ``location`` names (``DROP DATABASE ... WITH (FORCE)``: its other
    sessions are ended) and create it empty again; nothing happens to other databases."""
    name = database_name(location)
    with connect(maintenance_url(location)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
