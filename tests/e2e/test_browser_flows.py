"""Real-browser tests: Playwright driving Debian's chromium against ``baton ui`` on 127.0.0.1,
one browser session per scenario group:

- sessions: a deep link opens after sign-in; reload and a new tab keep the session; sign-out
  revokes it; failed sign-ins lock a name out;
- the decision screen at 1400x900: the reason, hop N of max, every allowed action and the
  first flagged claim with its evidence are inside the viewport without scrolling (bounding
  boxes asserted); the unsupported bound paused a run (reason ``unsupported``);
- undo: within the grace period it cancels; after it the decision applies once;
- two reviewers: the second sees "being reviewed by"; the queue shows a new item by itself;
- analysts: submit (form cleared, link to the run), see their own runs only; an analyst's deep
  link to a review item is refused.

Each scenario runs once per storage backend (``STORE_URLS``: SQLite, PostgreSQL). A PNG of
each page is saved under ``test-artifacts/`` (see the README; the last backend's). Never
``playwright install``: ``.ci/run`` installs chromium with apt-get.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from baton.checkpoints import open_store
from conftest import STORE_URLS

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
REVIEWER, SECOND, ANALYST = (
    ("ann", "ann-secret-1"),
    ("rosa", "rosa-secret-1"),
    ("bob", "bob-secret-1"),
)
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 900}

if not os.path.exists(CHROMIUM):  # pragma: no cover - CI installs it
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _baton(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from baton.cli import main; sys.exit(main(sys.argv[1:]))",
        *args,
    ]


def _tasks():
    from baton.contracts import Task

    lines = [
        ln for ln in (ROOT / "examples" / "tasks.jsonl").read_text().splitlines() if ln.strip()
    ]
    return {t.id: t for t in (Task.model_validate_json(ln) for ln in lines)}


@pytest.fixture(scope="module", params=sorted(STORE_URLS))
def server(request, tmp_path_factory):
    """``baton ui --no-worker`` on a database (each backend of ``STORE_URLS``) holding four
    runs paused for review (two at the hop limit, one contradicted, one past the unsupported
    bound), all submitted by bob, and one finished run of carol's; the tests start workers
    themselves."""
    from baton.policy import Policy
    from baton.worker import Worker

    folder = tmp_path_factory.mktemp("e2e")
    db = STORE_URLS[request.param](request, folder / "baton.db")
    tasks = _tasks()
    store = open_store(db)
    for tid in ("fcgpt-r16-check", "fcgpt-r17-check"):
        store.submit(
            tasks[tid].model_copy(update={"policy": Policy(max_hops=2)}), submitted_by="bob"
        )
    store.submit(tasks["fcgpt-r17-check"], submitted_by="bob")  # contradicted
    store.submit(tasks["fcgpt-r18-check"], submitted_by="bob")  # unsupported (the bound)
    carol = store.submit(tasks["fcgpt-r16-answer"], submitted_by="carol")
    Worker(store).drain()
    assert [i["reason"] for i in store.queue()] == [
        "hop_limit",
        "hop_limit",
        "contradicted",
        "unsupported",
    ]
    store.close()
    with open_store(db) as users_store:
        users = users_store.users
        users.add(REVIEWER[0], "reviewer", REVIEWER[1])
        users.add(SECOND[0], "reviewer", SECOND[1])
        users.add(ANALYST[0], "analyst", ANALYST[1])
    port = _free_port()
    log = folder / "ui.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            _baton("ui", "--db", db, "--port", str(port), "--no-worker"),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 60
    while (
        f"baton is up: http://127.0.0.1:{port}" not in log.read_text()
        and proc.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert f"baton is up: http://127.0.0.1:{port}" in log.read_text(), log.read_text()
    yield {"url": f"http://127.0.0.1:{port}", "db": db, "carol": carol}
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _context(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def _worker(db: str) -> None:
    """Work every queued run of ``db`` in a separate process (as `baton worker --once`)."""
    subprocess.run(
        _baton("worker", "--db", db, "--once"), check=True, timeout=120, capture_output=True
    )


def _sign_in(page, url: str, user: tuple[str, str], query: str = "") -> None:
    page.goto(url + query)
    page.get_by_role("textbox", name="Name").fill(user[0])
    page.get_by_role("textbox", name="Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {user[0]}").wait_for()


def _shot(page, name: str, full: bool = False) -> None:
    page.wait_for_timeout(400)  # let the last rerun paint
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def _items(db: str) -> list[dict]:

    with open_store(db) as store:
        return store.queue()


def _inside(page, locator) -> dict:
    """The element's bounding box, asserted to lie inside the viewport (no scrolling)."""
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"], box
    return {k: round(v) for k, v in box.items()}


