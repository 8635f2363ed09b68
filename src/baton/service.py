"""The service layer: what a person asks of baton, shared by the ``baton`` command and the
browser app, so both refuse the same input with the same ``TaskInputError``.

- ``submit(store, task)``: validate a task (a ``Task`` or a payload dict) and queue a run;
- ``decide(store, item_id, action, reviewer=...)``: build the ``Decision`` (and its ``Edits``)
  and record it; the run is queued for a worker to resume.

Pydantic's ``ValidationError`` becomes ``TaskInputError`` in one place
(``TaskInputError.from_validation``). Who may do what (roles) is the caller's concern: the
browser app checks it in ``baton.ui.actions`` before calling here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from baton.contracts import Action, Decision, Edits, Task
from baton.errors import TaskInputError
from baton.taskfile import parse_task

if TYPE_CHECKING:
    from baton.checkpoints import RunStore
    from baton.policy import Policy


def submit(
    store: RunStore,
    task: Task | Mapping[str, Any],
    *,
    policy: Policy | None = None,
    submitted_by: str | None = None,
) -> str:
    """Queue a run of ``task`` and return its run id. A payload is validated first; the
    run's policy is the task's own, else ``policy``, else the defaults; ``submitted_by``
    (a user's name) is kept with the run.

    Raises ``TaskInputError`` (naming the field) for a payload that is not a valid ``Task``;
    nothing is written then."""
    if not isinstance(task, Task):
        task = parse_task(dict(task) if isinstance(task, Mapping) else task)
    return store.submit(task, policy, submitted_by=submitted_by)


def decision(
    action: Action | str,
    *,
    reviewer: str,
    note: str = "",
    edits: Edits | Mapping[str, Any] | None = None,
    target: str | None = None,
    extra_hops: int | None = None,
) -> Decision:
    """The ``Decision`` a reviewer gave. ``edits`` (for ``action="edit"``) is an ``Edits``
    or its dict (``{"claims": [{"claim_id", "text" | "drop"}], "instructions"}``).

    Raises ``TaskInputError`` with ``field`` ``edits...`` or ``decision...`` for an invalid
    decision (e.g. a rejection without a reason, an edit that changes nothing)."""
    if edits is not None and not isinstance(edits, Edits):
        try:
            edits = Edits.model_validate(dict(edits))
        except ValidationError as exc:
            raise TaskInputError.from_validation(exc, within="edits") from None
    if action == "edit" and edits is not None and not edits.claims and not edits.instructions:
        raise TaskInputError(
            "nothing to apply: change a claim, drop one, or give new instructions", field="edits"
        )
    try:
        return Decision(
            action=action,  # type: ignore[arg-type]
            reviewer=reviewer,
            note=note,
            edits=edits,
            target=target,
            extra_hops=extra_hops,
        )
    except ValidationError as exc:
        raise TaskInputError.from_validation(exc, within="decision") from None


def decide(
    store: RunStore,
    item_id: str,
    action: Action | str,
    *,
    reviewer: str,
    note: str = "",
    edits: Edits | Mapping[str, Any] | None = None,
    target: str | None = None,
    extra_hops: int | None = None,
) -> dict[str, Any]:
    """Record a reviewer's decision on a pending review item (see ``decision``) and queue its
    run for resumption. Returns the decided item row (``Store.item``).

    Raises ``TaskInputError`` (an invalid decision, checked before the item is read),
    ``NotFoundError`` (no such item), ``InvalidDecision`` (a send-back target the request
    does not allow) or ``DecisionConflict`` (already decided: says by whom and when)."""
    chosen = decision(
        action, reviewer=reviewer, note=note, edits=edits, target=target, extra_hops=extra_hops
    )
    return store.decide(item_id, chosen)
