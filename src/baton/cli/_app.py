"""The ``typer`` application the command modules (``runs``, ``ui``, ``audit``) register their
commands on; ``baton.cli.main`` runs it. Kept apart from ``baton.cli`` so the command modules
never import the package that imports them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="baton",
    help="baton: a supervisor application with human checkpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
