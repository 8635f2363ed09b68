"""What the browser app may do, checked on the server: it writes intents (a queued run, a
decision) and never runs the graph; a worker process does the work.

Every function takes the signed-in ``user`` (``{"name", "role"}``) and refuses with
``Refused`` what the role does not allow, whatever the page showed. Decisions carry the
user's name as ``Decision.reviewer`` and go through ``Store.decide`` (a conditional update:
only one decision per item can win; the loser gets ``DecisionConflict``, saying by whom and
when).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from baton.checkpoints import Store
from baton.contracts import ClaimEdit, Decision, Edits, Task
from baton.errors import BatonError, TaskInputError


class Refused(BatonError):
    """The signed-in user's role does not allow this (e.g. an analyst deciding a review item)."""


def is_reviewer(user: dict[str, Any] | None) -> bool:
    return bool(user) and user.get("role") == "reviewer"


def require_reviewer(user: dict[str, Any] | None) -> None:
    """Raise ``Refused`` unless ``user`` is a signed-in reviewer."""
    if not user:
        raise Refused("sign in first")
    if not is_reviewer(user):
        raise Refused(
            f"the review queue is for reviewers; {user.get('name')} is signed in as {user.get('role')}"
        )


def validation_message(exc: ValidationError) -> str:
    """The first pydantic error as ``field: message``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", exc)).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def submit_task(store: Store, user: dict[str, Any] | None, payload: dict[str, Any]) -> str:
    """Validate ``payload`` as a ``Task`` and queue a run; returns the run id. Any signed-in
    user may submit. Raises ``TaskInputError`` naming the field."""
    if not user:
        raise Refused("sign in first")
    try:
        task = Task.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise TaskInputError(
            str(err.get("msg")).removeprefix("Value error, "),
            field=".".join(str(p) for p in err.get("loc", ())) or None,
        ) from None
    return store.submit(task)


def decide(
    store: Store,
    user: dict[str, Any] | None,
    item_id: str,
    action: str,
    *,
    note: str = "",
    claim_edits: list[dict[str, Any]] | None = None,
    instructions: str | None = None,
    target: str | None = None,
    extra_hops: int | None = None,
) -> dict[str, Any]:
    """Record a reviewer's decision on a pending item and queue its run for resumption.

    Returns the decided item row. Raises ``Refused`` (not a reviewer), ``TaskInputError``
    (an incomplete decision, e.g. a rejection without a reason), ``ValueError`` (a send-back
    target the request does not allow), ``NotFoundError``, or ``DecisionConflict``.
    """
    require_reviewer(user)
    edits = None
    if action == "edit":
        try:
            edits = Edits(
                claims=[ClaimEdit.model_validate(e) for e in claim_edits or []],
                instructions=(instructions or "").strip() or None,
            )
        except ValidationError as exc:
            raise TaskInputError(validation_message(exc), field="edits") from None
        if not edits.claims and not edits.instructions:
            raise TaskInputError(
                "nothing to apply: change a claim, drop one, or give new instructions",
                field="edits",
            )
    try:
        decision = Decision(
            action=action,
            reviewer=user["name"],
            note=note.strip(),
            edits=edits,
            target=target,
            extra_hops=extra_hops,
        )
    except ValidationError as exc:
        raise TaskInputError(validation_message(exc).removeprefix(": "), field="decision") from None
    return store.decide(item_id, decision)
