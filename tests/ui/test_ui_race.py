"""Two reviewers decide one item at the same moment: exactly one decision wins, the other is
told who decided and when, and the run is resumed once."""

from __future__ import annotations

import threading
from collections import Counter

from uitest_users import ANN, ROSA

from baton.checkpoints import open_store
from baton.errors import DecisionConflict
from baton.ui.actions import decide
from baton.worker import Worker


def _race(path: str, item_id: str, moves: list[tuple[dict, str, dict]]) -> list[object]:
    """Each move in its own thread with its own connection, released together by a barrier."""
    barrier = threading.Barrier(len(moves))
    results: list[object] = [None] * len(moves)

    def go(i: int, user: dict, action: str, kwargs: dict) -> None:
        store = open_store(path)
        try:
            barrier.wait()
            results[i] = decide(store, user, item_id, action, **kwargs)
        except DecisionConflict as exc:
            results[i] = exc
        finally:
            store.close()

    threads = [threading.Thread(target=go, args=(i, *m)) for i, m in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_reviewers_deciding_one_item_at_once(ui_db):
    ann, rosa = {"name": ANN, "role": "reviewer"}, {"name": ROSA, "role": "reviewer"}
    outcomes = Counter()
    for item_id, run_id in zip(ui_db.item_ids, ui_db.run_ids, strict=True):
        results = _race(
            ui_db.path, item_id, [(ann, "approve", {}), (rosa, "reject", {"note": "off topic"})]
        )
        wins = [r for r in results if isinstance(r, dict)]
        losses = [r for r in results if isinstance(r, DecisionConflict)]
        assert len(wins) == 1 and len(losses) == 1, results
        won = wins[0]
        assert (losses[0].decided_by, losses[0].decided_at, losses[0].action) == (
            won["decided_by"],
            won["decided_at"],
            won["action"],
        )
        outcomes[won["decided_by"]] += 1

        store = open_store(ui_db.path)
        assert [(d["reviewer"], d["action"]) for d in store.decisions(run_id)] == [
            (won["decided_by"], won["action"])
        ]
        assert Worker(store).drain() == [run_id]  # resumed once ...
        assert Worker(store).drain() == []  # ... and never again
        run = store.run(run_id)
        assert run["status"] == ("finished" if won["action"] == "approve" else "rejected")
        events = store.events(run_id)
        expected = "approve by ann" if won["decided_by"] == ANN else "reject by rosa: off topic"
        assert [e["summary"] for e in events if e["kind"] == "decision"] == [expected]
        assert sum(1 for e in events if e["kind"] == "node" and e["node"] == "review") == 1
        assert store.item(item_id)["status"] == "applied"
        store.close()
    assert sum(outcomes.values()) == 2


def test_many_reviewers_one_item(ui_db):
    users = [{"name": f"r{i}", "role": "reviewer"} for i in range(8)]
    results = _race(ui_db.path, ui_db.item_ids[0], [(u, "approve", {}) for u in users])
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1
    assert all(
        isinstance(r, DecisionConflict) and r.decided_by == wins[0]["decided_by"]
        for r in results
        if r is not wins[0]
    )
    store = open_store(ui_db.path)
    assert len(store.decisions(ui_db.run_ids[0])) == 1
    store.close()
