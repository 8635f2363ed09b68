"""``baton.service``: one submit and one decide for the CLI and the browser app, with pydantic's
errors mapped to ``TaskInputError`` once; the CLI's exit codes come from one table."""

from __future__ import annotations

import pytest

from baton import service
from baton.cli import EXIT_CODES, exit_code
from baton.contracts import ReviewRequest
from baton.errors import (
    BatonError,
    ConfigError,
    DecisionConflict,
    GraphValidationError,
    InvalidDecision,
    LeaseLost,
    NotFoundError,
    Refused,
    TaskInputError,
)


def _paused(store, example_tasks) -> tuple[str, str]:
    run_id = service.submit(store, example_tasks[0])
    store.claim("w", 60)
    request = ReviewRequest(reason="contradicted", hop=2, max_hops=2, allowed_targets=["research"])
    item_id = store.add_review_item(run_id, "i1", request)
    store.release(run_id, "w", "waiting_review", reason="hop_limit")
    return run_id, item_id


def test_submit_validates_a_payload_and_names_the_field(store, example_payloads):
    with pytest.raises(TaskInputError) as err:
        service.submit(store, {**example_payloads[0], "question": "  "})
    assert (err.value.field, str(err.value)) == ("question", "field question: question is empty")
    assert store.runs() == []
    run_id = service.submit(store, example_payloads[0])
    assert [r["id"] for r in store.runs()] == [run_id]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"action": "reject"}, "decision", "field decision: a rejection needs a reason in note"),
        ({"action": "send_back"}, "decision", "field decision: send_back needs a target node"),
        (
            {"action": "edit", "edits": {"claims": [], "instructions": None}},
            "edits",
            "field edits: nothing to apply: change a claim, drop one, or give new instructions",
        ),
        (
            {"action": "edit", "edits": {"claims": [{"claim_id": "c1"}]}},
            "edits.claims.0",
            "field edits.claims.0: a claim edit needs new text or drop=true",
        ),
        (
            {"action": "fly"},
            "decision.action",
            "field decision.action: Input should be 'approve', 'edit', 'reject', 'send_back' or 'extend'",
        ),
    ],
)
def test_an_invalid_decision_is_one_task_input_error(kwargs, field, message):
    with pytest.raises(TaskInputError) as err:
        service.decision(reviewer="ann", **kwargs)
    assert (err.value.field, str(err.value)) == (field, message)


def test_decide_records_once_and_checks_the_target_once(store, example_tasks):
    run_id, item_id = _paused(store, example_tasks)
    with pytest.raises(InvalidDecision) as err:
        service.decide(store, item_id, "send_back", reviewer="ann", target="write")
    assert str(err.value) == "send_back target 'write' is not allowed here (allowed: research)"
    assert store.item(item_id)["status"] == "pending"
    item = service.decide(store, item_id, "send_back", reviewer="ann", target="research", note="n")
    assert (item["status"], item["action"], item["decided_by"]) == ("decided", "send_back", "ann")
    assert store.run(run_id)["status"] == "queued"
    with pytest.raises(DecisionConflict):
        service.decide(store, item_id, "approve", reviewer="bob")


def test_every_error_is_in_the_tree_and_signals_are_not():
    for cls in (Refused, InvalidDecision, DecisionConflict, NotFoundError, TaskInputError):
        assert issubclass(cls, BatonError), cls
    assert not issubclass(LeaseLost, BatonError)
    assert str(LeaseLost("r1")) == "the lease on run r1 moved to another worker"


def test_exit_codes_come_from_one_table():
    assert {c.__name__: code for c, code in EXIT_CODES.items()} == {
        "TaskInputError": 2,
        "InvalidDecision": 2,
        "NotFoundError": 2,
        "Refused": 2,
        "DecisionConflict": 3,
        "BatonError": 1,
    }
    assert [
        exit_code(e)
        for e in (
            TaskInputError("x"),
            InvalidDecision("x"),
            DecisionConflict("i", "ann", "t", "approve"),
            ConfigError("x"),
            GraphValidationError("x"),
        )
    ] == [2, 2, 3, 1, 1]
