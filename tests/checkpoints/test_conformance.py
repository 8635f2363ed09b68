"""LangGraph's own checkpointer conformance suite (``langgraph-checkpoint-conformance``) on
baton's saver of each backend: the five base capabilities (put, put_writes, get_tuple, list,
delete_thread) and the extended ``prune``, which baton's retention goes through. baton's
savers are synchronous (as LangGraph's ``SqliteSaver`` and ``PostgresSaver`` are), so the
async suite drives them through ``SyncAsAsync``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate

from baton.checkpoints import open_saver


class SyncAsAsync(BaseCheckpointSaver):
    """The async methods the conformance suite calls, each running the wrapped synchronous
    saver's method (LangGraph's sync savers raise ``NotImplementedError`` for them)."""

    def __init__(self, saver: BaseCheckpointSaver):
        super().__init__(serde=saver.serde)
        self.saver = saver

    def get_next_version(self, current: Any, channel: Any = None) -> Any:
        return self.saver.get_next_version(current, channel)

    async def aget_tuple(self, config):
        return self.saver.get_tuple(config)

    async def alist(self, config, *, filter=None, before=None, limit=None) -> AsyncIterator:
        for item in self.saver.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(self, config, checkpoint, metadata, new_versions):
        return self.saver.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config, writes, task_id, task_path=""):
        return self.saver.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        return self.saver.delete_thread(thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self.saver.prune(thread_ids, strategy=strategy)


def test_baton_savers_pass_langgraph_conformance_with_prune(store_url):
    @checkpointer_test(name="baton")
    async def baton_saver():
        saver = open_saver(store_url)
        try:
            yield SyncAsAsync(saver)
        finally:
            saver.conn.close()

    report = asyncio.run(validate(baton_saver))
    results = {
        cap: (r.detected, r.passed, r.tests_failed, r.failures) for cap, r in report.results.items()
    }
    passed = {
        cap: (True, True, 0, [])
        for cap in ("put", "put_writes", "get_tuple", "list", "delete_thread", "prune")
    }
    not_offered = {cap: (False, None, 0, []) for cap in ("delete_for_runs", "copy_thread")}
    assert results == passed | not_offered
    assert report.results["prune"].tests_passed == 8