def test_sessions_survive_reload_new_tab_and_deep_links_and_sign_out_revokes(server, browser):
    items = _items(server["db"])
    ctx = _context(browser)
    page = ctx.new_page()
    _sign_in(page, server["url"], REVIEWER, query=f"/?item={items[0]['item_id']}")
    page.get_by_text(f"Review item {items[0]['item_id']}").wait_for()  # the deep link opened
    page.reload()
    page.get_by_text(f"Review item {items[0]['item_id']}").wait_for()
    assert page.get_by_role("button", name="Sign in").count() == 0
    tab = ctx.new_page()  # a new tab, another deep link
    tab.goto(server["url"] + f"/?run={items[1]['run_id']}")
    tab.get_by_role("heading", name=f"Run {items[1]['run_id']}").wait_for()
    tab.get_by_text("Signed in as ann").wait_for()
    tab.get_by_role("tab", name="Timeline").wait_for()
    _shot(tab, "run-waiting")
    tab.get_by_role("button", name="Sign out").click()
    tab.get_by_role("button", name="Sign in").wait_for()
    page.reload()  # the other tab's session is revoked too
    page.get_by_role("button", name="Sign in").wait_for()
    _shot(page, "sign-in")
    ctx.close()


def _failures(name: str, db: str) -> int:

    with open_store(db) as store:
        return store.failed_sign_ins(name, "-", "2000-01-01T00:00:00.000Z")["name"]


def test_failed_sign_ins_lock_the_name_out(server, browser):
    from baton.ui.auth import LOCKOUT_FAILURES, delay_s

    ctx = _context(browser)
    page = ctx.new_page()
    page.goto(server["url"])
    for n in range(LOCKOUT_FAILURES):
        page.wait_for_timeout(delay_s(n) * 1000 + 300)  # the growing delay
        page.get_by_role("textbox", name="Name").fill("mallory")
        page.get_by_role("textbox", name="Password").fill(f"guess-{n}")
        page.get_by_role("button", name="Sign in").click()
        deadline = time.monotonic() + 20
        while _failures("mallory", server["db"]) < n + 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _failures("mallory", server["db"]) == n + 1
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Too many failed sign-ins: locked for 15 minutes.").wait_for()
    _shot(page, "sign-in-locked")
    ctx.close()
    assert _failures("mallory", server["db"]) == LOCKOUT_FAILURES  # the locked try is no failure


def test_the_decision_fits_one_screen_and_undo_cancels_within_the_grace_period(server, browser):
    from playwright.sync_api import expect

    items = _items(server["db"])
    by_reason = {i["reason"]: i["item_id"] for i in reversed(items)}
    ctx = _context(browser)
    page = ctx.new_page()
    _sign_in(page, server["url"], REVIEWER)
    page.get_by_role("heading", name="Review queue").wait_for()
    _shot(page, "review-queue")
    boxes = {}
    for reason, actions in (
        ("contradicted", ("Approve as is", "Send back", "Reject")),
        ("unsupported", ("Approve as is", "Send back", "Reject")),
        ("hop_limit", ("Extend", "Finish with what exists", "Reject")),
    ):
        page.goto(server["url"] + f"/?item={by_reason[reason]}")
        page.get_by_text(f"Review item {by_reason[reason]}").wait_for()
        page.wait_for_timeout(500)
        boxes[reason] = {
            "reason and hop": _inside(
                page, page.locator("b", has_text=re.compile(r"^hop \d+ of \d+$")).first
            )
        }
        for label in actions:
            button = page.get_by_role("button", name=re.compile("^" + re.escape(label)))
            boxes[reason][label] = _inside(page, button.first)
        if reason != "hop_limit":
            boxes[reason]["Edit claims"] = _inside(page, page.get_by_text("Edit claims").first)
            claim = page.locator(".st-key-flagged_claim_0")
            boxes[reason]["first flagged claim"] = _inside(page, claim.locator("mark").first)
        _shot(page, f"review-item-{reason.replace('_', '-')}")
    print("bounding boxes at 1400x900:", boxes)
    (ARTIFACTS / "review-item-boxes.txt").write_text(repr(boxes) + "\n")

    # hop limit: finish, then undo inside the grace period
    item_id = by_reason["hop_limit"]
    page.get_by_role("button", name=re.compile("^Finish with what exists")).click()
    page.get_by_text(re.compile(f"Finish with what exists of item {item_id} applies in")).wait_for()
    _shot(page, "review-undo")
    page.get_by_role("button", name=re.compile("^Undo")).click()
    page.get_by_text(f"Review item {item_id}").wait_for()
    with open_store(server["db"]) as store:
        assert store.item(item_id)["status"] == "pending"
    # again, and let the grace period pass: applied once
    finish = page.get_by_role("button", name=re.compile("^Finish with what exists"))
    expect(finish).to_have_count(1, timeout=15_000)  # the rerun after Undo has settled
    finish.click()
    page.get_by_text(re.compile("applies in")).wait_for()
    page.get_by_text(re.compile(f"Finish with what exists recorded for item {item_id}")).wait_for(
        timeout=20_000
    )
    with open_store(server["db"]) as store:
        assert store.item(item_id)["status"] == "decided"
        assert [d["action"] for d in store.decisions(store.item(item_id)["run_id"])] == ["approve"]
    ctx.close()


