"""PostgreSQL connections for baton (psycopg 3): autocommit connections with dict rows, as
LangGraph's ``PostgresSaver`` needs them, one for a store and a ``psycopg_pool`` pool for a
saver. ``location`` is always a libpq URL (``postgresql://user@host:5432/db``)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

IDLE_IN_TRANSACTION_S = 60
"""Seconds the server lets a session sit idle inside an open transaction before it ends the
session (``idle_in_transaction_session_timeout``). baton's transactions are a few statements
long; a worker stopped in the middle of one (SIGSTOP, a frozen VM) would otherwise hold the
run's row lock for ever, and ``FOR UPDATE SKIP LOCKED`` would pass over the run: the server
frees it after this long, and the stopped worker's next write fails (its lease has moved on)."""

CONNECT_KWARGS: dict[str, Any] = {
    "autocommit": True,
    "row_factory": dict_row,
    "prepare_threshold": 0,
    "options": f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_S * 1000}",
}
"""What every connection gets: autocommit (explicit transactions only), rows as dicts,
prepared statements from the first execution (LangGraph's recommended settings), and the
server-side ``IDLE_IN_TRANSACTION_S``."""

POOL_MAX = 4
"""Connections a saver's pool opens at most (one worker runs one graph at a time)."""


def connect(location: str) -> psycopg.Connection[dict[str, Any]]:
    """One autocommit connection with dict rows to ``location`` (a libpq URL). Raises
    ``psycopg.OperationalError`` when the server does not answer."""
    return psycopg.connect(location, **CONNECT_KWARGS)


def pool(location: str, max_size: int = POOL_MAX) -> ConnectionPool:
    """An open ``ConnectionPool`` of 1 to ``max_size`` connections like ``connect``'s (waits
    until the first connection is made; raises ``psycopg_pool.PoolTimeout`` after 30 s)."""
    p = ConnectionPool(
        location, min_size=1, max_size=max_size, kwargs=dict(CONNECT_KWARGS), open=False
    )
    p.open(wait=True, timeout=30)
    return p


def maintenance_url(location: str, dbname: str = "postgres") -> str:
    """``location`` with its database replaced by ``dbname`` (to create or drop databases)."""
    info = psycopg.conninfo.conninfo_to_dict(location)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)


def database_name(location: str) -> str:
    """The database ``location`` names. Raises ``ValueError`` when it names none."""
    name = psycopg.conninfo.conninfo_to_dict(location).get("dbname")
    if not name:
        raise ValueError("the PostgreSQL URL names no database")
    return str(name)
