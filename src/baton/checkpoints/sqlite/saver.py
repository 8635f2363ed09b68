"""LangGraph's SQLite checkpointer for baton: ``SqliteSaver`` with compact channel versions
(``baton.checkpoints.saver.next_version``) and baton's serializer, on a WAL connection, whose
checkpoint writes are fenced by the run's lease (``FencedSqliteSaver``)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.sqlite import SqliteSaver

from baton.checkpoints.protocol import LEASE_KEY, Lease
from baton.checkpoints.saver import next_version, serializer
from baton.checkpoints.sqlite.connection import connect
from baton.checkpoints.sqlite.prune import SqlitePrune
from baton.errors import LeaseLost

_CHECK_LEASE = (
    "SELECT 1 FROM runs WHERE id = ? AND lease_owner = ? AND lease_epoch = ? AND status = 'running'"
)


def check_lease(conn: sqlite3.Connection | sqlite3.Cursor, lease: Lease) -> None:
    """Raise ``LeaseLost`` unless the run still has ``lease``'s owner and epoch and is
    ``running``. Call it inside a write transaction (``BEGIN IMMEDIATE``), before the writes
    it fences."""
    if conn.execute(_CHECK_LEASE, (lease.run_id, lease.owner, lease.epoch)).fetchone() is None:
        raise LeaseLost(lease.run_id)


class CompactSqliteSaver(SqlitePrune, SqliteSaver):
    """LangGraph's ``SqliteSaver`` with compact channel versions (``next_version``): about
    1.1 KB less in each checkpoint of baton's graph."""

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return next_version(current)


class FencedSqliteSaver(CompactSqliteSaver):
    """``CompactSqliteSaver`` whose ``put`` and ``put_writes`` are fenced by the ``Lease`` in
    ``config["configurable"][LEASE_KEY]``: in one ``BEGIN IMMEDIATE`` transaction they check
    the run's ``(lease_owner, lease_epoch)`` and write, or raise ``LeaseLost`` writing nothing.
    Without a lease in the config they are the stock saver's. ``lock`` is reentrant (the
    fenced write holds it around the stock method, which takes it again)."""

    def __init__(self, conn: sqlite3.Connection, **kwargs: Any):
        super().__init__(conn, **kwargs)
        self.lock = threading.RLock()  # type: ignore[assignment]

    @contextmanager
    def _fenced(self, config: RunnableConfig) -> Iterator[None]:
        lease = (config.get("configurable") or {}).get(LEASE_KEY)
        if not isinstance(lease, Lease):
            yield
            return
        with self.lock:
            self.setup()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                check_lease(self.conn, lease)
                yield  # the stock method's cursor commits
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.rollback()
                raise

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        with self._fenced(config):
            return super().put(config, checkpoint, metadata, new_versions)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        with self._fenced(config):
            super().put_writes(config, writes, task_id, task_path)


def open_saver(path: str | Path) -> FencedSqliteSaver:
    """A ``FencedSqliteSaver`` on its own connection to the file ``path`` (``connect``: WAL,
    busy timeout; one writer process per run), its tables created if missing."""
    conn = connect(path)
    # SqliteSaver commits once per call; with implicit transactions each call is atomic. In
    # autocommit mode a SIGKILL inside put_writes could leave half a task's writes behind,
    # and the run would look finished without a report.
    conn.isolation_level = "DEFERRED"
    saver = FencedSqliteSaver(conn, serde=serializer())
    saver.setup()
    return saver
