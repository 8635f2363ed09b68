"""baton's exceptions. Usage errors (you called baton wrongly) are kept apart from run failures
(a run went wrong; those become ``Failure`` records and review items, not exceptions).

::

    BatonError
    ├── ConfigError              settings or arguments that cannot work (e.g. a judge model that
    │                            is the same as the author model, an unknown engine)
    ├── TaskInputError           a task file or payload refused at the door (names field and line)
    ├── GraphValidationError     a transition table that cannot run (unknown, unreachable or
    │                            dead-end node), raised by ``build_graph``
    ├── TransitionError          a node tried to go where the table does not allow (at run time;
    │                            caught by the guard, recorded and escalated)
    ├── NotFoundError            a run or review item id that does not exist
    ├── DecisionConflict         a review item was already decided (says by whom and when)
    ├── InvalidDecision          a resume value that is not a valid ``Decision``; the run stays
    │                            paused at its interrupt, nothing is changed
    ├── StepFailed               raised inside a node to record a ``Failure`` of a given kind;
    │                            the guard turns it into a recorded, escalated failure
    └── ScriptError              ``baton.testing``: a scripted model ran out of replies or was
                                 left with replies unused
"""

from __future__ import annotations


class BatonError(Exception):
    """Base class of every error baton raises on purpose."""


class ConfigError(BatonError):
    """Settings or arguments that cannot work."""


class TaskInputError(BatonError):
    """A task refused before anything was written.

    ``field`` is a dotted path (``sources.2.text``), ``line`` the 1-based line of a ``.jsonl``
    file (None for a single ``.json`` task or an in-memory payload).
    """

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None):
        self.field = field
        self.line = line
        where = []
        if line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class GraphValidationError(BatonError):
    """The transition table cannot run. ``node`` names the offending node."""

    def __init__(self, message: str, *, node: str | None = None):
        self.node = node
        super().__init__(message)


class TransitionError(BatonError):
    """A goto outside the transition table: ``source`` tried to reach ``target``."""

    def __init__(self, source: str, target: str, allowed: set[str] | frozenset[str]):
        self.source = source
        self.target = target
        self.allowed = frozenset(allowed)
        super().__init__(
            f"transition {source} -> {target} is not in the table "
            f"(allowed from {source}: {', '.join(sorted(self.allowed)) or 'none'})"
        )


class NotFoundError(BatonError):
    """No run or review item with that id."""


class DecisionConflict(BatonError):
    """The review item was already decided; ``decided_by`` and ``decided_at`` (ISO 8601 UTC) say by whom and when."""

    def __init__(self, item_id: str, decided_by: str, decided_at: str, action: str):
        self.item_id = item_id
        self.decided_by = decided_by
        self.decided_at = decided_at
        self.action = action
        super().__init__(
            f"review item {item_id} was already decided ({action}) by {decided_by} at {decided_at}"
        )


class ScriptError(BatonError):
    """A ``baton.testing`` scripted model was used more or less than its script says."""


class StepFailed(BatonError):
    """Raised inside a node: this turn failed with ``kind`` (a ``FailureKind``). The guard
    records it as a ``Failure`` and sends it down the node's failure path. ``retryable`` says
    whether another attempt could help (the supervisor then draws on the retry pool)."""

    def __init__(self, kind: str, detail: str, *, retryable: bool = False):
        self.kind = kind
        self.detail = detail
        self.retryable = retryable
        super().__init__(f"{kind}: {detail}")


class InvalidDecision(BatonError):
    """A resume value that does not validate as a ``Decision``. Raised out of the graph (the
    guard lets it through), so the run stays paused at its interrupt."""
