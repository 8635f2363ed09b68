"""What the browser app may do, checked on the server: it writes intents (a queued run, a
decision) and never runs the graph; a worker process does the work.

Every function takes the signed-in ``user`` (``{"name", "role"}``) and refuses with
``Refused`` what the role does not allow, whatever the page showed; the rest is
``baton.service`` (the same ``submit`` and ``decide`` as the ``baton`` command). Decisions
carry the user's name as ``Decision.reviewer``; only one decision per item can win (the
loser gets ``DecisionConflict``, saying by whom and when).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from baton import service
from baton.errors import Refused

if TYPE_CHECKING:
    from baton.checkpoints import RunStore

__all__ = ["Refused", "decide", "is_reviewer", "require_reviewer", "submit_task"]


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


def submit_task(store: RunStore, user: dict[str, Any] | None, payload: dict[str, Any]) -> str:
    """Validate ``payload`` as a ``Task`` and queue a run; returns the run id. Any signed-in
    user may submit. Raises ``Refused`` (nobody signed in) or ``TaskInputError`` naming the field."""
    if not user:
        raise Refused("sign in first")
    return service.submit(store, payload, submitted_by=user.get("name"))


def decide(
    store: RunStore,
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

    Returns the decided item row. Raises ``Refused`` (not a reviewer), and what
    ``baton.service.decide`` raises: ``TaskInputError`` (an incomplete decision, e.g. a
    rejection without a reason), ``InvalidDecision`` (a send-back target the request does
    not allow), ``NotFoundError``, or ``DecisionConflict``.
    """
    require_reviewer(user)
    assert user is not None  # require_reviewer refused otherwise
    edits = None
    if action == "edit":
        edits = {
            "claims": claim_edits or [],
            "instructions": (instructions or "").strip() or None,
        }
    return service.decide(
        store,
        item_id,
        action,
        reviewer=user["name"],
        note=note.strip(),
        edits=edits,
        target=target,
        extra_hops=extra_hops,
    )
