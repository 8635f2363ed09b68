"""The audit trail: what each node saw, decided and changed, as ``events`` rows.

Every run's events answer "what did each node see and decide, and where did this claim come
from?" without the checkpoints (which retention prunes). One row per:

==============  ===========================================================================
kind            written when / payload
==============  ===========================================================================
``status``      the run is queued, started, resumed, paused or ends (by the store/worker)
``node_start``  a node began its superstep; payload ``{"started_at", "saw"}``: the start
                time (ISO 8601 UTC) and what it was handed (the ``Handoff`` for a specialist,
                the run's counts for ``supervise``)
``node``        the node's update was checkpointed; ``duration_ms``, ``tokens`` (tokens the
                node spent), payload ``{"changed": {key: summary}, "claims": [...]}``: a
                one-line summary of every state key it wrote, and the claims it made with
                their citations (``source_id[start:end]``) when it wrote ``claims``
``handoff``     ``supervise`` handed the work to a specialist; payload: the ``Handoff``
``check``       the verifier's results; payload: one entry per claim with its label,
                confidence, the result of every check and the evidence spans
``bound``       a policy bound was hit (hop limit, retry pool, token budget); payload: the bound
``failure``     a node failed (a recorded ``Failure``); payload: the failures
``interrupt``   the run paused for review (by the worker); payload: the review item
``decision``    a reviewer decided (by the store); payload: the ``Decision``
``model_call``  a model call started or ended, written when it happens (``step`` None);
                payload ``{"phase": "start", "call", "model", "method", "max_tokens"}`` or
                ``{"phase": "end", "call", "seconds", "tokens", "outcome"}``
``structured_   the endpoint refused a structured-output method and the llm engine fell
fallback``      back to the next; payload ``{"method", "next", "cause", "detail"}``
``retry``       a failed model call retried inside the turn (``retry_scope="call"``)
==============  ===========================================================================

Every row carries the run id, the superstep (``step``), the hop, the node and a one-line
``summary``. A node's cost (``duration_ms``, ``tokens``) sits on its ``node`` row only, so
summing a run's rows never counts it twice.

This module builds the rows (``update_events``) and reads them back for people
(``trace_rows``, ``format_table``, ``format_jsonl``); the worker writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

EVENT_KINDS: tuple[str, ...] = (
    "status",
    "node_start",
    "node",
    "handoff",
    "check",
    "bound",
    "failure",
    "interrupt",
    "decision",
    "lease_lost",
    "model_call",
    "structured_fallback",
    "cited_by_retrieval",
    "retry",
)
"""Every ``kind`` an audit event can have (``lease_lost``: a worker stopped because another one
claimed its run, see ``baton.recorder.RunRecorder.lease_lost``)."""


def waiting(events: Iterable[Mapping[str, Any]], now: datetime | None = None) -> str | None:
    """``"supervise: waiting for the model (call 2, 14 s)"`` when the latest ``model_call``
    event of ``events`` (a run's, oldest first) is a start with no end; else None. ``now``:
    default the current UTC time."""
    last = None
    for e in events:
        if e["kind"] == "model_call":
            last = e
        elif e["kind"] in ("node", "interrupt", "status") and last is not None:
            last = None if e["kind"] != "status" or e["summary"] != "started" else last
    if last is None or (last.get("payload") or {}).get("phase") != "start":
        return None
    created = str(last.get("created_at") or "")
    try:
        at = datetime.fromisoformat(created.replace("Z", "+00:00"))
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        secs = f", {((now or datetime.now(UTC)) - at).total_seconds():.0f} s"
    except ValueError:
        secs = ""
    return f"{last['node']}: waiting for the model (call {last['payload'].get('call')}{secs})"


TRACE_COLUMNS: tuple[str, ...] = ("time", "step", "hop", "node", "kind", "ms", "tokens", "summary")
"""Columns of ``baton trace --format table``."""


def jsonable(value: Any) -> Any:
    """``value`` with pydantic models dumped to JSON-ready dicts (recursively)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dict, Mapping)):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Field ``name`` of a pydantic model or a dict (state values come as either)."""
    if isinstance(obj, (dict, Mapping)):
        return obj.get(name, default)
    return getattr(obj, name, default)


def summarize_key(key: str, value: Any) -> str:
    """A one-line summary of the new value of state key ``key`` (for ``changed``). Reads the
    fields it names; never dumps a whole model (the task's sources can be megabytes)."""
    v = value
    if v is None:
        return "cleared"
    if type(v) in (int, float):  # the counters written every step (hops, elapsed_s, tokens)
        return str(v)
    if key == "handoff":
        return f"{_get(v, 'sender')} -> {_get(v, 'recipient')} (hop {_get(v, 'hop')})"
    if key == "claims":
        return f"{_plural(len(v), 'claim')}" + (
            ": " + ", ".join(_get(c, "id") for c in v[:12]) if v else ""
        )
    if key == "verdicts":
        counts: dict[str, int] = {}
        for x in v:
            label = _get(x, "label")
            counts[label] = counts.get(label, 0) + 1
        return _plural(len(v), "verdict") + (
            ": " + ", ".join(f"{n} {lab}" for lab, n in sorted(counts.items())) if v else ""
        )
    if key == "passages":
        return _plural(len(v), "passage")
    if key == "answer":
        return _plural(len(str(v).split()), "word")
    if key in ("failures", "pending_failure"):
        items = v if isinstance(v, (list, tuple)) else [v]
        return (
            "; ".join(
                f"{_get(f, 'node')} {_get(f, 'kind')}: {_clip(_get(f, 'detail'), 80)}"
                for f in items
            )
            or "none"
        )
    if key == "review":
        bound = _get(v, "bound")
        return f"review requested: {_get(v, 'reason')}" + (f" ({bound})" if bound else "")
    if key == "directive":
        return f"-> {_get(v, 'next')}"
    if key == "decisions":
        return _plural(len(v), "decision") + (
            f", last {_get(v[-1], 'action')} by {_get(v[-1], 'reviewer')}" if v else ""
        )
    if key == "report":
        return f"report: {_plural(len(_get(v, 'claims') or []), 'claim')}, {_plural(len(_get(v, 'caveats') or []), 'caveat')}"
    if key == "trace":
        return f"+{_plural(len(v), 'line')}"
    if key == "task":
        kind, n = _get(v, "kind"), len(_get(v, "sources") or [])
        return f"task {_get(v, 'id') or ''} ({kind}, {_plural(n, 'source')})".replace(
            "task  ", "task "
        )
    if isinstance(v, (list, tuple)):
        return _plural(len(v), "item")
    v = jsonable(v)
    if isinstance(v, dict):
        return _clip(json.dumps(v, sort_keys=True), 120)
    return _clip(str(v), 120)


def flat_state(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """``values`` with the fields of its ``account`` (hops, tokens, elapsed_s, ...) in place of
    the ``account`` key, so that summaries name the counter that changed."""
    account = values.get("account")
    if not account:
        return values
    out = {k: v for k, v in values.items() if k != "account"}
    out.update(account)
    return out


def changed_keys(update: Mapping[str, Any]) -> dict[str, str]:
    """``{state key: summary of its new value}`` for every key a node wrote (the ``account``'s
    fields each as a key), sorted by key."""
    flat = flat_state(update)
    return {k: summarize_key(k, flat[k]) for k in sorted(flat)}


def _citation(ev: Mapping[str, Any]) -> str:
    return f"{ev['source_id']}[{ev['start']}:{ev['end']}]"


def claim_rows(claims: Iterable[Any]) -> list[dict[str, Any]]:
    """Compact claims for the audit: ``{"id", "text", "author", "citations": ["src[start:end]"]}``."""
    return [
        {
            "id": c["id"],
            "text": c["text"],
            "author": c["author"],
            "citations": [_citation(e) for e in c.get("citations", [])],
        }
        for c in jsonable(list(claims))
    ]


def _check_event(verdicts: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    entries = []
    parts = []
    for v in verdicts:
        checks = [
            {
                "check": c["check"],
                "label": c["label"],
                "score": c["score"],
                "detail": c.get("detail", ""),
            }
            for c in v.get("checks", [])
        ]
        entries.append(
            {
                "claim_id": v["claim_id"],
                "label": v["label"],
                "confidence": v["confidence"],
                "checks": checks,
                "evidence": [
                    {**_e, "span": _citation(_e)}
                    for _e in (
                        {k: e[k] for k in ("source_id", "start", "end", "text")}
                        for e in v.get("evidence", [])
                    )
                ],
            }
        )
        shown = ", ".join(f"{c['check']} {c['label'] or '-'}" for c in checks[:6])
        parts.append(
            f"{v['claim_id']} {v['label']} {v['confidence']:.2f}" + (f" ({shown})" if shown else "")
        )
    return "; ".join(parts) or "no verdict", entries


def _saw(node: str, values: Mapping[str, Any]) -> dict[str, Any]:
    handoff = values.get("handoff")
    if node == "supervise" or handoff is None:
        counts: dict[str, int] = {}
        for v in values.get("verdicts") or []:
            label = _get(v, "label")
            counts[label] = counts.get(label, 0) + 1
        return {
            "passages": len(values.get("passages") or []),
            "claims": len(values.get("claims") or []),
            "verdicts": counts,
            "answer_written": bool(values.get("answer")),
        }
    return {
        "handoff": {
            k: jsonable(_get(handoff, k))
            for k in ("sender", "recipient", "hop", "instructions", "context", "expected_output")
        }
    }


def update_events(
    step: int | None,
    node: str,
    update: Mapping[str, Any],
    state: Mapping[str, Any],
    *,
    duration_ms: float,
    tokens: int | None = None,
    ended_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The audit events of one node turn, as keyword arguments for ``Store.add_event``.

    - ``step``: the superstep of the checkpoint that holds the update.
    - ``update``: what the node wrote; ``state``: the state it received (a dict of contracts
      or of their dicts).
    - ``duration_ms``: the node's wall time in milliseconds; ``tokens``: tokens it spent
      (default: the ``tokens`` it wrote minus the ``tokens`` it received; None when it wrote
      none).
    - ``ended_at``: when it ended (default now, UTC); ``node_start`` is dated
      ``ended_at - duration_ms``.

    Every event carries the hop after the turn (``supervise`` writes the next one). Returns
    ``node_start``, ``node`` and, when the update holds them, ``handoff``, ``check``,
    ``bound`` (a review request's), ``failure`` and ``bound`` (the bounds in
    ``update["bounds"]``: token alert, budget, pipeline timeout, unless the review request
    already names its bound) events, in that order.
    """

    account_before = state.get("account") or {}
    charged = update.get("account") or {}

    def after(key: str) -> Any:  # an account field after the turn
        return charged[key] if key in charged else account_before.get(key)

    if tokens is None and charged.get("tokens") is not None:
        tokens = max(0, int(charged["tokens"]) - int(account_before.get("tokens") or 0))
    hop = int(after("hops") or 0)
    ended = ended_at or datetime.now(UTC)
    started = ended - timedelta(milliseconds=duration_ms)
    trace = [str(t) for t in (update.get("trace") or [])]
    changed = changed_keys(update)
    base = {"step": step, "node": node, "hop": hop}
    start_payload = {
        "started_at": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "saw": _saw(node, state),
    }
    end_payload: dict[str, Any] = {"changed": changed}
    if charged.get("cost") is not None:
        end_payload["cost"] = round(
            float(charged["cost"]) - float(account_before.get("cost") or 0.0), 9
        )
    if update.get("claims"):
        end_payload["claims"] = claim_rows(update["claims"])
    what = "; ".join(trace) or f"{node} updated {', '.join(changed) or 'nothing'}"
    events: list[dict[str, Any]] = [
        {**base, "kind": "node_start", "summary": f"{node} started", "payload": start_payload},
        {
            **base,
            "kind": "node",
            "summary": _clip(what, 300) + (f" | changed: {', '.join(changed)}" if changed else ""),
            "payload": end_payload,
            "duration_ms": round(float(duration_ms), 3),
            "tokens": tokens,
        },
    ]
    if update.get("handoff") is not None:
        h = jsonable(update["handoff"])
        events.append(
            {
                **base,
                "kind": "handoff",
                "summary": f"{h['sender']} -> {h['recipient']} (hop {h['hop']}): {_clip(h['instructions'], 160)}",
                "payload": h,
            }
        )
    if (
        update.get("verdicts") and "claims" not in update
    ):  # the verifier's results (authors only filter)
        summary, entries = _check_event(jsonable(update["verdicts"]))
        events.append({**base, "kind": "check", "summary": _clip(summary, 400), "payload": entries})
    review = jsonable(update.get("review"))
    if review and review.get("bound"):
        events.append(
            {
                **base,
                "kind": "bound",
                "summary": f"{review['reason']}: {review['bound']}",
                "payload": {
                    "reason": review["reason"],
                    "bound": review["bound"],
                    "hop": review["hop"],
                },
            }
        )
    failures = jsonable(update.get("failures") or [])
    if failures:
        events.append(
            {
                **base,
                "kind": "failure",
                "summary": _clip(
                    "; ".join(f"{f['node']} {f['kind']}: {f['detail']}" for f in failures), 400
                ),
                "payload": failures,
            }
        )
    bounds = [str(b) for b in (update.get("bounds") or [])]
    if bounds and not (review and review.get("bound")):  # a bound no review request names
        events.append(
            {
                **base,
                "kind": "bound",
                "summary": "; ".join(bounds)[:400],
                "payload": {
                    "bounds": bounds,
                    "tokens": after("tokens"),
                    "elapsed_s": after("elapsed_s"),
                },
            }
        )
    return events


# -- reading ------------------------------------------------------------------------------


def trace_rows(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Events (as ``Store.events`` returns them) in the public trace shape, oldest first:
    ``{"run_id", "time", "step", "hop", "node", "kind", "duration_ms", "tokens", "summary",
    "payload"}``."""
    return [
        {
            "run_id": e["run_id"],
            "time": (e["payload"] or {}).get("started_at", e["created_at"])
            if e["kind"] == "node_start"
            else e["created_at"],
            "step": e["step"],
            "hop": e["hop"],
            "node": e["node"],
            "kind": e["kind"],
            "duration_ms": e["duration_ms"],
            "tokens": e["tokens"],
            "summary": e["summary"],
            "payload": e["payload"],
        }
        for e in events
    ]


def format_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """One JSON object per line (every field, payload included)."""
    return "".join(json.dumps(dict(r), default=str) + "\n" for r in rows)


def format_table(rows: Iterable[Mapping[str, Any]], width: int = 140) -> str:
    """A fixed-width table of ``TRACE_COLUMNS``; summaries are clipped to fit ``width``."""
    cells = []
    for r in rows:
        t = str(r["time"] or "")
        cells.append(
            [
                t[11:23] if len(t) >= 23 else t,
                "" if r["step"] is None else str(r["step"]),
                "" if r["hop"] is None else str(r["hop"]),
                r["node"] or "-",
                r["kind"],
                "" if r["duration_ms"] is None else f"{r['duration_ms']:.1f}",
                "" if r["tokens"] is None else str(r["tokens"]),
                r["summary"] or "",
            ]
        )
    cols = list(TRACE_COLUMNS)
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols[:-1])]
    room = max(20, width - sum(widths) - 2 * len(widths))
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(cols[:-1], widths, strict=True)), cols[-1]])]
    lines.append("  ".join([*("-" * w for w in widths), "-" * 7]))
    for row in cells:
        lines.append(
            "  ".join(
                [*(v.ljust(w) for v, w in zip(row[:-1], widths, strict=True)), _clip(row[-1], room)]
            )
        )
    return "\n".join(lines) + "\n"
