"""The reviewer's desk on each backend: item claims, a page of runs, sign-in records."""

from __future__ import annotations

import time

from baton.checkpoints.protocol import now_iso


def test_claim_item_has_one_holder_until_it_expires(store, example_tasks):
    from baton.policy import Policy
    from baton.worker import Worker

    store.submit(example_tasks[0].model_copy(update={"policy": Policy(max_hops=2)}))
    Worker(store).drain()
    (item,) = store.queue()
    item_id = item["item_id"]
    ann = store.claim_item(item_id, "ann", 300)
    assert (ann["claimed_by"], ann["mine"]) == ("ann", True)
    rosa = store.claim_item(item_id, "rosa", 300)
    assert (rosa["claimed_by"], rosa["mine"], rosa["claimed_until"]) == (
        "ann",
        False,
        ann["claimed_until"],
    )
    (row,) = store.pending_items()
    assert (row["claimed_by"], row["claimed_until"]) == ("ann", ann["claimed_until"])
    store.claim_item(item_id, "ann", -1)  # ann's claim, renewed into the past: expired
    assert store.claim_item(item_id, "rosa", 300)["mine"] is True
    assert store.claim_item("nope", "rosa", 300) == {
        "item_id": "nope",
        "claimed_by": None,
        "claimed_until": None,
        "mine": False,
    }
    assert ann["claimed_until"] > time.time()


def test_run_page_searches_filters_by_submitter_and_pages(store, example_tasks):
    ids = [
        store.submit(t, submitted_by="bob" if i % 2 == 0 else "carol")
        for i, t in enumerate(example_tasks[:5])
    ]
    rows, total = store.run_page(submitted_by="bob", limit=2)
    assert total == 3 and [r["id"] for r in rows] == [ids[4], ids[2]]
    rows, total = store.run_page(submitted_by="bob", limit=2, offset=2)
    assert total == 3 and [r["id"] for r in rows] == [ids[0]]
    assert {r["submitted_by"] for r in store.run_page()[0]} == {"bob", "carol"}
    rows, total = store.run_page(search=example_tasks[1].id.upper())
    assert (total, [r["id"] for r in rows]) == (1, [ids[1]])
    assert store.run_page(statuses=["finished"]) == ([], 0)


def test_failed_sign_ins_and_sign_outs_are_events_without_a_run(store):
    since = now_iso()
    for name, client in (("ann", "10.0.0.1"), ("ann", "10.0.0.2"), ("rosa", "10.0.0.1")):
        store.add_event(
            None,
            step=None,
            node="auth",
            kind="sign_in_failed",
            summary=f"{name} from {client}",
            payload={"name": name, "client": client},
        )
    counts = store.failed_sign_ins("ann", "10.0.0.1", since)
    assert (counts["name"], counts["client"]) == (2, 2)
    assert counts["last_at"] >= since
    assert store.failed_sign_ins("bob", "10.9.9.9", since) == {
        "name": 0,
        "client": 0,
        "last_at": None,
    }
    assert store.failed_sign_ins("ann", "x", "9999-01-01")["name"] == 0
    assert store.session_revoked("s1") is False
    store.add_event(
        None,
        step=None,
        node="auth",
        kind="sign_out",
        summary="ann signed out",
        payload={"name": "ann", "session": "s1"},
    )
    assert store.session_revoked("s1") is True
    assert store.ledger.duplicates()["events"] == 0
