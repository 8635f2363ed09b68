"""All 128 real tasks of ../shared/data/tasks-dev.jsonl (Factcheck-GPT ChatGPT answers and
their evidence passages) through ``baton run --json``: every task ends finished or
waiting_review with a reason and at least one claim; none fails from a crash."""

from __future__ import annotations

import json
from collections import Counter

from baton.checkpoints import Store
from baton.cli import main


def test_every_real_task_ends_finished_or_waiting_review(capsys, db_path, dev_tasks_path):
    rc = main(["run", str(dev_tasks_path), "--db", str(db_path), "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 128
    assert Counter(r["task_id"].rsplit("-", 1)[1] for r in rows) == {"check": 64, "answer": 64}
    bad = [
        r
        for r in rows
        if r["status"] not in ("finished", "waiting_review") or not r["reason"] or r["claims"] < 1
    ]
    assert bad == []
    store = Store(db_path)
    # every paused run has exactly one pending review item with the same reason
    waiting = {r["run_id"]: r["reason"] for r in rows if r["status"] == "waiting_review"}
    assert {i["run_id"]: i["reason"] for i in store.queue()} == waiting
    # every finished run has a report whose verdicts cover its claims
    for r in rows:
        if r["status"] == "finished":
            report = store.run(r["run_id"])["report"]
            assert [v["claim_id"] for v in report["verdicts"]] == [
                c["id"] for c in report["claims"]
            ]
            assert report["answer"].strip()
