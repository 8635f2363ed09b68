"""``RunSummary`` and ``verdict_counts``: one computation of a run's counts for the worker's
``runs`` row, the CLI and the browser app."""

from __future__ import annotations

from baton.contracts import Verdict
from baton.summary import LABELS, RunSummary, verdict_counts
from baton.worker import run_tasks


def test_verdict_counts_has_every_label_even_with_none():
    assert verdict_counts([]) == {"supported": 0, "unsupported": 0, "contradicted": 0}
    assert LABELS == ("supported", "unsupported", "contradicted")
    verdicts = [
        Verdict(claim_id="c1", label="supported", confidence=0.9),
        {"claim_id": "c2", "label": "contradicted", "confidence": 0.8},  # as a checkpoint gives it
        Verdict(claim_id="c3", label="supported", confidence=0.7),
    ]
    assert verdict_counts(verdicts) == {"supported": 2, "unsupported": 0, "contradicted": 1}


def test_a_summary_of_graph_values_and_its_runs_columns():
    values = {
        "account": {"hops": 3, "max_hops": 8},
        "claims": [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}],
        "verdicts": [
            {"claim_id": "c1", "label": "supported", "confidence": 0.9},
            {"claim_id": "c2", "label": "unsupported", "confidence": 0.5},
        ],
    }
    summary = RunSummary.from_values(values, current_node="verify")
    assert summary == RunSummary(
        hops=3, max_hops=8, current_node="verify", claims=3, supported=1, unsupported=1
    )
    assert summary.progress() == {
        "hops": 3,
        "max_hops": 8,
        "current_node": "verify",
        "claims": 3,
        "supported": 1,
        "unsupported": 1,
        "contradicted": 0,
    }
    assert summary.counts_text() == "claims 3: 1 supported, 1 unsupported, 0 contradicted"
    assert RunSummary.from_values({}) == RunSummary()


def test_the_runs_row_the_worker_writes_is_the_summary_of_the_final_state(store, example_tasks):
    task = next(t for t in example_tasks if t.id == "fcgpt-r57-answer")
    (run_id,) = run_tasks(store, [task])
    row = store.run(run_id)
    report = row["report"]
    expected = RunSummary(
        status=row["status"],
        reason="completed",
        hops=row["hops"],
        max_hops=row["max_hops"],
        claims=len(report["claims"]),
        **verdict_counts(report["verdicts"]),
    )
    assert row["status"] == "finished"
    assert RunSummary.from_row(row) == expected
