"""Raw SQL for the tests that reach under ``RunStore`` (simulating a crash, a lost row, a
constraint), on either backend: ``sql(store, statement, params)`` and ``integrity_errors()``."""

from __future__ import annotations


def sql(store, statement: str, params: tuple = ()):
    """Run raw SQL on ``store.conn`` with ``?`` placeholders on either backend (the backend
    hook of tests that reach under ``RunStore``); returns the cursor, whose rows are tuples
    on both. LangGraph's pending-writes table is ``writes`` in SQLite and
    ``checkpoint_writes`` in PostgreSQL: write ``{writes}`` for it."""
    if store.url.startswith("postgresql://"):
        from psycopg.rows import tuple_row

        text = statement.replace("%", "%%").replace("?", "%s").format(writes="checkpoint_writes")
        return store.conn.cursor(row_factory=tuple_row).execute(text, params)
    return store.conn.execute(statement.format(writes="writes"), params)


def integrity_errors() -> tuple[type[Exception], ...]:
    """The exceptions a violated constraint raises, on either backend."""
    import sqlite3

    import psycopg

    return (sqlite3.IntegrityError, psycopg.errors.IntegrityError)
