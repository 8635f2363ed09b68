"""Commands for the audit trail and the database: ``trace``, ``prune``, ``stats``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from baton.cli._app import app
from baton.cli.runs import DbOpt, _store, _table


@app.command()
def trace(
    run_id: str,
    db: DbOpt = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help="table (default) or jsonl (every field, payloads included)."),
    ] = "table",
) -> None:
    """Print the audit trail of RUN_ID: every status change, node start and end, handoff,
    check result, bound, failure, interrupt and decision, with hop, duration and tokens."""
    from baton import audit
    from baton.errors import TaskInputError

    if fmt not in ("table", "jsonl"):
        raise TaskInputError(f"unknown format {fmt!r}: use table or jsonl", field="format")
    store = _store(db)
    store.run(run_id)  # NotFoundError (exit 2) for an unknown run
    rows = audit.trace_rows(store.events(run_id))
    sys.stdout.write(audit.format_jsonl(rows) if fmt == "jsonl" else audit.format_table(rows))


@app.command()
def prune(
    db: DbOpt = None,
    older_than: Annotated[
        float,
        typer.Option(
            "--older-than",
            min=0,
            help="Only runs that ended at least DAYS days ago.",
            metavar="DAYS",
        ),
    ] = 0.0,
    no_vacuum: Annotated[
        bool, typer.Option("--no-vacuum", help="Do not compact the file afterwards.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object.")
    ] = False,
) -> None:
    """Delete the checkpoints of ended runs, keeping the last one and those where a run
    paused for review; the audit trail (events, decisions, reports) is kept."""
    from baton.checkpoints.retention import prune as prune_checkpoints

    with _store(db) as store:
        res = prune_checkpoints(store, older_than_days=older_than, vacuum=not no_vacuum)
    out = {
        "runs_pruned": len(res.runs),
        "checkpoints_deleted": res.checkpoints_deleted,
        "writes_deleted": res.writes_deleted,
        "checkpoints_kept": len(res.kept),
        "checkpoint_bytes_before": res.bytes_before,
        "checkpoint_bytes_after": res.bytes_after,
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(
            f"pruned {out['runs_pruned']} run(s): deleted {out['checkpoints_deleted']} checkpoint(s) and "
            f"{out['writes_deleted']} write(s), kept {out['checkpoints_kept']}; checkpoint data "
            f"{out['checkpoint_bytes_before']:,} -> {out['checkpoint_bytes_after']:,} bytes"
        )


@app.command()
def stats(
    db: DbOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per line.")
    ] = False,
) -> None:
    """Show the database size by table (rows, bytes of the table and its indexes) and the file size."""
    with _store(db) as store:
        rows = store.table_sizes()
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r))
    else:
        typer.echo(_table(rows, ("table", "rows", "bytes")))
