"""Signs of life from a model server while a non-streaming call waits on it.

A non-streaming chat completion sends no byte until the whole reply is generated, so the time
a call takes says nothing about whether the server is working or gone (stopped, wedged, its
host unreachable). While such a call is in flight, ``Liveness`` sends a small ``GET`` to the
server's origin (``scheme://host:port/``) every ``every_s`` seconds on a daemon thread; any
HTTP answer, whatever its status (llama.cpp's server answers ``/`` from its event loop while
the model generates; a hosted API answers 404 or 401), is a sign of life and touches the
turn's meter (``baton.usage.Meter.touch``). The guard's idle clock therefore keeps running
during the call and measures the server's silence: a server that answers nothing for
``policy.idle_timeout_s`` seconds ends the turn as ``timeout`` long before the call's own
HTTP timeout would.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import httpx

from baton import usage

PROBE_TIMEOUT_S = 2.0
"""Seconds one probe waits for an answer."""


def origin(base_url: str) -> str:
    """``scheme://host[:port]/`` of ``base_url`` (``http://127.0.0.1:8080/v1`` ->
    ``http://127.0.0.1:8080/``). Raises ``ValueError`` for a URL without scheme or host."""
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {base_url!r}")
    return f"{parts.scheme}://{parts.netloc}/"


class Liveness:
    """Context manager: probe ``url`` every ``every_s`` seconds while the block runs, touching
    the meter that was current on entry at each answer. ``answers`` counts them. Never
    raises for a failed probe (that is the silence the guard measures)."""

    def __init__(self, url: str, every_s: float, timeout_s: float = PROBE_TIMEOUT_S):
        self.url = url
        self.every_s = every_s
        self.timeout_s = timeout_s
        self.answers = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._meter: usage.Meter | None = None

    def __enter__(self) -> Liveness:
        self._meter = usage.current()
        self._thread = threading.Thread(target=self._run, name="baton-liveness", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout_s + 1.0)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            while not self._stop.wait(self.every_s):
                try:
                    client.get(self.url)
                except httpx.HTTPError:
                    continue  # silence: no touch
                self.answers += 1
                if self._meter is not None:
                    self._meter.touch()
