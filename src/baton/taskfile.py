"""Reading tasks from files: a ``.json`` task or a ``.jsonl`` of tasks shaped like
``tasks-dev.jsonl`` (fields baton does not use, such as ``gold``, are ignored).

Everything is validated before anything is written: the first problem raises
``TaskInputError`` naming the line (1-based, for ``.jsonl``) and the field (dotted path).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from baton.contracts import Task
from baton.errors import TaskInputError
from baton.policy import Policy

MAX_FILE_BYTES = 200 * 1024 * 1024


def parse_task(payload: Any, *, line: int | None = None, default_id: str | None = None) -> Task:
    """Validate one task payload (a dict). Raises ``TaskInputError`` naming field and line."""
    if not isinstance(payload, dict):
        raise TaskInputError(f"expected a JSON object, got {type(payload).__name__}", line=line)
    try:
        task = Task.model_validate(payload)
    except ValidationError as exc:
        raise TaskInputError.from_validation(exc, line=line) from None
    if task.id is None and default_id:
        task = task.model_copy(update={"id": default_id})
    return task


def read_text(path: str | Path) -> str:
    """The UTF-8 text of ``path``. Raises ``TaskInputError`` for a missing file, a file over
    ``MAX_FILE_BYTES``, or one that is not UTF-8 (naming the line of the first bad byte)."""
    p = Path(path)
    if not p.is_file():
        raise TaskInputError(f"no such file: {p}")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise TaskInputError(f"{p} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    raw = p.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TaskInputError(f"{p} is not UTF-8 text (byte {exc.start})", line=line) from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON)`` for every non-blank line of a JSONL file (1-based).
    Raises ``TaskInputError`` as ``read_text`` does, and for a line that is not JSON."""
    for n, row in enumerate(read_text(path).splitlines(), start=1):
        if not row.strip():
            continue
        try:
            yield n, json.loads(row)
        except json.JSONDecodeError as exc:
            raise TaskInputError(f"invalid JSON: {exc.msg} (column {exc.colno})", line=n) from None


def load_tasks(path: str | Path, *, max_hops: int | None = None) -> list[Task]:
    """All tasks of ``path`` (``.json``: one object or a list; ``.jsonl``: one object a line;
    blank lines skipped). ``max_hops`` overrides every task's hop ceiling.

    Raises ``TaskInputError`` for a missing file, a file that is not UTF-8, invalid JSON, an
    invalid task, or no task at all.
    """
    p = Path(path)
    stem = p.stem
    tasks: list[Task] = []
    if p.suffix == ".jsonl":
        for n, payload in iter_jsonl(p):
            tasks.append(parse_task(payload, line=n, default_id=f"{stem}-{n}"))
    else:
        try:
            payload = json.loads(read_text(p))
        except json.JSONDecodeError as exc:
            raise TaskInputError(f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        items = payload if isinstance(payload, list) else [payload]
        for i, item in enumerate(items):
            tasks.append(parse_task(item, default_id=f"{stem}-{i + 1}" if len(items) > 1 else stem))
    if not tasks:
        raise TaskInputError(f"{p} holds no task")
    if max_hops is not None:
        tasks = [
            t.model_copy(update={"policy": (t.policy or Policy()).with_hops(max_hops)})
            for t in tasks
        ]
    return tasks
