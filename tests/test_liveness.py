"""The idle timeout measures the model server's silence, not a call's length: while a
non-streaming call waits, the server is probed (``baton.engines.liveness``); a slow server
that answers keeps the turn alive, a silent one ends it at ``idle_timeout_s``. Real HTTP
servers on loopback, ``ChatOpenAI`` as the client."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from baton import usage
from baton.contracts import Source, Task
from baton.engines.base import SupervisorView
from baton.engines.liveness import Liveness, origin
from baton.engines.llm import LLMEngine
from baton.errors import StepFailed
from baton.graph.guard import _turn
from baton.policy import Policy
from baton.state import NodeContext

TASK = Task(
    id="t",
    kind="answer",
    question="What does the Moon orbit?",
    sources=[Source(id="s1", text="The Moon orbits the Earth.")],
)
VIEW = SupervisorView(
    question=TASK.question,
    kind="answer",
    hop=0,
    max_hops=8,
    options=["research"],
    suggested="research",
)
ROUTE_REPLY = {
    "id": "c1",
    "object": "chat.completion",
    "created": 0,
    "model": "slow",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "SupervisorRoute",
                            "arguments": json.dumps({"next": "research", "reason": "start"}),
                        },
                    }
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 100, "completion_tokens": 12, "total_tokens": 112},
}


@contextmanager
def slow_server(delay_s: float) -> Iterator[tuple[str, list[str]]]:
    """An OpenAI-compatible server whose chat completions take ``delay_s`` seconds; it answers
    any GET at once (404). Yields ``(base_url, request_lines)``."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            seen.append(f"GET {self.path}")
            self.send_error(404)

        def do_POST(self):
            seen.append(f"POST {self.path}")
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay_s)
            body = json.dumps(ROUTE_REPLY).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never sends a byte (a stopped or wedged server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        for c in held:
            c.close()
        sock.close()


def _engine(base_url: str) -> LLMEngine:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(model="slow", base_url=base_url, api_key="x", timeout=30, max_retries=0)
    return LLMEngine(model, method="function_calling")


def _route_turn(engine: LLMEngine, idle_s: float):
    ctx = NodeContext("supervise", {"supervise": {"research"}}, engine)
    policy = Policy(idle_timeout_s=idle_s, agent_turn_timeout_s=30.0)
    meter = usage.Meter()
    return _turn(lambda state, ctx: ctx.engine.route(TASK, VIEW), {}, ctx, meter, policy), meter


def test_origin_is_scheme_host_and_port():
    assert origin("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/"
    assert origin("https://api.example.com/v1/") == "https://api.example.com/"
    with pytest.raises(ValueError, match="not an absolute URL"):
        origin("localhost/v1")


def test_a_slow_call_to_a_server_that_answers_outlives_the_idle_timeout():
    with slow_server(delay_s=2.5) as (base, seen):
        started = time.monotonic()
        route, meter = _route_turn(_engine(base), idle_s=1.0)
        took = time.monotonic() - started
    assert (route.next, route.reason) == ("research", "model: start")
    assert took >= 2.5
    assert meter.tokens == 112  # the server's usage, charged exactly
    assert seen[0] == "POST /v1/chat/completions"
    assert seen.count("GET /") >= 3  # probed about every 1/3 s while it generated


def test_a_silent_server_ends_the_turn_at_the_idle_timeout_not_the_call_timeout():
    with silent_server() as base:
        started = time.monotonic()
        with pytest.raises(StepFailed) as info:
            _route_turn(_engine(base), idle_s=1.0)
        took = time.monotonic() - started
    assert info.value.cause == "timeout"
    assert "idle longer than idle_timeout_s=1" in info.value.detail
    assert 1.0 <= took < 5.0  # the call's own timeout is 30 s


def test_liveness_counts_answers_and_touches_the_meter_it_was_entered_with():
    with slow_server(delay_s=0) as (base, _):
        meter = usage.Meter()
        before = meter.last_activity
        with usage.metered(meter), Liveness(origin(base), every_s=0.05) as probe:
            time.sleep(0.4)
    assert probe.answers >= 3
    assert meter.last_activity > before
