"""The review queue in the real app script (AppTest): sign-in, the queue, one item, every
action, and the refusals (wrong role, item already decided)."""

from __future__ import annotations

import pytest
from uitest_users import ANN, BOB, PASSWORDS, ROSA, plain

from baton.checkpoints import Store
from baton.contracts import Decision
from baton.worker import Worker


def _all_text(at) -> str:
    parts = []
    for kind in ("title", "markdown", "caption", "error", "info", "success", "warning", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def _keys(at) -> set[str]:
    return {b.key for b in at.button}


def test_new_database_without_users_says_how_to_create_one(db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from baton.ui import APP_PATH

    monkeypatch.setenv("BATON_DB", str(db_path))
    at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert not at.exception
    assert plain(at.warning[0].value) == "This database has no users yet, so nobody can sign in."
    assert f"baton users add ann --role reviewer --db {db_path}" in at.code[0].value
    assert not at.text_input  # no sign-in form while nobody could sign in


def test_sign_in_refuses_a_wrong_password_and_admits_the_right_one(make_app, ui_db):
    at = make_app()
    assert at.title[0].value == "baton: sign in"
    at.text_input(key="sign_in_name").input(ANN)
    at.text_input(key="sign_in_password").input("not-the-password")
    at.button[0].click().run()
    assert [plain(e.value) for e in at.error] == ["Unknown name or wrong password."]
    assert "user_name" not in at.session_state

    at.text_input(key="sign_in_password").input(PASSWORDS[ANN])
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Review queue"  # a reviewer lands on the queue
    assert "Signed in as **ann** (reviewer)" in _all_text(at)


def test_queue_lists_pending_items_oldest_first_with_counts_by_reason(make_app, ui_db):
    at = make_app(ANN)
    assert at.title[0].value == "Review queue"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"pending": "2", "hop limit": "2"}
    opens = [b.key for b in at.button if b.key and b.key.startswith("open_item_")]
    assert opens == [f"open_item_{i}" for i in ui_db.item_ids]


def test_item_shows_why_the_run_paused_the_handoff_and_the_claims(make_app, ui_db):
    store = Store(ui_db.path)
    item = store.item(ui_db.item_ids[0])
    store.close()
    request = item["request"]
    at = make_app(ANN, item=ui_db.item_ids[0])
    assert not at.exception
    assert at.title[0].value == f"Review item {ui_db.item_ids[0]}"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"reason": "hop limit", "hop": "2 of 2", "bound hit": "max_hops=2"}
    text = _all_text(at)
    assert request["handoff"]["recipient"] in text
    for claim in request["claims"]:
        assert claim["id"] in text
    # the evidence is highlighted inside its source
    assert "<mark" in text
    assert {"act_approve", "act_reject", "act_send_back", "act_extend"} <= _keys(at)


def test_approve_records_the_reviewer_queues_the_run_and_the_worker_finishes_it(make_app, ui_db):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.button(key="act_approve").click().run()
    assert not at.exception
    # moved on to the next pending item, with the outcome shown
    assert (
        at.query_params["item"] == [ui_db.item_ids[1]]
        or at.query_params["item"] == ui_db.item_ids[1]
    )
    assert plain(at.success[0].value).startswith(
        f"approve recorded for item {ui_db.item_ids[0]} by ann"
    )
    store = Store(ui_db.path)
    decided = store.item(ui_db.item_ids[0])
    assert (decided["status"], decided["decided_by"], decided["action"]) == (
        "decided",
        ANN,
        "approve",
    )
    assert [d["reviewer"] for d in store.decisions(ui_db.run_ids[0])] == [ANN]
    assert store.run(ui_db.run_ids[0])["status"] == "queued"
    assert Worker(store).drain() == [ui_db.run_ids[0]]
    run = store.run(ui_db.run_ids[0])
    assert run["status"] == "finished"
    assert store.item(ui_db.item_ids[0])["status"] == "applied"
    store.close()


def test_reject_needs_a_reason(make_app, ui_db):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.button(key="act_reject").click().run()
    assert [plain(e.value) for e in at.error] == ["A rejection needs a reason."]
    store = Store(ui_db.path)
    assert store.item(ui_db.item_ids[0])["status"] == "pending"
    at.text_input(key="act_reject_reason").input("the sources are off topic")
    at.button(key="act_reject").click().run()
    assert not at.exception
    assert store.decisions(ui_db.run_ids[0])[0]["decision"]["note"] == "the sources are off topic"
    Worker(store).drain()
    assert store.run(ui_db.run_ids[0])["status"] == "rejected"
    store.close()


