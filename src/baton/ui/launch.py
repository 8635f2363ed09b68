"""Start the browser app: a worker process and a Streamlit server on one database.

Both are child processes of ``serve`` (``baton ui``): Streamlit runs ``baton/ui/app.py``
with ``BATON_DATABASE_URL`` set to the database URL; the worker is ``baton worker --db URL``. When either
exits, or on Ctrl-C, the other is stopped too (terminate, then kill after ``STOP_GRACE_S``).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from baton.checkpoints.backends import display_url
from baton.errors import ConfigError
from baton.ui import APP_PATH
from baton.ui.sources import MAX_UPLOAD_BYTES

MAX_UPLOAD_MB = max(1, MAX_UPLOAD_BYTES // 1_000_000)
"""Streamlit's upload limit (MB), matched to what ``read_upload`` accepts."""

STOP_GRACE_S = 5.0
READY_TIMEOUT_S = 60.0
DEMO_USERS = (("analyst", "analyst"), ("reviewer", "reviewer"))
"""``(name, role)`` of the users ``--demo-users`` creates (with fresh random passwords)."""


def streamlit_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line for the app (headless, no usage statistics)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
        "--logger.level",
        "warning",
        "--server.maxUploadSize",
        str(MAX_UPLOAD_MB),
    ]


def worker_command(db: str) -> list[str]:
    """The ``baton worker`` command line for the database URL ``db``."""
    return [
        sys.executable,
        "-c",
        "import sys; from baton.cli import main; sys.exit(main(sys.argv[1:]))",
        "worker",
        "--db",
        db,
    ]


def wait_ready(
    url: str, timeout_s: float = READY_TIMEOUT_S, alive: Callable[[], bool] = lambda: True
) -> bool:
    """Poll Streamlit's ``/_stcore/health`` under ``url`` until it answers ``ok`` (True), the
    server process dies or ``timeout_s`` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def prepare(
    db: str, *, fresh: bool = False, load: Path | None = None, demo_users: bool = False
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Get ``db`` ready before serving: delete it first (``fresh``), queue the tasks of
    ``load`` (a .json/.jsonl task file), create demo users. Returns ``(run ids, [(name, role,
    password)])``."""
    from baton.checkpoints import open_store
    from baton.checkpoints.backends import remove_database

    if fresh:
        remove_database(db)
    run_ids: list[str] = []
    created: list[tuple[str, str, str]] = []
    with open_store(db) as store:
        if load is not None:
            from baton import service
            from baton.taskfile import load_tasks

            run_ids = [service.submit(store, t) for t in load_tasks(load)]
        if demo_users:
            for name, role in DEMO_USERS:
                password = secrets.token_urlsafe(9)
                store.users.add(name, role, password, replace=True)
                created.append((name, role, password))
    return run_ids, created


def _on_sigterm_interrupt():
    """Turn SIGTERM into ``KeyboardInterrupt`` (so the children are stopped too); returns the
    previous handler, or None off the main thread (where handlers cannot be set)."""

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve(
    db: str,
    *,
    port: int = 8501,
    host: str = "127.0.0.1",
    worker: bool = True,
    echo: Callable[[str], None] = print,
) -> int:
    """Run the app (and a worker unless ``worker=False``) until Ctrl-C, SIGTERM or a child exits.
    Returns the exit code: 0 on Ctrl-C, else the first child's non-zero code (1 if it was 0).
    Raises ``ConfigError`` when the server does not become ready (or ``db`` is not a
    database URL baton supports)."""
    from baton.checkpoints import open_store

    with open_store(db) as store:
        db = store.url  # absolute: the children may start elsewhere
    env = {**os.environ, "BATON_DATABASE_URL": db, "BATON_DB": db}
    procs: list[subprocess.Popen] = []
    previous = _on_sigterm_interrupt()
    try:
        if worker:
            procs.append(subprocess.Popen(worker_command(db), env=env))
        server = subprocess.Popen(streamlit_command(port, host), env=env, stdout=subprocess.DEVNULL)
        procs.append(server)
        url = f"http://{host}:{port}"
        if not wait_ready(url, alive=lambda: server.poll() is None):
            raise ConfigError(f"the Streamlit server did not start on {url} (is the port taken?)")
        echo(
            f"baton is up: {url}  (database {display_url(db)}"
            + (", with a worker" if worker else ", no worker")
            + "; Ctrl-C stops)"
        )
        while True:
            for p in procs:
                rc = p.poll()
                if rc is not None:
                    echo(
                        f"{'worker' if p is not server else 'Streamlit server'} exited with code {rc}; stopping"
                    )
                    return rc or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        echo("stopping")
        return 0
    finally:
        for p in reversed(procs):
            _stop(p)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
