"""Bad input at the door: a 10 MB source, binary data, control characters, very long lines
are refused with a message naming the field (and line), or handled and reported; and a
property test: no task payload makes the worker crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.checkpoints import Store
from baton.cli import main
from baton.errors import TaskInputError
from baton.taskfile import load_tasks, parse_task
from baton.worker import Worker

READABLE = "The Moon orbits the Earth once every 27 days. The Moon is rocky and dry."


def payload(**over):
    base = {
        "kind": "answer",
        "question": "What does the Moon orbit?",
        "sources": [{"id": "s1", "text": READABLE}],
    }
    base.update(over)
    return base


def test_a_10_mb_source_is_refused_naming_the_field_and_line(tmp_path, capsys):
    path = tmp_path / "big.jsonl"
    big = payload(
        sources=[{"id": "s1", "text": READABLE}, {"id": "huge", "text": "word " * 2_000_000}]
    )
    path.write_text(json.dumps(payload()) + "\n" + json.dumps(big) + "\n", encoding="utf-8")
    with pytest.raises(TaskInputError) as err:
        load_tasks(path)
    assert (err.value.line, err.value.field) == (2, "sources.1.text")
    assert "10,000,000 characters; the limit is 1,000,000" in str(err.value)
    db = tmp_path / "x.db"
    assert main(["run", str(path), "--db", str(db)]) == 2
    assert "line 2, field sources.1.text" in capsys.readouterr().err
    assert not db.exists() or Store(db).runs() == [], "nothing is written when a task is refused"


def test_a_task_whose_sources_are_all_binary_is_refused():
    binary = (
        "".join(chr(i) for i in range(40)) * 50
    )  # what binary bytes become in JSON (\u0000 ...)
    with pytest.raises(
        TaskInputError, match="no readable source: every source looks like binary data"
    ):
        parse_task(
            payload(
                sources=[{"id": "b1", "text": binary}, {"id": "b2", "text": "\x00\x01\x02A" * 100}]
            )
        )


def test_one_binary_source_among_readable_ones_runs_and_the_report_says_so(store):
    binary = "\x00\x01\x02\x03\x04\x05" * 200 + "PK"
    task = parse_task(
        payload(sources=[{"id": "s1", "text": READABLE}, {"id": "blob", "text": binary}])
    )
    run_id = store.submit(task)
    Worker(store).drain()
    run = store.run(run_id)
    assert run["status"] in ("finished", "waiting_review")
    report = run["report"]
    if report is not None:
        assert (
            "source blob looks like binary data and was not used as evidence" in report["caveats"]
        )
        assert all(ev["source_id"] != "blob" for c in report["claims"] for ev in c["citations"])


def test_control_characters_are_replaced_keeping_offsets():
    text = "The Moon\x00 orbits\x07 the Earth.\x1b Tides follow it."
    task = parse_task(payload(sources=[{"id": "s1", "text": text}]))
    clean = task.sources[0].text
    assert len(clean) == len(text) and clean.count("\ufffd") == 3
    assert clean.index("orbits") == text.index("orbits")


def test_very_long_lines_run(store):
    line = " ".join(
        f"The Moon has crater number {i} on its far side." for i in range(1500)
    )  # one ~75 kB line, no newline
    task = parse_task(
        payload(question="Which craters does the Moon have?", sources=[{"id": "s1", "text": line}])
    )
    run_id = store.submit(task)
    Worker(store).drain()
    assert store.run(run_id)["status"] in ("finished", "waiting_review")


def test_non_utf8_and_broken_json_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(json.dumps(payload()).encode() + b"\n\xff\xfe{}\n")
    with pytest.raises(TaskInputError, match="not UTF-8") as err:
        load_tasks(bad)
    assert err.value.line == 2
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(payload()) + '\n{"kind": \n', encoding="utf-8")
    with pytest.raises(TaskInputError, match="invalid JSON") as err:
        load_tasks(broken)
    assert err.value.line == 2


# -- property: no payload makes the worker crash -------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | _text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(_text, c, max_size=3),
    max_leaves=6,
)
_hostile = st.builds(
    lambda a, b: a + READABLE + b, _text, _text
)  # readable text wrapped in anything
_source = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=20), "text": st.one_of(_hostile, _hostile, _text, _junk)},
    optional={"title": _text, "uri": st.one_of(st.none(), _text)},
)
_taskish = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["answer", "check"]),
        "question": st.one_of(st.just("What does the Moon orbit?"), _text),
        "draft": st.one_of(
            st.builds(lambda a: "The Moon orbits the Earth. " + a, _text), st.none()
        ),
        "sources": st.lists(_source, min_size=1, max_size=3),
    },
    optional={
        "constraints": st.fixed_dictionaries(
            {},
            optional={
                "max_claims": st.integers(-1, 5),
                "max_words": st.integers(-1, 50),
                "notes": st.lists(_text, max_size=2),
            },
        ),
        "policy": st.fixed_dictionaries(
            {},
            optional={
                "max_hops": st.integers(0, 5),
                "retry_budget": st.integers(-1, 4),
                "max_retries_per_agent": st.integers(0, 3),
            },
        ),
    },
)
_payloads = st.one_of(
    _junk, _taskish, _taskish, _taskish
)  # mostly task-shaped, so many reach the worker


def _refusal(data) -> tuple[str | None, str]:
    """``(field, message)`` that ``parse_task`` must raise for ``data``, worked out without
    it: a non-object is refused as such; an object by the first error pydantic reports."""
    from pydantic import ValidationError

    from baton.contracts import Task

    if not isinstance(data, dict):
        return None, f"expected a JSON object, got {type(data).__name__}"
    try:
        Task.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        message = err["msg"].removeprefix("Value error, ")
        return field, f"field {field}: {message}" if field else message
    raise AssertionError(f"parse_task refused a payload that validates: {data!r}")


def test_no_payload_makes_the_worker_crash(tmp_path_factory):
    """Every generated payload is either refused at the door with the exact field and message
    pydantic reports, or runs to a stop without a worker error; and at least 5 of them ran
    (a property test that only ever generated refused payloads would prove nothing)."""
    ran: list[str] = []

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=_payloads)
    def check(data):
        try:
            task = parse_task(data)
        except TaskInputError as exc:
            assert (exc.field, str(exc)) == _refusal(data)
            return
        ran.append(task.kind)
        store = Store(tmp_path_factory.mktemp("prop") / "p.db")
        try:
            run_id = store.submit(task)
            Worker(store).drain()
            run = store.run(run_id)
            assert run["status"] in ("finished", "waiting_review", "rejected"), (
                run["status"],
                run["error"],
            )
            assert run["error"] is None
        finally:
            store.close()

    check()
    assert len(ran) >= 5, ran
