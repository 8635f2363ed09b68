"""Fixtures for the browser app: a database holding paused runs and three users, and an
``AppTest`` of the real app script signed in as one of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from uitest_users import ANN, BOB, PASSWORDS, ROSA


@dataclass
class UiDb:
    path: str  # the database URL (a SQLite file path or a postgresql:// URL)
    run_ids: list[str]
    item_ids: list[str] = field(default_factory=list)


def paused_tasks(example_tasks, n: int = 2, max_hops: int = 2):
    """``n`` shipped example tasks with a hop ceiling that makes each pause for review
    (reason hop_limit) once its claims exist, whatever the verifier concludes."""
    from baton.policy import Policy

    return [t.model_copy(update={"policy": Policy(max_hops=max_hops)}) for t in example_tasks[:n]]


@pytest.fixture
def ui_db(store_url, monkeypatch, example_tasks) -> UiDb:
    """Two runs paused for review (hop_limit), users ann and rosa (reviewers) and bob
    (analyst), on each backend (``store_url``); ``BATON_DB`` names the database."""
    from baton.checkpoints import open_store
    from baton.worker import Worker

    store = open_store(store_url)
    run_ids = [store.submit(t, submitted_by=BOB) for t in paused_tasks(example_tasks)]
    Worker(store).drain()
    assert [store.run(r)["status"] for r in run_ids] == ["waiting_review", "waiting_review"]
    item_ids = [i["item_id"] for i in store.queue()]
    store.close()
    with open_store(store_url) as store:
        users = store.users
        users.add(ANN, "reviewer", PASSWORDS[ANN])
        users.add(ROSA, "reviewer", PASSWORDS[ROSA])
        users.add(BOB, "analyst", PASSWORDS[BOB])
    monkeypatch.setenv("BATON_DB", store_url)
    return UiDb(store_url, run_ids, item_ids)


@pytest.fixture
def make_app(ui_db):
    """``make_app(user=None, **query)``: an ``AppTest`` of the app script, signed in as
    ``user`` (server-side session state, as the sign-in form leaves it), run once."""
    from streamlit.testing.v1 import AppTest

    from baton.ui import APP_PATH

    def make(user: str | None = None, **query: str):
        at = AppTest.from_file(str(APP_PATH), default_timeout=60)
        if user:
            at.session_state["user_name"] = user
        for k, v in query.items():
            at.query_params[k] = v
        return at.run()

    return make