def test_edit_is_a_typed_form_change_drop_and_new_instructions(make_app, ui_db):
    store = Store(ui_db.path)
    claims = store.item(ui_db.item_ids[0])["request"]["claims"]
    assert len(claims) >= 2
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.text_area(key="edit_text_0").input("Four women have served on the US Supreme Court.")
    at.checkbox(key="edit_drop_1").check()
    at.text_area(key="edit_instructions").input("Check only what the sources say.")
    at.button(key="FormSubmitter:act_edit_form-Apply edits").click().run()
    assert not at.exception, at.exception
    decision = Decision.model_validate(store.decisions(ui_db.run_ids[0])[0]["decision"])
    assert decision.action == "edit" and decision.reviewer == ANN
    assert [e.model_dump() for e in decision.edits.claims] == [
        {
            "claim_id": claims[0]["id"],
            "text": "Four women have served on the US Supreme Court.",
            "drop": False,
        },
        {"claim_id": claims[1]["id"], "text": None, "drop": True},
    ]
    assert decision.edits.instructions == "Check only what the sources say."
    store.close()


def test_edit_with_nothing_changed_is_refused(make_app, ui_db):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.button(key="FormSubmitter:act_edit_form-Apply edits").click().run()
    assert [plain(e.value) for e in at.error] == [
        "Not applied: field edits: nothing to apply: change a claim, drop one, or give new instructions"
    ]
    store = Store(ui_db.path)
    assert store.item(ui_db.item_ids[0])["status"] == "pending"
    store.close()


def test_send_back_offers_only_the_nodes_the_table_allows(make_app, ui_db):
    store = Store(ui_db.path)
    allowed = store.item(ui_db.item_ids[0])["request"]["allowed_targets"]
    at = make_app(ANN, item=ui_db.item_ids[0])
    assert list(at.selectbox(key="act_target").options) == allowed
    at.selectbox(key="act_target").select("research")
    at.text_input(key="act_back_note").input("look for the 2022 appointment")
    at.button(key="act_send_back").click().run()
    assert not at.exception
    d = store.decisions(ui_db.run_ids[0])[0]["decision"]
    assert (d["action"], d["target"], d["note"], d["reviewer"]) == (
        "send_back",
        "research",
        "look for the 2022 appointment",
        ANN,
    )
    store.close()


def test_extend_raises_the_hop_ceiling(make_app, ui_db):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.number_input(key="act_extra_hops").set_value(6)
    at.button(key="act_extend").click().run()
    store = Store(ui_db.path)
    d = store.decisions(ui_db.run_ids[0])[0]["decision"]
    assert (d["action"], d["extra_hops"]) == ("extend", 6)
    Worker(store).drain()
    run = store.run(ui_db.run_ids[0])
    assert run["max_hops"] == 8
    assert run["status"] in ("finished", "waiting_review")
    assert run["hops"] > 2  # it carried on past the old ceiling
    store.close()


def test_second_reviewer_is_told_who_decided_and_when(make_app, ui_db):
    at = make_app(ANN, item=ui_db.item_ids[0])  # ann has the item open ...
    store = Store(ui_db.path)
    won = store.decide(
        ui_db.item_ids[0], Decision(action="reject", reviewer=ROSA, note="duplicate")
    )  # ... rosa decides first
    at.button(key="act_approve").click().run()
    assert [plain(e.value) for e in at.error] == [
        f"Not applied: this item was already decided (reject) by {ROSA} at {won['decided_at']}."
    ]
    assert [d["reviewer"] for d in store.decisions(ui_db.run_ids[0])] == [ROSA]
    # reopened, the item says so and offers no actions
    at = make_app(ANN, item=ui_db.item_ids[0])
    assert plain(at.info[0].value).startswith(
        f"Already decided: reject by {ROSA} at {won['decided_at']}"
    )
    assert not {"act_approve", "act_reject", "act_send_back", "act_extend"} & _keys(at)
    store.close()


@pytest.mark.parametrize("query", [{"page": "queue"}, {"item": "ITEM"}])
def test_analysts_are_refused_the_queue_and_its_items_even_by_deep_link(make_app, ui_db, query):
    query = {k: (ui_db.item_ids[0] if v == "ITEM" else v) for k, v in query.items()}
    at = make_app(BOB, **query)
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        "Refused: the review queue is for reviewers; bob is signed in as analyst."
    ]
    assert not {"act_approve", "act_reject", "open_oldest"} & _keys(at)
    assert "nav_queue" not in _keys(at)
    store = Store(ui_db.path)
    claims = store.item(ui_db.item_ids[0])["request"]["claims"]
    store.close()
    assert claims[0]["text"][:40] not in _all_text(at)  # nothing of the item leaks


def test_analyst_actions_are_refused_on_the_server_whatever_the_page_shows(ui_db):
    from baton.ui.actions import Refused, decide

    store = Store(ui_db.path)
    with pytest.raises(Refused, match="bob is signed in as analyst"):
        decide(store, {"name": BOB, "role": "analyst"}, ui_db.item_ids[0], "approve")
    assert store.item(ui_db.item_ids[0])["status"] == "pending"
    store.close()


def test_a_removed_user_is_signed_out(make_app, ui_db):
    at = make_app("ghost")
    assert at.title[0].value == "baton: sign in"
    assert "user_name" not in at.session_state


def test_with_oidc_configured_the_sign_in_is_the_identity_providers(make_app, ui_db):
    from streamlit.testing.v1 import AppTest

    from baton.ui import APP_PATH

    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "baton",
        "client_secret": "s",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with your identity provider"]
    assert not at.text_input  # no password form under OIDC
