"""The ``baton`` command.

Exit codes (``EXIT_CODES``, the one place baton's errors become exit codes): 0 done; 2 input a
person can fix (a task or decision refused: the message names the field and the line; an
unknown run or item; a command line click refuses); 3 a decision refused because the item was
already decided (the message says by whom and when); 1 anything else.
"""

from __future__ import annotations

import sys

import typer

from baton.cli._app import app
from baton.errors import (
    BatonError,
    DecisionConflict,
    InvalidDecision,
    NotFoundError,
    Refused,
    TaskInputError,
)

__all__ = ["EXIT_CODES", "app", "entry", "exit_code", "main"]

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_CONFLICT = 0, 1, 2, 3

EXIT_CODES: dict[type[BatonError], int] = {
    TaskInputError: EXIT_INPUT,
    InvalidDecision: EXIT_INPUT,
    NotFoundError: EXIT_INPUT,
    Refused: EXIT_INPUT,
    DecisionConflict: EXIT_CONFLICT,
    BatonError: EXIT_ERROR,  # ConfigError, GraphValidationError, ... : the rest of the tree
}
"""The exit code of each error of ``baton.errors`` (the nearest class in an error's MRO wins)."""


def exit_code(exc: BatonError) -> int:
    """The exit code of ``exc``: ``EXIT_CODES`` of the nearest class in its MRO."""
    return next(EXIT_CODES[c] for c in type(exc).__mro__ if c in EXIT_CODES)


def _register() -> None:
    from baton.cli import runs  # noqa: F401  (registers run, submit, worker, runs, queue, decide, show, graph)

    try:
        from baton.cli.bench import bench_app
    except ImportError:  # pragma: no cover - bench is optional while it is being built
        bench_app = None
    if bench_app is not None:
        app.add_typer(bench_app, name="bench", help="Benchmarks that print figures.")
    for name in ("ui", "audit"):
        try:
            __import__(f"baton.cli.{name}")
        except ImportError as exc:
            if exc.name != f"baton.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map baton's errors to exit codes."""
    _register()
    try:
        rc = app(args=argv, standalone_mode=False)
    except SystemExit as exc:  # typer.Exit and click's exits
        return int(exc.code or 0)
    except BatonError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exit_code(exc)
    except Exception as exc:  # noqa: BLE001
        import click

        if isinstance(exc, click.exceptions.UsageError):
            exc.show()
            return EXIT_INPUT
        if isinstance(exc, click.exceptions.Abort):
            return EXIT_ERROR
        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_ERROR
    return rc if isinstance(rc, int) else EXIT_OK


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
