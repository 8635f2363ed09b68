"""One real task against a real OpenAI-compatible endpoint: marked ``live`` and skipped
without ``OPENAI_API_KEY``. Configure with the usual variables (captured when this module is
imported, before the test session clears them): ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``
(optional), ``BATON_MODEL`` (default ``gpt-4o-mini``). Run: ``pytest -m live tests/test_live.py``.
"""

from __future__ import annotations

import os
import socket
import sys

import pytest

from livekit import assert_reviewable

LIVE = {k: os.environ.get(k) for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BATON_MODEL")}

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not LIVE["OPENAI_API_KEY"],
        reason="live test: set OPENAI_API_KEY to run one real task against a real endpoint",
    ),
]


@pytest.fixture
def network(monkeypatch):
    """Lift the session's loopback-only socket guard for this test only."""
    root = next(
        m
        for m in list(sys.modules.values())
        if getattr(m, "__file__", "") and m.__file__.endswith(os.path.join("tests", "conftest.py"))
    )
    monkeypatch.setattr(socket.socket, "connect", root._real_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", root._real_connect_ex)


def test_one_real_task_against_a_real_endpoint(network, store, example_tasks):
    from baton.engines.llm import LLMEngine
    from baton.settings import Settings
    from baton.worker import Worker

    settings = Settings(
        engine="llm",
        model=LIVE["BATON_MODEL"] or "gpt-4o-mini",
        base_url=LIVE["OPENAI_BASE_URL"],
        api_key=LIVE["OPENAI_API_KEY"],
        request_timeout_s=60,
    )
    task = next(t for t in example_tasks if t.kind == "answer")
    run_id = store.submit(task)
    Worker(store, engine=LLMEngine.from_settings(settings)).drain()
    assert_reviewable(store, run_id)
