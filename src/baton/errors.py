"""baton's exceptions: one tree of errors, and the control-flow signals kept apart from it.

Usage errors (you called baton wrongly, or a person gave input that cannot be used) are
``BatonError``; run failures (a run went wrong) become ``Failure`` records and review items,
not exceptions. Signals (as pydantic-ai keeps ``ModelRetry`` apart from its errors) are raised
and caught inside baton to change the flow of a run; they are not ``BatonError`` and never
reach a caller of the public API.

::

    BatonError
    ├── ConfigError              settings, arguments or a database URL that cannot work (e.g. a
    │                            judge model that is the same as the author model, an unknown
    │                            engine, a ``mysql://`` URL)
    ├── TaskInputError           a task file or payload refused at the door (names field and line)
    ├── InvalidDecision          a decision that cannot be applied: not a valid ``Decision``, or a
    │                            send-back target the review request does not allow; nothing is
    │                            changed (the run stays paused at its interrupt)
    ├── DecisionConflict         a review item was already decided (says by whom and when)
    ├── NotFoundError            a run, review item or user that does not exist
    ├── Refused                  the signed-in user's role does not allow this (the browser app)
    ├── GraphValidationError     a transition table that cannot run (unknown, unreachable or
    │                            dead-end node), raised by ``build_graph``
    ├── TransitionError          a node tried to go where the table does not allow (at run time;
    │                            caught by the guard, recorded and escalated)
    ├── StepFailed               raised inside a node to record a ``Failure`` of a given kind;
    │                            the guard turns it into a recorded, escalated failure
    └── ScriptError              ``baton.testing``: a scripted model ran out of replies or was
                                 left with replies unused

    Exception (signals, not errors)
    └── LeaseLost                the worker's lease on a run moved to another worker: the
                                 worker stops working that run without writing (``Worker``)

The ``baton`` command maps the tree to exit codes in one table (``baton.cli.EXIT_CODES``):
input a person can fix (``TaskInputError``, ``InvalidDecision``, ``NotFoundError``,
``Refused``) exits 2, ``DecisionConflict`` 3, every other ``BatonError`` 1.
"""

from __future__ import annotations


class BatonError(Exception):
    """Base class of every error baton raises on purpose."""


class ConfigError(BatonError):
    """Settings or arguments that cannot work."""


class TaskInputError(BatonError):
    """A task refused before anything was written.

    ``message`` says what is wrong, ``field`` is a dotted path (``sources.2.text``), ``line``
    the 1-based line of a ``.jsonl`` file (None for a single ``.json`` task or an in-memory
    payload); ``str()`` puts them together (``line 2, field sources.1.text: ...``).
    """

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None):
        self.message = message
        self.field = field
        self.line = line
        where = []
        if line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    @classmethod
    def from_validation(
        cls, exc: Exception, *, within: str | None = None, line: int | None = None
    ) -> TaskInputError:
        """The one mapping of a pydantic ``ValidationError`` to ``TaskInputError``: its first
        error, the message without pydantic's ``"Value error, "`` prefix, the field as the
        dotted location (under ``within``, e.g. ``"edits"``, when given). ``exc`` is read
        through its ``errors()`` method, so this module stays free of pydantic."""
        errors = exc.errors() if callable(getattr(exc, "errors", None)) else []  # type: ignore[attr-defined]
        if not errors:
            return cls(str(exc), field=within, line=line)
        err = errors[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", exc)).removeprefix("Value error, ")
        return cls(message, field=".".join(p for p in (within, loc) if p) or None, line=line)


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
    whether another attempt could help (the supervisor then draws on the retry pool);
    ``cause`` is the typed ``contracts.FailureCause`` when the raiser knows it (None: the guard
    derives it from ``kind``)."""

    def __init__(
        self, kind: str, detail: str, *, retryable: bool = False, cause: str | None = None
    ):
        self.kind = kind
        self.detail = detail
        self.retryable = retryable
        self.cause = cause
        super().__init__(f"{kind}: {detail}")


class InvalidDecision(BatonError):
    """A decision that cannot be applied: a resume value that does not validate as a
    ``Decision`` (raised out of the graph, the guard lets it through, so the run stays paused
    at its interrupt), or a send-back target outside the review request's
    ``allowed_targets`` (raised by ``Store.decide`` before anything is written)."""


class Refused(BatonError):
    """The signed-in user's role does not allow this (e.g. an analyst deciding a review item)."""


# -- control-flow signals: not errors, never raised to a caller of the public API ----------


class LeaseLost(Exception):  # noqa: N818 - a signal, named for what happened
    """Signal: another worker took this run over (this worker's lease expired). The worker
    stops working the run without writing anything more; ``run_id`` names it."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        super().__init__(f"the lease on run {run_id} moved to another worker")
