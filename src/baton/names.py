"""The names of baton's hub nodes, in one place (a leaf: nodes, routing and the graph read them).

The specialists' names are not here: each is the ``name`` of its ``Specialist`` entry in the
registry (``baton.graph.registry.SPECIALISTS``).
"""

from __future__ import annotations

SUPERVISE = "supervise"
"""The hub: owns the task, hands work to one specialist at a time; every run starts here."""
REVIEW = "review"
"""The human gate (``interrupt()``)."""
FINISH = "finish"
"""Writes the report and ends the run."""

START_NODE = SUPERVISE
END_NODE = FINISH
REVIEW_NODE = REVIEW
HUB: tuple[str, ...] = (SUPERVISE, REVIEW, FINISH)
"""The nodes every graph has besides its specialists."""

__all__ = ["END_NODE", "FINISH", "HUB", "REVIEW", "REVIEW_NODE", "START_NODE", "SUPERVISE"]
