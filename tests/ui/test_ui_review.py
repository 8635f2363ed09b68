"""The reviewer's desk in the real app script (AppTest): sign-in (and its rate limit), the
queue, one item, the actions each reason allows, the grace period with Undo, item claims,
and the refusals (wrong role, item already decided, an action the reason does not allow)."""

from __future__ import annotations

import pytest
from uitest_users import ANN, BOB, PASSWORDS, ROSA, plain

from baton.checkpoints import open_store
from baton.contracts import Decision, ReviewRequest
from baton.errors import InvalidDecision
from baton.ui.render import escape_text
from baton.worker import Worker


def _all_text(at) -> str:
    parts = []
    for kind in ("title", "markdown", "caption", "error", "info", "success", "warning", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def _keys(at) -> set[str]:
    return {b.key for b in at.button}


def _enabled(at) -> set[str]:
    return {b.key for b in at.button if not b.disabled}


def _item_param(at) -> str:
    value = at.query_params["item"]
    return value[0] if isinstance(value, list) else value


@pytest.fixture
def no_grace(monkeypatch):
    """Decisions apply on the next script run (no grace period to wait for)."""
    from baton.ui import review_page

    monkeypatch.setattr(review_page, "GRACE_S", 0.0)


def _contradicted_item(store, run_id: str) -> tuple[str, dict]:
    """A pending item of ``run_id`` with reason ``contradicted`` (the run's hop-limit request
    with another reason), for the actions a claim problem allows."""
    first = store.items(run_id)[0]["request"]
    request = ReviewRequest.model_validate({**first, "reason": "contradicted"})
    return store.add_review_item(run_id, "contradicted-1", request), first


def test_new_database_without_users_says_how_to_create_one(db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from baton.ui import APP_PATH

    monkeypatch.setenv("BATON_DB", str(db_path))
    at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert not at.exception
    assert plain(at.warning[0].value) == "This database has no users yet, so nobody can sign in."
    assert f"baton users add ann --role reviewer --db {db_path}" in at.code[0].value
    assert not at.text_input  # no sign-in form while nobody could sign in


def _sign_in(at, name: str, password: str):
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    return at.button[0].click().run()


def test_sign_in_refuses_a_wrong_password_and_admits_the_right_one(make_app, ui_db):
    at = make_app()
    assert at.title[0].value == "baton: sign in"
    _sign_in(at, ANN, "not-the-password")
    assert [plain(e.value) for e in at.error] == ["Unknown name or wrong password."]
    assert "user_name" not in at.session_state

    _sign_in(at, ANN, PASSWORDS[ANN])
    assert not at.exception
    assert at.title[0].value == "Review queue"  # a reviewer lands on the queue
    assert "Signed in as **ann** (reviewer)" in _all_text(at)
    assert len(at.session_state["session_id"]) == 16  # the signed cookie's session id


def test_failed_sign_ins_are_events_with_a_growing_delay_then_a_lockout(
    make_app, ui_db, monkeypatch
):
    from baton.ui import auth

    at = make_app(item=ui_db.item_ids[0])  # a deep link, kept through the sign-in
    _sign_in(at, ANN, "wrong-1")
    _sign_in(at, ANN, "wrong-2")
    assert [plain(e.value) for e in at.error] == ["Unknown name or wrong password."]
    _sign_in(at, ANN, "wrong-3")  # 2 failures: the next try waits delay_s(2) = 1 s
    assert [plain(e.value) for e in at.error] == [
        "Too many failed sign-ins: wait 1 s before trying again."
    ]
    monkeypatch.setattr(auth, "delay_s", lambda n: 0.0)
    for n in range(3, 6):
        _sign_in(at, ANN, f"wrong-{n}")
    _sign_in(at, ANN, PASSWORDS[ANN])  # the right password, but locked out
    assert [plain(e.value) for e in at.error] == [
        "Too many failed sign-ins: locked for 15 minutes. Ask an administrator to reset the password if you forgot it."
    ]
    with open_store(ui_db.path) as store:
        failed = store.failed_sign_ins(ANN, "unknown", "2000-01-01T00:00:00.000Z")
        assert (failed["name"], failed["client"]) == (5, 5)
        assert store.failed_sign_ins(ROSA, "elsewhere", "2000-01-01")["name"] == 0
    _sign_in(at, ROSA, PASSWORDS[ROSA])  # another name from the same client: not locked yet
    assert not at.error
    assert at.title == [] or at.title[0].value != "baton: sign in"
    assert _item_param(at) == ui_db.item_ids[0]  # the deep link opened after the sign-in


def test_sign_out_revokes_the_session(make_app, ui_db):
    at = make_app()
    _sign_in(at, ANN, PASSWORDS[ANN])
    sid = at.session_state["session_id"]
    at.button(key="sign_out").click().run()
    assert at.title[0].value == "baton: sign in"
    with open_store(ui_db.path) as store:
        assert store.session_revoked(sid) is True
        assert store.session_revoked("another") is False


def test_a_session_token_is_signed_and_expires(monkeypatch):
    from baton.ui import auth

    token = auth.session_token(ANN, "s1")
    assert auth.read_token(token) == (ANN, "s1")
    assert auth.read_token(token[:-2] + "xx") is None  # tampered
    monkeypatch.setattr(auth, "SESSION_TTL_S", -1)
    assert auth.read_token(token) is None  # expired


def test_queue_lists_pending_items_with_counts_and_who_is_reviewing(make_app, ui_db):
    with open_store(ui_db.path) as store:
        store.claim_item(ui_db.item_ids[1], ROSA, 300)
    at = make_app(ANN)
    assert at.title[0].value == "Review queue"
    text = _all_text(at)
    assert "<b>2 pending</b>" in text and ">hop limit 2</span>" in text
    opens = [b.key for b in at.button if b.key and b.key.startswith("open_item_")]
    assert opens == [f"open_item_{i}" for i in ui_db.item_ids]
    assert "being reviewed by rosa" in text
    at.text_input(key="queue_search").input("no such question").run()
    assert [plain(i.value) for i in at.info] == ["No pending item matches."]


def test_hop_limit_item_offers_extend_finish_reject_first(make_app, ui_db):
    with open_store(ui_db.path) as store:
        request = store.item(ui_db.item_ids[0])["request"]
    at = make_app(ANN, item=ui_db.item_ids[0])
    assert not at.exception
    text = _all_text(at)
    assert f"Review item {ui_db.item_ids[0]}</span>" in text and "hop 2 of 2" in text
    assert f"bound {escape_text('max_hops=2')}" in text
    assert {"act_extend", "act_approve", "act_reject", "act_next"} <= _keys(at)
    assert not {"act_send_back", "act_edit"} & _keys(at)
    assert [b.label for b in at.button if b.key.startswith("act_")] == [
        "Extend",
        "Finish with what exists",
        "Reject",
        "Next",
    ]
    assert any(e.label.startswith("The handoff") for e in at.expander)
    assert request["handoff"]["recipient"] in text
    for claim in request["claims"]:
        assert claim["id"] in text
    assert "<mark" in text  # the evidence is highlighted inside its source


def test_the_server_refuses_actions_the_reason_does_not_allow(ui_db):
    with open_store(ui_db.path) as store:
        with pytest.raises(InvalidDecision, match="edit does not apply to a hop_limit review"):
            store.decide(
                ui_db.item_ids[0],
                Decision(action="edit", reviewer=ANN, edits={"instructions": "x"}),
            )
        assert store.item(ui_db.item_ids[0])["status"] == "pending"


def test_a_decision_waits_for_the_grace_period_and_undo_cancels_it(make_app, ui_db):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.button(key="act_approve").click().run()
    assert _item_param(at) == ui_db.item_ids[1]  # the next item opened at once
    assert (
        plain(at.warning[0].value)
        == f"Finish with what exists of item {ui_db.item_ids[0]} applies in 8 s."
    )
    with open_store(ui_db.path) as store:
        assert store.item(ui_db.item_ids[0])["status"] == "pending"  # not yet
        at.button(key="undo").click().run()
        assert _item_param(at) == ui_db.item_ids[0]  # back on the item
        assert store.item(ui_db.item_ids[0])["status"] == "pending"
        assert store.decisions(ui_db.run_ids[0]) == []


def test_from_the_queue_a_decision_takes_two_interactions(make_app, ui_db, no_grace):
    at = make_app(ANN)
    interactions = 0
    at.button(key="open_next").click().run()  # N: the oldest item nobody else holds
    interactions += 1
    assert _item_param(at) == ui_db.item_ids[0]
    at.button(key="act_approve").click().run()  # A
    interactions += 1
    assert interactions == 2
    assert [plain(t.value) for t in at.toast] == [
        f"Finish with what exists recorded for item {ui_db.item_ids[0]} by ann; a worker resumes run {ui_db.run_ids[0]}."
    ]
    with open_store(ui_db.path) as store:
        decided = store.item(ui_db.item_ids[0])
        assert (decided["status"], decided["decided_by"], decided["action"]) == (
            "decided",
            ANN,
            "approve",
        )
        assert [d["reviewer"] for d in store.decisions(ui_db.run_ids[0])] == [ANN]
        assert Worker(store).drain() == [ui_db.run_ids[0]]
        assert store.run(ui_db.run_ids[0])["status"] == "finished"


def test_reject_needs_a_reason_shown_at_the_action(make_app, ui_db, no_grace):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.button(key="act_reject").click().run()
    assert [plain(e.value) for e in at.error] == ["A rejection needs a reason."]
    store = open_store(ui_db.path)
    assert store.item(ui_db.item_ids[0])["status"] == "pending"
    at.text_input(key="act_reject_reason").input("the sources are off topic")
    at.button(key="act_reject").click().run()
    assert not at.exception
    assert store.decisions(ui_db.run_ids[0])[0]["decision"]["note"] == "the sources are off topic"
    Worker(store).drain()
    assert store.run(ui_db.run_ids[0])["status"] == "rejected"
    store.close()


def test_contradicted_item_offers_approve_edit_send_back_reject(make_app, ui_db, no_grace):
    store = open_store(ui_db.path)
    item_id, request = _contradicted_item(store, ui_db.run_ids[0])
    at = make_app(ANN, item=item_id)
    assert [b.label for b in at.button if b.key.startswith("act_")] == [
        "Approve as is",
        "Send back",
        "Reject",
        "Next",
    ]
    assert list(at.selectbox(key="act_target").options) == request["allowed_targets"]
    claims = request["claims"]
    at.text_area(key="edit_text_0").input("Four women have served on the US Supreme Court.")
    at.checkbox(key="edit_drop_1").check()
    at.text_area(key="edit_instructions").input("Check only what the sources say.")
    at.button(key="FormSubmitter:act_edit_form-Apply edits").click().run()
    assert not at.exception, at.exception
    decision = Decision.model_validate(store.item(item_id)["decision"])
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


def test_edit_with_nothing_changed_is_refused_at_the_action(make_app, ui_db, no_grace):
    store = open_store(ui_db.path)
    item_id, _ = _contradicted_item(store, ui_db.run_ids[0])
    at = make_app(ANN, item=item_id)
    at.button(key="FormSubmitter:act_edit_form-Apply edits").click().run()
    assert [plain(e.value) for e in at.error] == [
        "field edits: nothing to apply: change a claim, drop one, or give new instructions"
    ]
    assert store.item(item_id)["status"] == "pending"
    store.close()


def test_send_back_names_a_node_the_table_allows(make_app, ui_db, no_grace):
    store = open_store(ui_db.path)
    item_id, _ = _contradicted_item(store, ui_db.run_ids[0])
    at = make_app(ANN, item=item_id)
    at.selectbox(key="act_target").select("research")
    at.text_input(key="act_back_note").input("look for the 2022 appointment")
    at.button(key="act_send_back").click().run()
    assert not at.exception
    d = store.item(item_id)["decision"]
    assert (d["action"], d["target"], d["note"], d["reviewer"]) == (
        "send_back",
        "research",
        "look for the 2022 appointment",
        ANN,
    )
    store.close()


def test_extend_raises_the_hop_ceiling(make_app, ui_db, no_grace):
    at = make_app(ANN, item=ui_db.item_ids[0])
    at.number_input(key="act_extra_hops").set_value(6)
    at.button(key="act_extend").click().run()
    store = open_store(ui_db.path)
    d = store.decisions(ui_db.run_ids[0])[0]["decision"]
    assert (d["action"], d["extra_hops"]) == ("extend", 6)
    Worker(store).drain()
    run = store.run(ui_db.run_ids[0])
    assert run["max_hops"] == 8
    assert run["status"] in ("finished", "waiting_review")
    assert run["hops"] > 2  # it carried on past the old ceiling
    store.close()


def test_an_item_open_elsewhere_is_being_reviewed_and_next_skips_it(make_app, ui_db):
    make_app(ANN, item=ui_db.item_ids[0])  # ann opens (claims) the oldest item
    at = make_app(ROSA, item=ui_db.item_ids[0])
    assert plain(at.warning[0].value).startswith("Being reviewed by ann (claimed for 5 min")
    assert not {"act_approve", "act_extend", "act_reject"} & _enabled(at)
    at.button(key="act_next").click().run()
    assert _item_param(at) == ui_db.item_ids[1]  # next skips ann's item


def test_second_reviewer_is_told_who_decided_and_when(make_app, ui_db, no_grace):
    at = make_app(ANN, item=ui_db.item_ids[0])  # ann has the item open ...
    store = open_store(ui_db.path)
    won = store.decide(
        ui_db.item_ids[0], Decision(action="reject", reviewer=ROSA, note="duplicate")
    )  # ... rosa decides first
    at.button(key="act_approve").click().run()  # the page, drawn again, says so at the top
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
    assert not {"act_approve", "act_reject", "open_next"} & _keys(at)
    assert "nav_queue" not in _keys(at)
    store = open_store(ui_db.path)
    claims = store.item(ui_db.item_ids[0])["request"]["claims"]
    store.close()
    assert claims[0]["text"][:40] not in _all_text(at)  # nothing of the item leaks


def test_analysts_see_only_their_own_runs(make_app, ui_db, example_tasks):
    with open_store(ui_db.path) as store:
        other = store.submit(example_tasks[0], submitted_by="carol")
    at = make_app(BOB, run=other)
    assert [plain(e.value) for e in at.error] == [
        f"Refused: run {other} was not submitted by bob; analysts see their own runs."
    ]
    at = make_app(BOB, page="runs")
    assert f"run_open_{other}" not in _keys(at)
    at = make_app(ANN, page="runs")  # a reviewer sees every run
    assert f"run_open_{other}" in _keys(at)


def test_analyst_actions_are_refused_on_the_server_whatever_the_page_shows(ui_db):
    from baton.ui.actions import Refused, decide

    store = open_store(ui_db.path)
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