def test_two_reviewers_and_a_queue_that_refreshes_itself(server, browser):
    from baton.policy import Policy

    items = _items(server["db"])
    target = items[0]["item_id"]
    ann_ctx, rosa_ctx = _context(browser), _context(browser)
    ann, rosa = ann_ctx.new_page(), rosa_ctx.new_page()
    _sign_in(ann, server["url"], REVIEWER, query=f"/?item={target}")
    ann.get_by_text(f"Review item {target}").wait_for()
    _sign_in(rosa, server["url"], SECOND, query=f"/?item={target}")
    rosa.get_by_text("Being reviewed by ann").wait_for()
    _shot(rosa, "review-claimed")
    rosa.goto(server["url"] + "/?page=queue")
    rosa.get_by_text("being reviewed by ann").first.wait_for()
    with open_store(server["db"]) as store:
        new_run = store.submit(
            _tasks()["fcgpt-r16-check"].model_copy(update={"policy": Policy(max_hops=2)}),
            submitted_by="bob",
        )
    _worker(server["db"])
    new_item = next(i["item_id"] for i in _items(server["db"]) if i["run_id"] == new_run)
    rosa.get_by_text(new_item).wait_for(timeout=15_000)  # no click, no reload
    ann_ctx.close()
    rosa_ctx.close()


def test_analyst_submits_sees_only_own_runs_and_is_refused_the_queue(server, browser):
    ctx = _context(browser)
    page = ctx.new_page()
    _sign_in(page, server["url"], ANALYST)
    page.get_by_role("heading", name="My runs").wait_for()
    page.get_by_text("bob").first.wait_for()
    assert page.get_by_text(server["carol"]).count() == 0  # carol's run is not bob's
    _shot(page, "runs")
    page.get_by_role("button", name="Submit").first.click()
    page.get_by_role("heading", name="Submit a task").wait_for()
    assert page.get_by_label("Draft to check").count() == 0  # answer tasks have no draft
    page.get_by_label("Question").fill("When was the Eiffel Tower completed?")
    page.get_by_label(re.compile("^Paste sources")).fill(
        "# Eiffel Tower\nThe Eiffel Tower was completed in 1889 for the World's Fair in Paris. It is 330 metres tall."
    )
    _shot(page, "submit")
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").or_(
        page.get_by_test_id("stBaseButton-primaryFormSubmit")
    ).click()
    page.get_by_text(re.compile(r"Queued run [0-9a-f]{12}")).wait_for()
    assert page.get_by_label("Question").input_value() == ""  # the form is cleared
    run_id = re.search(
        r"Queued run ([0-9a-f]{12})", page.get_by_text(re.compile("Queued run")).inner_text()
    ).group(1)
    page.get_by_role("button", name=f"Open run {run_id}").click()
    page.get_by_role("heading", name=f"Run {run_id}").wait_for()
    _worker(server["db"])
    page.get_by_text("done in").first.wait_for()  # progress complete once finished
    page.get_by_text("Answer", exact=True).wait_for()  # the run page opens on the result
    _shot(page, "run-finished", full=True)
    page.goto(server["url"] + f"/?item={_items(server['db'])[0]['item_id']}")
    page.get_by_text(
        "Refused: the review queue is for reviewers; bob is signed in as analyst."
    ).wait_for()
    page.goto(server["url"] + f"/?run={server['carol']}")
    page.get_by_text(f"Refused: run {server['carol']} was not submitted by bob").wait_for()
    ctx.close()
