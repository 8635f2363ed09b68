"""Real-browser tests: Playwright driving Debian's chromium against ``baton ui`` on 127.0.0.1.

- a reviewer signs in, opens the queue, opens an item, approves, and sees the run finish;
- an analyst submits a task and sees it progress (queued, then finished once a worker runs);
- an analyst's deep link to a review item is refused.

A PNG of each page is saved under ``test-artifacts/`` (see the README). Never
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

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
REVIEWER, ANALYST = ("ann", "ann-secret-1"), ("bob", "bob-secret-1")
TIMEOUT_MS = 30_000

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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``baton ui --no-worker`` on a database holding two runs paused for review; the tests
    start workers themselves (so a run can be seen queued before it moves)."""
    from baton.checkpoints import Store
    from baton.contracts import Task
    from baton.policy import Policy
    from baton.worker import Worker

    db = str(tmp_path_factory.mktemp("e2e") / "baton.db")
    payloads = [
        line
        for line in (ROOT / "examples" / "tasks.jsonl").read_text().splitlines()
        if line.strip()
    ][:2]
    store = Store(db)
    for p in payloads:
        store.submit(Task.model_validate_json(p).model_copy(update={"policy": Policy(max_hops=2)}))
    Worker(store).drain()
    assert len(store.queue()) == 2
    store.close()
    with Store(db) as users_store:
        users = users_store.users
        users.add(*REVIEWER[:1], "reviewer", REVIEWER[1])
        users.add(*ANALYST[:1], "analyst", ANALYST[1])
    port = _free_port()
    log = Path(db).with_name("ui.log")
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
    yield {"url": f"http://127.0.0.1:{port}", "db": db}
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


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1800})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    ctx.close()


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


def _shot(page, name: str) -> None:
    page.wait_for_timeout(300)  # let the last rerun paint
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_reviewer_approves_an_item_and_sees_the_run_finish(server, page):
    from baton.checkpoints import Store

    _sign_in(page, server["url"], REVIEWER)
    page.get_by_role("heading", name="Review queue").wait_for()
    _shot(page, "review-queue")
    page.get_by_role("button", name="Open the oldest").click()
    page.get_by_role("heading", name=re.compile(r"Review item [0-9a-f]{12}")).wait_for()
    item_id = page.get_by_role("heading", name=re.compile("Review item")).inner_text().split()[-1]
    page.get_by_text("Why the run paused").wait_for()
    page.get_by_text("max_hops=2").first.wait_for()
    _shot(page, "review-item")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text(f"approve recorded for item {item_id} by ann").wait_for()

    store = Store(server["db"])
    run_id = store.item(item_id)["run_id"]
    assert store.item(item_id)["decided_by"] == "ann"
    store.close()
    # a deep link opens a new session: sign in again, land on the run
    _sign_in(page, server["url"], REVIEWER, query=f"/?run={run_id}")
    page.get_by_role("heading", name=f"Run {run_id}").wait_for()
    _worker(server["db"])
    # the status fragment refreshes by itself: no reload
    page.get_by_text("finished").first.wait_for()
    page.get_by_role("tab", name="Report").click()
    page.get_by_text("Answer", exact=True).wait_for()
    _shot(page, "run-finished")


def test_analyst_submits_a_task_and_sees_it_progress(server, page):
    _sign_in(page, server["url"], ANALYST)
    page.get_by_role("heading", name="Runs").wait_for()
    page.get_by_role("button", name="Submit").first.click()
    page.get_by_role("heading", name="Submit a task").wait_for()
    page.get_by_label("Question").fill("When was the Eiffel Tower completed?")
    page.get_by_label(re.compile("^Paste sources")).fill(
        "# Eiffel Tower\nThe Eiffel Tower was completed in 1889 for the World's Fair in Paris. It is 330 metres tall."
    )
    _shot(page, "submit")
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").or_(
        page.get_by_test_id("stBaseButton-primaryFormSubmit")
    ).click()
    page.get_by_text(re.compile(r"Queued run [0-9a-f]{12}")).wait_for()
    run_id = re.search(
        r"Queued run ([0-9a-f]{12})", page.get_by_text(re.compile("Queued run")).inner_text()
    ).group(1)
    page.get_by_role("button", name="Open the run").click()
    page.get_by_role("heading", name=f"Run {run_id}").wait_for()
    page.get_by_text("queued").first.wait_for()
    _shot(page, "run-queued")
    _worker(server["db"])
    page.get_by_text("finished").first.wait_for()
    page.get_by_text("hop 4 of 8").wait_for()
    page.get_by_role("button", name="Runs").first.click()
    page.get_by_role("heading", name="Runs", exact=True).wait_for()
    page.get_by_text("checkpoint(s) of thread").wait_for(state="detached")
    page.get_by_text(run_id, exact=True).wait_for()
    _shot(page, "runs")


def test_analyst_deep_link_to_an_item_is_refused(server, page):
    from baton.checkpoints import Store

    store = Store(server["db"])
    items = store.queue()
    store.close()
    assert items, "the reviewer test leaves one item pending"
    _sign_in(page, server["url"], ANALYST, query=f"/?item={items[0]['item_id']}")
    page.get_by_text(
        "Refused: the review queue is for reviewers; bob is signed in as analyst."
    ).wait_for()
    assert page.get_by_role("button", name="Approve").count() == 0
    _shot(page, "refused")
