"""Submit, runs and run detail in the real app script (AppTest), and text safety."""

from __future__ import annotations

import pytest
from uitest_users import ANN, BOB, plain

from baton.checkpoints import open_store
from baton.worker import Worker

SOURCE = (
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. "
    "It is 330 metres tall and was the tallest man-made structure until 1930."
)
HOSTILE = "<script>alert('x')</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) **bold** $x^2$ :red[red]"


def _markdown(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _fill_submit(
    at, *, question="When was the Eiffel Tower completed?", kind="answer", pasted=SOURCE, draft=""
):
    if kind != "answer":  # the draft box shows for check tasks only
        at.radio(key="f_kind").set_value(kind).run()
    at.text_area(key="f_question").input(question)
    if draft:
        at.text_area(key="f_draft").input(draft)
    at.text_area(key="f_pasted").input(pasted)
    return at


def _submit(at):
    return at.button(key="FormSubmitter:submit_task-Submit").click().run()


def test_submit_shows_the_policy_defaults(make_app):
    at = make_app(BOB, page="submit")
    assert not at.exception
    assert at.title[0].value == "Submit a task"
    values = {
        k: at.number_input(key=k).value
        for k in ("p_max_hops", "p_retry_budget", "p_retries_agent", "p_tokens")
    }
    assert values == {
        "p_max_hops": 8,
        "p_retry_budget": 6,
        "p_retries_agent": 2,
        "p_tokens": 100_000,
    }


def test_analyst_submits_an_answer_task_and_a_worker_runs_it(make_app, ui_db):
    at = _fill_submit(make_app(BOB, page="submit"))
    at.number_input(key="p_max_hops").set_value(6)
    at.number_input(key="f_max_words").set_value(120)
    at.text_area(key="f_notes").input("cite every claim\nno speculation")
    _submit(at)
    assert not at.exception, at.exception
    assert not at.error, [plain(e.value) for e in at.error]
    store = open_store(ui_db.path)
    newest = store.runs()[-1]
    assert plain(at.success[0].value) == f"Queued run {newest['id']}; a worker picks it up."
    assert newest["status"] == "queued" and newest["max_hops"] == 6
    task = newest["task"]
    assert task["question"] == "When was the Eiffel Tower completed?"
    assert [s["text"] for s in task["sources"]] == [SOURCE]
    assert task["constraints"] == {
        "max_claims": None,
        "max_words": 120,
        "require_citations": True,
        "notes": ["cite every claim", "no speculation"],
    }
    assert task["policy"]["max_hops"] == 6
    Worker(store).drain()
    assert store.run(newest["id"])["status"] == "finished"
    store.close()
    at.button(key="open_submitted").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == f"Run {newest['id']}"


def test_check_task_without_a_draft_is_refused_with_the_field(make_app, ui_db):
    at = _submit(_fill_submit(make_app(BOB, page="submit"), kind="check"))
    assert [plain(e.value) for e in at.error] == [
        "Not submitted: field draft: draft is required (and must not be empty) for a check task"
    ]
    store = open_store(ui_db.path)
    assert len(store.runs()) == 2  # only the fixture's runs
    store.close()


def test_no_source_is_refused(make_app):
    at = _submit(_fill_submit(make_app(BOB, page="submit"), pasted=""))
    assert [plain(e.value) for e in at.error] == [
        "Not submitted: field sources: add at least one source: paste its text or upload a file"
    ]


def test_uploaded_html_and_markdown_become_sources(make_app, ui_db):
    at = _fill_submit(make_app(BOB, page="submit"), pasted="")
    html = b"<html><head><title>Tower</title><script>var x=1;</script></head><body><p>The tower opened in 1889.</p><p>It is 330 m tall.</p></body></html>"
    at.file_uploader(key="f_files").set_value(
        [
            ("tower.html", html, "text/html"),
            ("notes.md", b"# Notes\n\nBuilt by Eiffel's company.", "text/markdown"),
        ]
    )
    _submit(at)
    assert not at.error, [plain(e.value) for e in at.error]
    store = open_store(ui_db.path)
    sources = store.runs()[-1]["task"]["sources"]
    store.close()
    assert [(s["id"], s["title"], s["text"], s["uri"]) for s in sources] == [
        ("s1", "Tower", "The tower opened in 1889.\n\nIt is 330 m tall.", "tower.html"),
        ("s2", "notes", "# Notes\n\nBuilt by Eiffel's company.", "notes.md"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "scan.txt",
            b"\x00\x01\x02\x03binary\x00\x00\x00\x04\x05",
            "scan.txt looks like binary data, not text",
        ),
        (
            "latin.txt",
            "caf\u00e9 cr\u00e8me".encode("latin-1"),
            "latin.txt is not UTF-8 text (byte 3 cannot be decoded); save it as UTF-8 and upload it again",
        ),
        ("empty.md", b"   \n", "empty.md has no text"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_clear_message(make_app, ui_db, name, data, message):
    at = _fill_submit(make_app(BOB, page="submit"), pasted="")
    at.file_uploader(key="f_files").set_value([(name, data, "text/plain")])
    _submit(at)
    assert [plain(e.value) for e in at.error] == [f"Not submitted: field sources: {message}"]


def test_runs_page_lists_runs_with_hops_and_filters_by_status(make_app, ui_db):
    store = open_store(ui_db.path)
    store.decide(
        ui_db.item_ids[0],
        __import__("baton.contracts", fromlist=["Decision"]).Decision(
            action="approve", reviewer=ANN
        ),
    )
    Worker(store).drain()
    store.close()
    at = make_app(BOB, page="runs")
    assert not at.exception
    assert at.title[0].value == "My runs"  # an analyst: the runs bob submitted
    opens = [b.key for b in at.button if b.key.startswith("run_open_")]
    assert opens == [f"run_open_{ui_db.run_ids[1]}", f"run_open_{ui_db.run_ids[0]}"]  # newest first
    bars = [(p.proto.value, p.proto.text) for p in at.get("progress")]
    assert bars == [(100, "hop 2 of 2"), (100, "done in 2 hop(s)")]  # complete once finished
    text = _markdown(at)
    assert text.count(">waiting review</span>") == 1 and text.count(">finished</span>") == 1
    assert text.count(">bob</div>") == 2  # the submitter column
    at.multiselect(key="runs_status_filter").set_value(["waiting_review"]).run()
    assert [b.key for b in at.button if b.key.startswith("run_open_")] == [
        f"run_open_{ui_db.run_ids[1]}"
    ]
    at.button(key=f"run_open_{ui_db.run_ids[1]}").click().run()
    assert at.title[0].value == f"Run {ui_db.run_ids[1]}"


def test_run_detail_shows_timeline_claims_report_and_checkpoints(make_app, ui_db):
    store = open_store(ui_db.path)
    from baton.contracts import Decision

    store.decide(ui_db.item_ids[0], Decision(action="approve", reviewer=ANN))
    Worker(store).drain()
    run = store.run(ui_db.run_ids[0])
    events = store.events(ui_db.run_ids[0])
    store.close()
    at = make_app(BOB, run=ui_db.run_ids[0])
    assert not at.exception
    assert at.title[0].value == f"Run {ui_db.run_ids[0]}"
    timeline = next(d.value for d in at.dataframe if "summary" in d.value.columns)
    assert list(timeline["summary"]) == [e["summary"] for e in events]
    assert "approve by ann" in " ".join(timeline["summary"])
    text = _markdown(at)
    report = run["report"]
    for claim in report["claims"]:
        assert claim["id"] in text
    assert "<mark" in text  # evidence highlighted in its source
    checkpoints = next(d.value for d in at.dataframe if "checkpoint_id" in d.value.columns)
    assert len(checkpoints) > 5 and list(checkpoints.columns)[:3] == [
        "checkpoint_id",
        "step",
        "source",
    ]


def test_unknown_run_and_item_say_so(make_app):
    at = make_app(ANN, run="nope")
    assert [plain(e.value) for e in at.error] == ["No run 'nope' in this database."]
    at = make_app(ANN, item="nope")
    assert [plain(e.value) for e in at.error] == ["No review item 'nope' in this database."]


def test_source_and_model_text_is_shown_as_text_never_as_html(make_app, ui_db):
    from baton.contracts import Task

    store = open_store(ui_db.path)
    run_id = store.submit(
        Task(
            kind="check",
            question=HOSTILE,
            draft=HOSTILE + " The tower is 330 metres tall.",
            sources=[{"id": "x<b>", "title": HOSTILE, "text": HOSTILE + "\n\n" + SOURCE}],
        )
    )
    store.close()
    at = make_app(ANN, run=run_id)  # a reviewer sees every run
    assert not at.exception
    rendered = _markdown(
        at
    )  # markdown bodies (HTML allowed): every special character is a reference
    assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "&#60;script&#62;alert&#40;&#39;x&#39;&#41;&#60;&#47;script&#62;" in rendered
    assert "javascript:" not in rendered and "**bold**" not in rendered and "$x^2$" not in rendered
    # escaped text only ever sits inside a <div> HTML block, where markdown is not applied
    assert all(m.value.startswith("<div") for m in at.markdown if "&#" in m.value)
    # labels (markdown, no HTML): every special character is backslash-escaped
    label = next(e.label for e in at.expander if "alert" in e.label)
    assert label.startswith("x\\<b\\>\\: \\<script\\>alert\\(")
    assert "\\*\\*bold\\*\\*" in label and "\\$x^2\\$" in label


def test_a_hostile_deep_link_is_shown_as_text(make_app):
    at = make_app(ANN, run="[x](javascript:alert(1))")
    assert (
        at.error[0].value == "No run '\\[x\\]\\(javascript\\:alert\\(1\\)\\)' in this database\\."
    )
