"""Shared fixtures. Tests never touch the network: sockets to anything but loopback are
blocked for the whole session (the e2e tests talk to a Streamlit server on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples" / "tasks.jsonl"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if not (host.startswith("127.") or host in ("localhost", "::1", "0.0.0.0")):
            raise OSError(f"network access blocked in tests: {address!r}")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _loopback_only(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _loopback_only(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_model_env(monkeypatch):
    """Tests run the offline engine unless they configure a model themselves."""
    for var in (
        "BATON_MODEL",
        "BATON_ENGINE",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "BATON_DB",
        "BATON_VERIFIER_CHECKS",
        "BATON_NLI_MODEL",
        "LANGSMITH_TRACING",
        "LANGSMITH_API_KEY",
        "LANGCHAIN_TRACING_V2",
        "LANGCHAIN_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A fresh SQLite file path (not yet created)."""
    return tmp_path / "baton.db"


STORE_URLS: dict[str, Callable[[Path], str]] = {
    "sqlite": lambda db_path: f"sqlite:///{db_path}",
}
"""How each storage backend's tests get a fresh database: ``{backend: url(db_path)}``. A
second backend (PostgreSQL) is one more entry; every test using ``store`` or ``store_url``
then runs on it too."""


@pytest.fixture(params=sorted(STORE_URLS))
def store_url(request, db_path) -> str:
    """The URL of a fresh database, once per backend of ``STORE_URLS``."""
    return STORE_URLS[request.param](db_path)


@pytest.fixture
def store(store_url):
    """A ``RunStore`` (``open_store(store_url)``) on a fresh database, closed after the test."""
    from baton.checkpoints import open_store

    s = open_store(store_url)
    yield s
    s.close()


def _read_jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture(scope="session")
def example_payloads() -> list[dict]:
    """The task payloads shipped in examples/tasks.jsonl (real Factcheck-GPT tasks)."""
    return _read_jsonl(EXAMPLES)


@pytest.fixture(scope="session")
def example_tasks(example_payloads):
    """``Task`` models of the shipped examples."""
    from baton.contracts import Task

    return [Task.model_validate(p) for p in example_payloads]


@pytest.fixture(scope="session")
def dev_tasks_path() -> Path:
    """../shared/data/tasks-dev.jsonl; tests that need it skip when it is absent."""
    path = SHARED_DATA / "tasks-dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture(params=["memory", "sqlite"])
def checkpointer(request, tmp_path):
    """Every graph test runs against both LangGraph checkpointers: in-memory and SQLite."""
    from baton.checkpoints import memory_saver, open_saver

    if request.param == "memory":
        yield memory_saver()
    else:
        saver = open_saver(tmp_path / "graph.db")
        yield saver
        saver.conn.close()


@pytest.fixture
def reviewed_run(store, example_tasks) -> str:
    """The id of a run of ``fcgpt-r57-answer`` that hit its hop ceiling (2), was extended by
    4 hops by reviewer ``ann`` and finished (verifier: ``supporting_verifier``)."""
    from baton.contracts import Decision
    from baton.policy import Policy
    from baton.testing import supporting_verifier
    from baton.worker import Worker, run_tasks

    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    (run_id,) = run_tasks(
        store,
        [task.model_copy(update={"policy": Policy(max_hops=2)})],
        verifier=supporting_verifier,
    )
    (item,) = store.queue()
    store.decide(
        item["item_id"], Decision(action="extend", reviewer="ann", extra_hops=4, note="go on")
    )
    Worker(store, verifier=supporting_verifier).drain()
    return run_id
