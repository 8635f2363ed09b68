"""``baton trace``, ``baton prune`` and ``baton stats``: exact outputs and exit codes, on each
backend (``--db`` is the URL of the ``store`` fixture)."""

from __future__ import annotations

import json

from baton.cli import main


def cli(capsys, *args) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_trace_jsonl_prints_every_event_with_its_fields(capsys, store, reviewed_run):
    rc, out, _ = cli(capsys, "trace", reviewed_run, "--db", store.url, "--format", "jsonl")
    assert rc == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["step"], r["node"], r["kind"], r["summary"]) for r in rows] == [
        (e["step"], e["node"], e["kind"], e["summary"]) for e in store.events(reviewed_run)
    ]
    assert set(rows[0]) == {
        "run_id",
        "time",
        "step",
        "hop",
        "node",
        "kind",
        "duration_ms",
        "tokens",
        "summary",
        "payload",
    }
    kinds = [r["kind"] for r in rows]
    assert {k: kinds.count(k) for k in sorted(set(kinds))} == {
        "bound": 1,
        "check": 1,
        "decision": 1,
        "handoff": 4,
        "interrupt": 1,
        "node": 12,
        "node_start": 12,
        "status": 4,
    }
    decision = next(r for r in rows if r["kind"] == "decision")
    assert (decision["summary"], decision["payload"]["reviewer"], decision["hop"]) == (
        "extend by ann: go on",
        "ann",
        2,
    )


def test_trace_table_has_one_line_per_event(capsys, store, reviewed_run):
    rc, out, _ = cli(capsys, "trace", reviewed_run, "--db", store.url)
    assert rc == 0
    table = out.splitlines()
    assert table[0].split() == ["time", "step", "hop", "node", "kind", "ms", "tokens", "summary"]
    assert len(table) == 2 + len(store.events(reviewed_run))
    assert any(
        " interrupt " in line and "paused for review: hop_limit (max_hops=2)" in line
        for line in table
    )
    assert any(" bound " in line and "hop_limit: max_hops=2" in line for line in table)


def test_trace_refuses_unknown_runs_and_formats(capsys, store, reviewed_run):
    rc, _, err = cli(capsys, "trace", "nosuchrun", "--db", store.url)
    assert (rc, err.strip()) == (2, "error: no run 'nosuchrun'")
    rc, _, err = cli(capsys, "trace", reviewed_run, "--db", store.url, "--format", "xml")
    assert rc == 2 and "unknown format 'xml'" in err


def test_prune_then_stats(capsys, store, reviewed_run):
    rc, out, _ = cli(capsys, "stats", "--db", store.url, "--json")
    assert rc == 0
    before = {r["table"]: r for r in map(json.loads, out.splitlines())}
    assert before["checkpoints"]["rows"] == 14 and before["runs"]["rows"] == 1

    rc, out, _ = cli(capsys, "prune", "--db", store.url, "--older-than", "1", "--json")
    assert rc == 0 and json.loads(out)["runs_pruned"] == 0

    rc, out, _ = cli(capsys, "prune", "--db", store.url, "--json")
    assert rc == 0
    res = json.loads(out)
    assert {k: res[k] for k in ("runs_pruned", "checkpoints_deleted", "checkpoints_kept")} == {
        "runs_pruned": 1,
        "checkpoints_deleted": 12,
        "checkpoints_kept": 2,
    }
    assert res["checkpoint_bytes_after"] < res["checkpoint_bytes_before"]

    rc, out, _ = cli(capsys, "stats", "--db", store.url, "--json")
    after = {r["table"]: r for r in map(json.loads, out.splitlines())}
    assert after["checkpoints"]["rows"] == 2
    assert after["events"]["rows"] == before["events"]["rows"]
    assert after["(file)"]["bytes"] < before["(file)"]["bytes"]

    rc, out, _ = cli(capsys, "prune", "--db", store.url)
    assert rc == 0 and out.startswith(
        "pruned 0 run(s): deleted 0 checkpoint(s) and 0 write(s), kept 2;"
    )
    rc, out, _ = cli(capsys, "stats", "--db", store.url)
    assert (
        out.splitlines()[0].split() == ["table", "rows", "bytes"]
        and "(file)" in out.splitlines()[-1]
    )
