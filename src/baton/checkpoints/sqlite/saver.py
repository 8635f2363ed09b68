"""LangGraph's SQLite checkpointer for baton: ``SqliteSaver`` with compact channel versions
(``baton.checkpoints.saver.next_version``) and baton's serializer, on a WAL connection."""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from baton.checkpoints.saver import next_version, serializer
from baton.checkpoints.sqlite.connection import connect


class CompactSqliteSaver(SqliteSaver):
    """LangGraph's ``SqliteSaver`` with compact channel versions (``next_version``): about
    1.1 KB less in each checkpoint of baton's graph."""

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return next_version(current)


def open_saver(path: str | Path) -> CompactSqliteSaver:
    """A ``CompactSqliteSaver`` on its own connection to the file ``path`` (``connect``: WAL,
    busy timeout; one writer process per run), its tables created if missing."""
    conn = connect(path)
    # SqliteSaver commits once per call; with implicit transactions each call is atomic. In
    # autocommit mode a SIGKILL inside put_writes could leave half a task's writes behind,
    # and the run would look finished without a report.
    conn.isolation_level = "DEFERRED"
    saver = CompactSqliteSaver(conn, serde=serializer())
    saver.setup()
    return saver
