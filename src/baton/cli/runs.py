"""Commands that run and inspect work: run, submit, worker, runs, queue, decide, show, graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from baton.cli._app import app
from baton.settings import Settings
from baton.summary import RunSummary

if TYPE_CHECKING:
    from baton.checkpoints import RunStore
    from baton.contracts import RunStatus

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: a SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB (default: $BATON_DATABASE_URL, else $BATON_DB, else ./baton.db).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per line.")]
HopsOpt = Annotated[
    int | None, typer.Option("--max-hops", min=1, help="Hop ceiling for these tasks (default 8).")
]

WORKING: tuple[RunStatus, ...] = ("queued", "running")
"""Statuses of a run a worker has still to move."""

RUN_FIELDS = (
    "run_id",
    "task_id",
    "status",
    "reason",
    "hops",
    "claims",
    "supported",
    "unsupported",
    "contradicted",
)


def _store(db: str | None) -> RunStore:
    """The store at ``--db`` (a path or URL), else ``$BATON_DATABASE_URL`` / ``$BATON_DB``, else ``./baton.db``."""
    from baton.checkpoints import open_store

    return open_store(db or Settings.from_env().db)


def run_line(row: dict[str, Any]) -> dict[str, Any]:
    """The public one-line shape of a run (``--json`` of run, submit and runs): ``RUN_FIELDS``."""
    summary = RunSummary.from_row(row)
    return {
        "run_id": row["id"],
        "task_id": row["task_id"],
        "status": summary.status,
        "reason": summary.reason,
        "hops": summary.hops,
        **summary.counts(),
    }


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _print_runs(rows: list[dict[str, Any]], as_json: bool) -> None:
    lines = [run_line(r) for r in rows]
    if as_json:
        for line in lines:
            typer.echo(json.dumps(line))
    else:
        typer.echo(_table(lines, RUN_FIELDS))


@app.command()
def run(path: Path, db: DbOpt = None, max_hops: HopsOpt = None, as_json: JsonOpt = False) -> None:
    """Run each task of PATH (.json or .jsonl) until it is finished, waiting_review or failed."""
    from baton import service
    from baton.taskfile import load_tasks
    from baton.worker import Worker

    tasks = load_tasks(path, max_hops=max_hops)
    store = _store(db)
    run_ids = [service.submit(store, t) for t in tasks]
    worker = Worker(store)
    total = len(run_ids)
    done = 0
    while worker.run_once() is not None:
        done += 1
        if not as_json:
            typer.echo(
                f"[{done}] worked a run; {sum(1 for r in run_ids if store.run(r)['status'] in WORKING)} of {total} still to go",
                err=True,
            )
    _print_runs([store.run(r) for r in run_ids], as_json)


@app.command()
def submit(
    path: Path, db: DbOpt = None, max_hops: HopsOpt = None, as_json: JsonOpt = False
) -> None:
    """Enqueue each task of PATH; a worker (`baton worker`) runs them."""
    from baton import service
    from baton.taskfile import load_tasks

    tasks = load_tasks(path, max_hops=max_hops)
    store = _store(db)
    run_ids = [service.submit(store, t) for t in tasks]
    _print_runs([store.run(r) for r in run_ids], as_json)


@app.command()
def worker(
    db: DbOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Work until nothing is claimable, then exit.")
    ] = False,
    lease_seconds: Annotated[
        float | None,
        typer.Option(
            "--lease-seconds", min=0.1, help="Lease length (default $BATON_LEASE_SECONDS or 60)."
        ),
    ] = None,
) -> None:
    """Claim queued runs and resume requests, run them, record events. Ctrl-C stops."""
    from baton.worker import Worker

    settings = Settings.from_env()
    w = Worker(_store(db), lease_seconds=lease_seconds or settings.lease_seconds)
    if once:
        ids = w.drain()
        typer.echo(f"worked {len(ids)} run(s)", err=True)
        return
    from baton.checkpoints.backends import display_url

    typer.echo(f"worker {w.worker_id} on {display_url(w.store.url)}; Ctrl-C to stop", err=True)
    try:
        w.serve()
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)


@app.command("runs")
def runs_cmd(
    db: DbOpt = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs with this status.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List runs, oldest first."""
    _print_runs(_store(db).runs(status=status), as_json)


