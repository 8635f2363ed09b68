"""LangGraph's ``PostgresSaver`` fenced by the run's lease (``FencedPostgresSaver``), and the
lease check both it and ``PostgresStore.fenced`` run (``check_lease``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.postgres import PostgresSaver, _internal
from psycopg import Cursor
from psycopg.rows import DictRow, dict_row

from baton.checkpoints.postgres.retention import PostgresPrune
from baton.checkpoints.protocol import LEASE_KEY, Lease
from baton.errors import LeaseLost

CHECK_LEASE = (
    "SELECT 1 FROM runs WHERE id = %s AND lease_owner = %s AND lease_epoch = %s "
    "AND status = 'running' FOR UPDATE"
)
"""The fencing check: locks the run's row until commit, so a concurrent claim (an ``UPDATE``
of that row) waits for the fenced writes and then sees the run as it left them."""

_LEASE: ContextVar[Lease | None] = ContextVar("baton_checkpoint_lease", default=None)


def check_lease(cur: Any, lease: Lease) -> None:
    """Raise ``LeaseLost`` unless the run still has ``lease``'s owner and epoch and is
    ``running``; run it first in a transaction (it locks the row until commit)."""
    if cur.execute(CHECK_LEASE, (lease.run_id, lease.owner, lease.epoch)).fetchone() is None:
        raise LeaseLost(lease.run_id)


def _lease_of(config: RunnableConfig) -> Lease | None:
    lease = (config.get("configurable") or {}).get(LEASE_KEY)
    return lease if isinstance(lease, Lease) else None


class FencedPostgresSaver(PostgresPrune, PostgresSaver):
    """LangGraph's ``PostgresSaver`` (with the standard ``prune``) whose ``put`` and
    ``put_writes`` are fenced by the ``Lease`` in ``config["configurable"][LEASE_KEY]``: the
    check (``check_lease``) and the checkpoint's statements run in ONE transaction (the stock
    saver pipelines them in autocommit), or ``LeaseLost`` is raised and nothing is written.
    Without a lease in the config it is the stock saver."""

    @contextmanager
    def _cursor(self, *, pipeline: bool = False) -> Iterator[Cursor[DictRow]]:
        lease = _LEASE.get()
        if lease is None:
            with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        with (
            self.lock,
            _internal.get_connection(self.conn) as conn,
            conn.transaction(),
            conn.cursor(binary=True, row_factory=dict_row) as cur,
        ):
            check_lease(cur, lease)
            yield cur

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        token = _LEASE.set(_lease_of(config))
        try:
            return super().put(config, checkpoint, metadata, new_versions)
        finally:
            _LEASE.reset(token)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        token = _LEASE.set(_lease_of(config))
        try:
            super().put_writes(config, writes, task_id, task_path)
        finally:
            _LEASE.reset(token)
