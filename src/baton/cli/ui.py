"""Commands for the browser app: ``baton ui`` and ``baton users add|list``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from baton.cli._app import app
from baton.cli.runs import DbOpt, _store

users_app = typer.Typer(
    help="Analysts and reviewers who may sign in to the browser app.", no_args_is_help=True
)
app.add_typer(users_app, name="users")


@app.command()
def ui(
    db: DbOpt = None,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1.")
    ] = 8501,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Start only the UI (run `baton worker` yourself).")
    ] = False,
    load: Annotated[
        Path | None, typer.Option("--load", help="Queue the tasks of this .json/.jsonl file first.")
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the database first (a new, empty one).")
    ] = False,
    demo_users: Annotated[
        bool,
        typer.Option(
            "--demo-users",
            help="Create users 'analyst' and 'reviewer' with random passwords (printed).",
        ),
    ] = False,
) -> None:
    """Start the browser app on 127.0.0.1:PORT, and a worker unless --no-worker. Ctrl-C stops both."""
    from baton.settings import Settings
    from baton.ui.launch import prepare, serve

    path = db or Settings.from_env().db
    run_ids, created = prepare(path, fresh=fresh, load=load, demo_users=demo_users)
    if run_ids:
        typer.echo(f"queued {len(run_ids)} task(s) from {load}")
    for name, role, password in created:
        typer.echo(f"sign in as {name} ({role}) with password {password}")
    raise typer.Exit(serve(path, port=port, worker=not no_worker, echo=typer.echo))


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option("--role", help="analyst or reviewer.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    oidc: Annotated[
        bool,
        typer.Option(
            "--oidc",
            help="No password: this user signs in through OpenID Connect ([auth] in secrets.toml).",
        ),
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Reset the role and password of an existing user.")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Add a user who may sign in. The password comes from a prompt (or --password-stdin) and
    is stored as an scrypt hash."""
    from baton.errors import ConfigError

    if oidc and password_stdin:
        raise ConfigError("--oidc users have no password; drop --password-stdin")
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not oidc:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _store(db) as store:
        user = store.users.add(name, role, password, replace=replace)
    typer.echo(f"user {user['name']} ({user['role']}) " + ("updated" if replace else "added"))


@users_app.command("list")
def users_list(db: DbOpt = None) -> None:
    """List users: name, role, how they sign in, last sign-in."""
    with _store(db) as store:
        rows = store.users.list()
    if not rows:
        typer.echo("no users yet: baton users add NAME --role analyst|reviewer")
    for u in rows:
        typer.echo(
            f"{u['name']}\t{u['role']}\t{'oidc' if u['oidc'] else 'password'}\t{u['last_login_at'] or 'never signed in'}"
        )
