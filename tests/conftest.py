"""Shared fixtures. Tests never touch the network: sockets to anything but loopback are
blocked for the whole session (the e2e tests talk to a Streamlit server on 127.0.0.1, the
PostgreSQL tests to the server on 127.0.0.1:5432)."""

from __future__ import annotations

import json
import os
import socket
import uuid
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
        "BATON_DATABASE_URL",
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


PG_SERVER = os.environ.get("BATON_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
"""The PostgreSQL server the tests use (its maintenance database): trust authentication on
127.0.0.1 locally and in CI (``.ci/run`` starts it). Each test gets its own database."""


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(statement)


def _pg_url(name: str) -> str:
    """The URL of database ``name`` on ``PG_SERVER``."""
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template() -> str:
    """A database with baton's and LangGraph's tables migrated, made once per session (named
    for this process, so parallel sessions never collide) and dropped at its end: each test's
    database is a copy (``CREATE DATABASE ... TEMPLATE``: a file copy, several times faster
    than creating and migrating each one)."""
    from baton.checkpoints import open_store

    name = f"baton_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    open_store(_pg_url(name)).close()
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_url(request: pytest.FixtureRequest, db_path: Path) -> str:
    """A fresh PostgreSQL database (a copy of ``pg_template``), dropped after the test."""
    template = request.getfixturevalue("pg_template")
    name = f"baton_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    request.addfinalizer(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return _pg_url(name)


STORE_URLS: dict[str, Callable[[pytest.FixtureRequest, Path], str]] = {
    "sqlite": lambda request, db_path: f"sqlite:///{db_path}",
    "postgres": _postgres_url,
}
"""How each storage backend's tests get a fresh database: ``{backend: url(request,
db_path)}``; every test using ``store``, ``store_url`` or ``checkpointer`` runs on each."""


@pytest.fixture(params=sorted(STORE_URLS))
def store_url(request, db_path) -> str:
    """The URL of a fresh database, once per backend of ``STORE_URLS``."""
    return STORE_URLS[request.param](request, db_path)


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


@pytest.fixture(params=["memory", *sorted(STORE_URLS)])
def checkpointer(request, tmp_path):
    """Every graph test runs against each LangGraph checkpointer: in-memory, then baton's
    saver of each backend of ``STORE_URLS`` (SQLite, PostgreSQL) on a fresh database."""
    from baton.checkpoints import memory_saver, open_saver

    if request.param == "memory":
        yield memory_saver()
    else:
        saver = open_saver(STORE_URLS[request.param](request, tmp_path / "graph.db"))
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
