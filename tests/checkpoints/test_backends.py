"""Choosing the backend from a database URL: a path or ``sqlite:///PATH`` is SQLite,
``postgresql://`` is PostgreSQL; any other scheme is a ``ConfigError`` naming the supported ones
(without repeating the URL)."""

from __future__ import annotations

import pytest

from baton.checkpoints import RunStore, SqliteStore, open_saver, open_store
from baton.checkpoints.backends import BACKENDS, display_url, parse_url, remove_database
from baton.checkpoints.sqlite import FencedSqliteSaver
from baton.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("baton.db", ("sqlite", "baton.db")),
        ("/var/lib/baton.db", ("sqlite", "/var/lib/baton.db")),
        ("sqlite:///baton.db", ("sqlite", "baton.db")),
        ("sqlite:////var/lib/baton.db", ("sqlite", "/var/lib/baton.db")),
        ("SQLite:///x.db", ("sqlite", "x.db")),
        ("postgresql://u:pw@host/db", ("postgresql", "postgresql://u:pw@host/db")),
        (
            "postgres://u@h:5433/baton?sslmode=require",
            ("postgresql", "postgresql://u@h:5433/baton?sslmode=require"),
        ),
        ("postgresql+psycopg://u@h/db", ("postgresql", "postgresql://u@h/db")),
    ],
)
def test_paths_and_sqlite_urls_are_sqlite(url, parsed):
    assert parse_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://root:secret@db/baton",
            "database URL scheme 'mysql' is not supported: use sqlite:///PATH (or a plain file "
            "path) or postgresql://USER@HOST/DB",
        ),
        (
            "postgresql://u:secret@host",
            "the postgresql URL names no database: use postgresql://USER@HOST/DB",
        ),
        (
            "postgresql://u:secret@host/?sslmode=require",
            "the postgresql URL names no database: use postgresql://USER@HOST/DB",
        ),
        ("sqlite://", "the sqlite URL names no database: use sqlite:///PATH"),
        ("  ", "no database given: pass a file path or sqlite:///PATH"),
    ],
)
def test_other_urls_are_a_config_error_that_does_not_repeat_the_url(url, message):
    with pytest.raises(ConfigError) as err:
        open_store(url)
    assert str(err.value) == message
    with pytest.raises(ConfigError):
        open_saver(url)


def test_open_store_and_open_saver_share_one_file(tmp_path):
    path = tmp_path / "b.db"
    assert list(BACKENDS) == ["sqlite", "postgresql"]
    with open_store(f"sqlite:///{path}") as store:
        assert type(store) is SqliteStore and isinstance(store, RunStore)
        assert store.url == f"sqlite:///{path.resolve()}"
        saver = open_saver(store.url)
        assert type(saver) is FencedSqliteSaver
        saver.conn.close()
    assert path.exists()
    remove_database(store.url)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_postgresql_url_opens_the_postgres_store_and_saver(store_url, example_tasks):
    from baton.checkpoints.postgres import PostgresStore

    url = store_url
    with open_store(url) as store:
        assert type(store) is PostgresStore and isinstance(store, RunStore)
        assert store.url == url
        assert store.conn.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        ).fetchall() == [
            {"version": 1, "name": "initial"},
            {"version": 2, "name": "langgraph_checkpoints"},
            {"version": 3, "name": "review_desk"},
        ]
        saver = open_saver(url)
        assert saver.prune(["no-such-thread"]) == (0, 0)
        with saver.conn.connection() as pooled:  # a stopped worker cannot hold a lock for ever
            for conn in (store.conn, pooled):
                row = conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()
                assert row == {"idle_in_transaction_session_timeout": "1min"}
        saver.conn.close()
        store.submit(example_tasks[0])
        assert store.status_counts() == {"queued": 1}
        remove_database(url)
    with open_store(url) as fresh:
        assert fresh.status_counts() == {}


def test_the_database_comes_from_baton_database_url_then_baton_db(monkeypatch):
    from baton.settings import Settings

    assert Settings.from_env().db == "baton.db"
    monkeypatch.setenv("BATON_DB", "old.db")
    assert Settings.from_env().db == "old.db"
    monkeypatch.setenv("BATON_DATABASE_URL", "postgresql://baton@db.internal/baton")
    assert Settings.from_env().db == "postgresql://baton@db.internal/baton"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://baton:s3cr:et@db.internal:5432/baton",
            "postgresql://baton:***@db.internal:5432/baton",
        ),
        (
            "postgresql://baton@db/baton?sslmode=require",
            "postgresql://baton@db/baton?sslmode=require",
        ),
        ("sqlite:////var/lib/baton.db", "sqlite:////var/lib/baton.db"),
        ("baton.db", "baton.db"),
    ],
)
def test_display_url_hides_the_password(url, shown):
    assert display_url(url) == shown


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_postgres_migrations_run_once_when_workers_start_together(store_url):
    import threading

    remove_database(store_url)  # an empty database: nothing migrated yet
    errors: list[BaseException] = []

    def start() -> None:
        try:
            open_store(store_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(store_url) as store:
        assert [
            r["version"] for r in store.conn.execute("SELECT version FROM schema_migrations")
        ] == [1, 2, 3]
        assert store.conn.execute("SELECT COUNT(*) AS n FROM checkpoint_migrations").fetchone() == {
            "n": 10
        }
