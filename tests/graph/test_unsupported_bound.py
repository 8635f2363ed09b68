"""``policy.max_unsupported_fraction``: a run whose verified claims are more unsupported than
the bound pauses for review (reason ``unsupported``); 1.0 turns the bound off. And a
reviewer's send-back at the hop ceiling extends the ceiling by the hop it needs."""

from __future__ import annotations

from baton.contracts import Decision, ReviewRequest
from baton.nodes.review import _send_back
from baton.policy import Policy
from baton.worker import Worker


def _run(store, task, **policy) -> dict:
    run_id = store.submit(task.model_copy(update={"policy": Policy(**policy)}))
    Worker(store).drain()
    return store.run(run_id)


def test_unsupported_claims_past_the_bound_pause_the_run(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r18-check")  # its 1 claim: unsupported
    run = _run(store, task)
    assert (run["status"], run["reason"], run["claims"], run["unsupported"]) == (
        "waiting_review",
        "unsupported",
        1,
        1,
    )
    (item,) = store.queue()
    request = ReviewRequest.model_validate(store.item(item["item_id"])["request"])
    assert (request.reason, request.bound) == (
        "unsupported",
        "max_unsupported_fraction=0.5 (1 of 1 unsupported)",
    )


def test_a_bound_of_one_turns_it_off(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r18-check")
    run = _run(store, task, max_unsupported_fraction=1.0)
    assert (run["status"], run["reason"], run["unsupported"]) == ("finished", "completed", 1)


def test_within_the_bound_the_run_finishes(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r16-check")  # 1 of 5 unsupported
    run = _run(store, task)
    assert (run["status"], run["claims"], run["unsupported"]) == ("finished", 5, 1)


def test_a_send_back_at_the_ceiling_extends_by_the_hop_it_needs():
    request = ReviewRequest(
        reason="contradicted", hop=3, max_hops=3, allowed_targets=["analyze", "research"]
    )
    decision = Decision(action="send_back", reviewer="ann", target="analyze", note="fix c1")
    cmd = _send_back({"account": {"max_hops": 3}}, request, decision, {})
    assert cmd.update["account"] == {"max_hops": 4}
    below = request.model_copy(update={"hop": 2})
    assert "account" not in _send_back({"account": {"max_hops": 3}}, below, decision, {}).update
