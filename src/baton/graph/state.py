"""Backward-compatible alias: the graph state moved to ``baton.state`` (beside ``contracts``,
so the nodes never import ``baton.graph``). Import from ``baton.state``."""

from baton.state import *  # noqa: F403
from baton.state import __all__  # noqa: F401
