"""Choosing the backend from a database URL: a path or ``sqlite:///PATH`` is SQLite; any other
scheme is a ``ConfigError`` naming the supported ones (without repeating the URL)."""

from __future__ import annotations

import pytest

from baton.checkpoints import RunStore, SqliteStore, open_saver, open_store
from baton.checkpoints.backends import BACKENDS, parse_url, remove_database
from baton.checkpoints.sqlite import CompactSqliteSaver
from baton.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("baton.db", ("sqlite", "baton.db")),
        ("/var/lib/baton.db", ("sqlite", "/var/lib/baton.db")),
        ("sqlite:///baton.db", ("sqlite", "baton.db")),
        ("sqlite:////var/lib/baton.db", ("sqlite", "/var/lib/baton.db")),
        ("SQLite:///x.db", ("sqlite", "x.db")),
    ],
)
def test_paths_and_sqlite_urls_are_sqlite(url, parsed):
    assert parse_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://root:secret@db/baton",
            "database URL scheme 'mysql' is not supported: use sqlite:///PATH (or a plain file path)",
        ),
        (
            "postgresql://u:pw@host/db",
            "database URL scheme 'postgresql' is not supported: use sqlite:///PATH (or a plain file path)",
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
    assert list(BACKENDS) == ["sqlite"]
    with open_store(f"sqlite:///{path}") as store:
        assert type(store) is SqliteStore and isinstance(store, RunStore)
        assert store.url == f"sqlite:///{path.resolve()}"
        saver = open_saver(store.url)
        assert type(saver) is CompactSqliteSaver
        saver.conn.close()
    assert path.exists()
    remove_database(store.url)
    assert list(tmp_path.iterdir()) == []
