"""Users of the browser-app tests (imported by tests/ui and tests/e2e)."""

ANN, ROSA, BOB = "ann", "rosa", "bob"  # reviewer, reviewer, analyst
PASSWORDS = {ANN: "ann-secret-1", ROSA: "rosa-secret-1", BOB: "bob-secret-1"}


def plain(markdown: str) -> str:
    """Undo ``baton.ui.render.escape_markdown`` (what a reader sees of an escaped message)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)
