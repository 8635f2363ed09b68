"""The ``baton`` command: outputs, exit codes, and decisions given from a second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baton.checkpoints import Store
from baton.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RUN_KEYS = [
    "run_id",
    "task_id",
    "status",
    "reason",
    "hops",
    "claims",
    "supported",
    "unsupported",
    "contradicted",
]


def cli(capsys, *args) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def baton_process(*args, db) -> subprocess.CompletedProcess:
    """``python -m baton`` in another process, on the same database file."""
    env = {**os.environ, "BATON_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "baton", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_run_json_prints_one_line_per_task_with_the_public_keys(capsys, db_path):
    rc, out, _ = cli(capsys, "run", EXAMPLES / "check-task.json", "--db", db_path, "--json")
    assert rc == 0
    (row,) = lines(out)
    assert list(row) == RUN_KEYS
    assert row["task_id"] == "fcgpt-r18-check"
    assert row["status"] in ("finished", "waiting_review") and row["claims"] >= 1
    assert row["claims"] == row["supported"] + row["unsupported"] + row["contradicted"]


def test_run_without_json_ends_with_a_summary_table(capsys, db_path):
    rc, out, _ = cli(capsys, "run", EXAMPLES / "check-task.json", "--db", db_path)
    assert rc == 0
    header, rule, body = out.splitlines()[:3]
    assert header.split() == RUN_KEYS and set(rule.replace(" ", "")) == {"-"}
    assert "fcgpt-r18-check" in body


def test_submit_only_enqueues_and_a_worker_runs_it(capsys, db_path):
    rc, out, _ = cli(capsys, "submit", EXAMPLES / "check-task.json", "--db", db_path, "--json")
    assert rc == 0
    (row,) = lines(out)
    assert (row["status"], row["hops"], row["claims"]) == ("queued", 0, 0)
    assert cli(capsys, "worker", "--db", db_path, "--once")[0] == 0
    rc, out, _ = cli(capsys, "runs", "--db", db_path, "--json")
    (row2,) = lines(out)
    assert row2["run_id"] == row["run_id"] and row2["status"] in ("finished", "waiting_review")


def test_hop_limit_then_extend_from_a_second_process(capsys, db_path):
    rc, out, _ = cli(
        capsys, "run", EXAMPLES / "tasks.jsonl", "--db", db_path, "--max-hops", "2", "--json"
    )
    assert rc == 0
    rows = lines(out)
    assert len(rows) == 7
    assert {(r["status"], r["reason"], r["hops"]) for r in rows} == {
        ("waiting_review", "hop_limit", 2)
    }

    rc, out, _ = cli(capsys, "queue", "--db", db_path, "--json")
    items = lines(out)
    assert [list(i) for i in items] == [["item_id", "run_id", "reason", "hop", "created_at"]] * 7
    assert [i["run_id"] for i in items] == [r["run_id"] for r in rows]  # oldest first

    item = items[0]
    proc = baton_process(
        "decide", item["item_id"], "--extend", "10", "--reviewer", "ann", "--json", db=db_path
    )
    assert proc.returncode == 0, proc.stderr
    decided = json.loads(proc.stdout)
    assert (decided["item_id"], decided["run_id"], decided["action"], decided["reviewer"]) == (
        item["item_id"],
        item["run_id"],
        "extend",
        "ann",
    )

    proc = baton_process("worker", "--once", db=db_path)
    assert proc.returncode == 0, proc.stderr
    rc, out, _ = cli(capsys, "show", item["run_id"], "--db", db_path, "--json")
    shown = json.loads(out)
    assert shown["status"] in ("finished", "waiting_review") and shown["hops"] > 2
    assert (
        shown["decisions"][0]["action"] == "extend" and shown["decisions"][0]["reviewer"] == "ann"
    )
    assert shown["review_items"][0]["status"] == "applied"

    # a second decision on the same item: exit 3, naming who decided and when
    proc = baton_process("decide", item["item_id"], "--approve", "--reviewer", "bob", db=db_path)
    assert proc.returncode == 3
    assert f"already decided (extend) by ann at {decided['decided_at']}" in proc.stderr


@pytest.mark.parametrize(
    ("action", "expected_status"),
    [
        (["--approve"], "finished"),
        (["--reject", "--note", "off topic"], "rejected"),
        (["--extend", "1"], "waiting_review"),
    ],
)
def test_each_decision_path_from_a_second_process(capsys, db_path, action, expected_status):
    cli(capsys, "run", EXAMPLES / "check-task.json", "--db", db_path, "--max-hops", "1", "--json")
    (item,) = lines(cli(capsys, "queue", "--db", db_path, "--json")[1])
    proc = baton_process("decide", item["item_id"], *action, "--reviewer", "cy", db=db_path)
    assert proc.returncode == 0, proc.stderr
    assert baton_process("worker", "--once", db=db_path).returncode == 0
    (row,) = lines(cli(capsys, "runs", "--db", db_path, "--json")[1])
    assert row["status"] == expected_status
    if expected_status == "waiting_review":  # one more hop granted and spent: the ceiling again
        assert row["reason"] == "hop_limit" and row["hops"] == 2


def test_a_send_back_at_the_hop_limit_is_refused(capsys, db_path):
    cli(capsys, "run", EXAMPLES / "check-task.json", "--db", db_path, "--max-hops", "1", "--json")
    (item,) = lines(cli(capsys, "queue", "--db", db_path, "--json")[1])
    proc = baton_process(
        "decide", item["item_id"], "--send-back", "research", "--reviewer", "cy", db=db_path
    )
    assert proc.returncode == 2
    assert "send_back does not apply to a hop_limit review (allowed: extend, approve, reject)" in (
        proc.stderr
    )


def test_edit_from_a_file(capsys, db_path, tmp_path):
    cli(capsys, "run", EXAMPLES / "check-task.json", "--db", db_path, "--max-hops", "3", "--json")
    (item,) = lines(cli(capsys, "queue", "--db", db_path, "--json")[1])
    edits = tmp_path / "edits.json"
    edits.write_text(
        json.dumps(
            {
                "claims": [{"claim_id": "c1", "text": "Russia sent beans to space."}],
                "instructions": "be careful",
            }
        )
    )
    rc, _, err = cli(
        capsys, "decide", item["item_id"], "--edit", edits, "--reviewer", "cy", "--db", db_path
    )
    assert rc == 0, err
    Store(db_path).close()
    assert cli(capsys, "worker", "--db", db_path, "--once")[0] == 0
    shown = json.loads(cli(capsys, "show", item["run_id"], "--db", db_path, "--json")[1])
    claims = (shown["report"] or {}).get("claims") or []
    if shown["status"] == "finished":
        assert (
            claims[0]["text"] == "Russia sent beans to space." and claims[0]["author"] == "reviewer"
        )
    assert shown["decisions"][0]["edits"]["instructions"] == "be careful"


def test_decide_needs_exactly_one_action(capsys, db_path):
    rc, _, err = cli(
        capsys,
        "decide",
        "x",
        "--approve",
        "--reject",
        "--note",
        "n",
        "--reviewer",
        "a",
        "--db",
        db_path,
    )
    assert rc == 2 and "exactly one of" in err
    rc, _, err = cli(capsys, "decide", "x", "--reject", "--reviewer", "a", "--db", db_path)
    assert rc == 2 and "a rejection needs a reason" in err
    rc, _, err = cli(capsys, "decide", "nope", "--approve", "--reviewer", "a", "--db", db_path)
    assert rc == 2 and "no review item 'nope'" in err


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


GOOD = {
    "id": "ok",
    "kind": "answer",
    "question": "What?",
    "sources": [{"id": "s1", "text": "Text."}],
}


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ({**GOOD, "question": "  "}, "line 2, field question: question is empty"),
        ({**GOOD, "sources": []}, "line 2, field sources: List should have at least 1 item"),
        (
            {**GOOD, "sources": [{"id": "s1", "text": ""}]},
            "line 2, field sources.0.text: source text is empty",
        ),
        (
            {**GOOD, "sources": [{"id": "s1", "text": "a"}, {"id": "s1", "text": "b"}]},
            "line 2, field sources: sources[1].id 's1' is a duplicate source id",
        ),
        ({**GOOD, "kind": "summarise"}, "line 2, field kind: Input should be 'answer' or 'check'"),
        ({**GOOD, "kind": "check"}, "line 2, field draft: draft is required"),
        ('{"id": "broken", ', "line 2: invalid JSON"),
    ],
)
@pytest.mark.parametrize("command", ["run", "submit"])
def test_bad_input_exits_2_naming_field_and_line_and_writes_nothing(
    capsys, db_path, tmp_path, bad_line, message, command
):
    path = _write_jsonl(tmp_path / "tasks.jsonl", [GOOD, bad_line])
    rc, out, err = cli(capsys, command, path, "--db", db_path)
    assert rc == 2
    assert message in err
    assert out == ""
    assert Store(db_path).runs() == []


def test_a_file_that_is_not_utf8_exits_2(capsys, db_path, tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"question": "caf\xe9"}\n')
    rc, _, err = cli(capsys, "run", path, "--db", db_path)
    assert rc == 2 and "is not UTF-8 text" in err and "line 2" in err


def test_show_json_carries_report_claims_verdicts_and_evidence(capsys, db_path):
    (row,) = lines(cli(capsys, "run", EXAMPLES / "check-task.json", "--db", db_path, "--json")[1])
    rc, out, _ = cli(capsys, "show", row["run_id"], "--db", db_path, "--json")
    shown = json.loads(out)
    assert rc == 0 and shown["run_id"] == row["run_id"]
    if shown["report"]:
        claim_ids = [c["id"] for c in shown["report"]["claims"]]
        assert [v["claim_id"] for v in shown["report"]["verdicts"]] == claim_ids
    rc, text, _ = cli(capsys, "show", row["run_id"], "--db", db_path)
    assert f"run {row['run_id']}" in text and "question: How many beans" in text


def test_graph_prints_the_mermaid_drawing_of_the_table(capsys):
    rc, out, _ = cli(capsys, "graph", "--format", "mermaid")
    assert rc == 0
    assert out == (ROOT / "tests" / "graph" / "snapshots" / "default_graph.mmd").read_text()
    rc, _, err = cli(capsys, "graph", "--format", "png")
    assert rc == 2 and "unknown format 'png'" in err


def test_db_defaults_to_baton_db_env(capsys, db_path, monkeypatch):
    monkeypatch.setenv("BATON_DB", str(db_path))
    rc, _, _ = cli(capsys, "submit", EXAMPLES / "check-task.json")
    assert rc == 0 and len(Store(db_path).runs()) == 1


def test_show_gives_a_paused_run_its_claims_verdicts_and_why(capsys, store, example_tasks):
    from baton.worker import run_tasks

    task = next(t for t in example_tasks if t.id == "fcgpt-r17-check")
    (run_id,) = run_tasks(store, [task])
    (item,) = store.items(run_id)
    request = item["request"]
    assert (store.run(run_id)["status"], request["reason"]) == ("waiting_review", "contradicted")

    rc, out, _ = cli(capsys, "show", run_id, "--db", store.url, "--json")
    pending = json.loads(out)["pending_review"]
    assert rc == 0 and pending == {
        k: request[k]
        for k in ("reason", "bound", "hop", "max_hops", "claims", "verdicts", "failures")
    }

    rc, out, _ = cli(capsys, "show", run_id, "--db", store.url)
    assert rc == 0
    assert f"paused for review: contradicted at hop {request['hop']} of 8\n" in out
    for v in request["verdicts"]:
        text = next(c["text"] for c in request["claims"] if c["id"] == v["claim_id"])
        assert f"  {v['claim_id']} [{v['label']} {v['confidence']:.2f}] {text}\n" in out
        ev = v["evidence"][0]
        assert f"      evidence {ev['source_id']}[{ev['start']}:{ev['end']}]: " in out
    assert "[contradicted " in out


def test_show_names_the_checks_that_dissent_from_a_verdict(capsys):
    from baton.cli.runs import _show_claims
    from baton.contracts import Verdict

    claims = [{"id": "c1", "text": "Renewed for five years."}, {"id": "c2", "text": "Other."}]
    verdicts = [
        Verdict(claim_id="c1", label="supported", confidence=0.9, dissent=["negation"]),
        Verdict(claim_id="c2", label="supported", confidence=0.8),
    ]
    _show_claims(claims, [v.model_dump(mode="json") for v in verdicts])
    assert capsys.readouterr().out == (
        "\nclaims:\n"
        "  c1 [supported 0.90] Renewed for five years.\n"
        "      checks that disagree with supported: negation\n"
        "  c2 [supported 0.80] Other.\n"
    )