@app.command()
def queue(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List pending review items, oldest first."""
    items = [
        {
            "item_id": i["item_id"],
            "run_id": i["run_id"],
            "reason": i["reason"],
            "hop": i["hop"],
            "created_at": i["created_at"],
        }
        for i in _store(db).queue()
    ]
    if as_json:
        for i in items:
            typer.echo(json.dumps(i))
    elif items:
        typer.echo(_table(items, ("item_id", "run_id", "reason", "hop", "created_at")))
    else:
        typer.echo("the review queue is empty")


@app.command()
def decide(
    item_id: str,
    reviewer: Annotated[
        str, typer.Option("--reviewer", help="Who decides (recorded with the decision).")
    ],
    approve: Annotated[bool, typer.Option("--approve", help="Finish with what exists.")] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="End the run as rejected (give the reason in --note).")
    ] = False,
    extend: Annotated[
        int | None, typer.Option("--extend", min=1, help="Raise the hop ceiling by N and carry on.")
    ] = None,
    send_back: Annotated[
        str | None,
        typer.Option("--send-back", help="Hand the work to NODE with --note as instructions."),
    ] = None,
    edit: Annotated[
        Path | None,
        typer.Option(
            "--edit",
            help='JSON file of edits: {"claims": [{"claim_id", "text" | "drop"}], "instructions"}.',
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Reason or instructions.")] = "",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide a pending review item. The run resumes in a worker. Exit 3 when already decided."""
    from baton import service
    from baton.errors import TaskInputError

    chosen = [
        name
        for name, on in (
            ("approve", approve),
            ("reject", reject),
            ("extend", extend is not None),
            ("send_back", send_back is not None),
            ("edit", edit is not None),
        )
        if on
    ]
    if len(chosen) != 1:
        raise TaskInputError(
            "give exactly one of --approve, --reject, --extend N, --send-back NODE, --edit FILE",
            field="action",
        )
    action = chosen[0]
    edits = None
    if edit is not None:
        try:
            edits = json.loads(edit.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise TaskInputError(f"cannot read {edit}: {exc}", field="edit") from None
        except json.JSONDecodeError as exc:
            raise TaskInputError(f"{edit} is not JSON: {exc.msg}", field="edit") from None
        if not isinstance(edits, dict):
            raise TaskInputError(f"{edit} holds no JSON object of edits", field="edit")
    item = service.decide(
        _store(db),
        item_id,
        action,
        reviewer=reviewer,
        note=note,
        edits=edits,
        target=send_back,
        extra_hops=extend,
    )
    out = {
        "item_id": item["id"],
        "run_id": item["run_id"],
        "action": item["action"],
        "reviewer": item["decided_by"],
        "decided_at": item["decided_at"],
    }
    typer.echo(
        json.dumps(out)
        if as_json
        else f"{action} recorded for item {item_id} (run {item['run_id']}); a worker resumes the run"
    )


def run_details(store: RunStore, run_id: str) -> dict[str, Any]:
    """A run with its report, claims, verdicts and evidence, review items and decisions."""
    row = store.run(run_id)
    report = row["report"] or {}
    items = store.items(run_id)
    pending = next((i for i in reversed(items) if i["status"] == "pending"), None)
    out = run_line(row)
    out.update(
        {
            "question": row["task"]["question"],
            "kind": row["kind"],
            "max_hops": row["max_hops"],
            "current_node": row["current_node"],
            "created_at": row["created_at"],
            "finished_at": row["finished_at"],
            "error": row["error"],
            "report": report or None,
            "review_items": [
                {
                    k: i[k]
                    for k in (
                        "id",
                        "reason",
                        "hop",
                        "status",
                        "created_at",
                        "decided_by",
                        "decided_at",
                        "action",
                    )
                }
                for i in items
            ],
            # a paused run has no report yet: what the reviewer is asked about
            "pending_review": None
            if pending is None
            else {
                k: pending["request"].get(k)
                for k in ("reason", "bound", "hop", "max_hops", "claims", "verdicts", "failures")
            },
            "decisions": [d["decision"] for d in store.decisions(run_id)],
        }
    )
    return out


def _show_claims(claims: list[dict[str, Any]], verdicts: list[dict[str, Any]]) -> None:
    """Each claim with its verdict, the checks that dissent from it, and its first two
    evidence spans."""
    by_claim = {v["claim_id"]: v for v in verdicts}
    typer.echo("\nclaims:")
    for c in claims:
        v = by_claim.get(c["id"])
        badge = f"{v['label']} {v['confidence']:.2f}" if v else "unverified"
        typer.echo(f"  {c['id']} [{badge}] {c['text']}")
        if v and v.get("dissent"):
            typer.echo(f"      checks that disagree with {v['label']}: {', '.join(v['dissent'])}")
        for ev in (v["evidence"] if v else [])[:2]:
            typer.echo(
                f"      evidence {ev['source_id']}[{ev['start']}:{ev['end']}]: {ev['text'][:160]}"
            )


@app.command()
def show(run_id: str, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Show one run: status, report, each claim with its verdict and evidence."""
    store = _store(db)
    d = run_details(store, run_id)
    if as_json:
        typer.echo(json.dumps(d))
        return
    w = typer.echo
    w(
        f"run {d['run_id']}  task {d['task_id']}  {d['kind']}  status {d['status']}"
        + (f" ({d['reason']})" if d["reason"] else "")
    )
    w(f"question: {d['question']}")
    w(
        f"hops: {d['hops']} of {d['max_hops']}   claims: {d['claims']} ({d['supported']} supported, {d['unsupported']} unsupported, {d['contradicted']} contradicted)"
    )
    if d["status"] == "running":
        from baton.audit import waiting

        now_waiting = waiting(store.events(run_id))
        if now_waiting:
            w(now_waiting)
    if d["error"]:
        w(f"error: {d['error']}")
    report, pending = d["report"], d["pending_review"]
    if report:
        w("\nanswer:\n  " + report["answer"].replace("\n", "\n  "))
        _show_claims(report["claims"], report["verdicts"])
        if report["caveats"]:
            w("\ncaveats:")
            for c in report["caveats"]:
                w(f"  - {c}")
    if pending:
        w(
            f"\npaused for review: {pending['reason']} at hop {pending['hop']} of {pending['max_hops']}"
            + (f" ({pending['bound']})" if pending["bound"] else "")
        )
        for f in pending["failures"] or []:
            w(f"  failure: {f['node']} {f['kind']}: {f['detail'][:200]}")
        _show_claims(pending["claims"] or [], pending["verdicts"] or [])
    for i in d["review_items"]:
        w(
            f"\nreview item {i['id']}: {i['reason']} at hop {i['hop']}, {i['status']}"
            + (
                f", {i['action']} by {i['decided_by']} at {i['decided_at']}"
                if i["decided_by"]
                else ""
            )
        )


@app.command()
def graph(
    fmt: Annotated[
        str, typer.Option("--format", help="mermaid (default) or json (the transition table).")
    ] = "mermaid",
) -> None:
    """Draw the default graph from its transition table, offline."""
    from baton.graph import DEFAULT_TABLE, draw_mermaid

    if fmt == "mermaid":
        sys.stdout.write(draw_mermaid(DEFAULT_TABLE))
    elif fmt == "json":
        typer.echo(json.dumps({k: sorted(v) for k, v in DEFAULT_TABLE.items()}, indent=2))
    else:
        from baton.errors import TaskInputError

        raise TaskInputError(f"unknown format {fmt!r}: use mermaid or json", field="format")
