import json

import pytest
from typer.testing import CliRunner

from baton.cli.bench import bench_app
from baton.verifiers.scoring import balanced_accuracy, macro_f1

SOURCE = "The Evergreen Point Floating Bridge opened in 1963. It is 2,350 metres long and carries State Route 520."
ROWS = [
    ("The Evergreen Point Floating Bridge opened in 1963.", "supported", "a"),
    ("The floating bridge is 2,350 metres long.", "supported", "a"),
    ("Penguins live at the south pole.", "unsupported", "a"),
    ("The Evergreen Point Floating Bridge opened in 1971.", "contradicted", "b"),
    ("The bridge carries State Route 520.", "supported", "b"),
    ("Volcanoes erupt molten rock.", "unsupported", "b"),
]


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.jsonl"
    p.write_text(
        "".join(
            json.dumps({"claim": c, "source": SOURCE, "label": lab, "dataset": d}) + "\n"
            for c, lab, d in ROWS
        )
    )
    return p


def test_metrics_on_known_answers():
    assert balanced_accuracy(["supported", "unsupported"], ["supported", "supported"]) == 0.5
    assert (
        balanced_accuracy(
            ["supported", "contradicted", "unsupported"],
            ["supported", "unsupported", "contradicted"],
        )
        == 1.0
    )
    assert macro_f1(
        ["supported", "unsupported", "contradicted"], ["supported", "unsupported", "unsupported"]
    ) == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_bench_verifier_json(tiny):
    res = CliRunner().invoke(bench_app, ["verifier", str(tiny), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {
        "datasets",
        "mean_balanced_accuracy",
        "claims_per_second",
        "cpu_claims_per_second",
        "latency_ms",
        "ablation",
    }
    assert out["datasets"]["a"] == {"n": 3, "balanced_accuracy": 1.0, "macro_f1_3way": None}
    assert out["datasets"]["b"]["n"] == 3 and out["datasets"]["b"]["balanced_accuracy"] == 1.0
    assert out["datasets"]["b"]["macro_f1_3way"] == 1.0
    assert out["mean_balanced_accuracy"] == 1.0
    assert out["claims_per_second"] > 0 and set(out["latency_ms"]) == {"p50", "p95"}
    assert set(out["ablation"]) == {
        "lexical",
        "phrases",
        "numbers",
        "entities",
        "negation",
        "hedging",
    }
    assert out["ablation"]["lexical"]["mean_balanced_accuracy"] <= 1.0


def test_bench_verifier_table_and_checks(tiny):
    res = CliRunner().invoke(bench_app, ["verifier", str(tiny), "--checks", "lexical,numbers"])
    assert res.exit_code == 0, res.output
    assert "mean balanced accuracy" in res.output and "claims/s" in res.output
    assert "numbers" in res.output and "hedging" not in res.output


def test_bench_verifier_nli_model_adds_the_nli_check(tiny, monkeypatch, tmp_path):
    from baton.verifiers import nli

    res = CliRunner().invoke(bench_app, ["verifier", str(tiny), "--nli-model", str(tmp_path / "x")])
    assert res.exit_code != 0 and "not a directory" in str(res.exception)

    class Fake(nli.NLIModel):
        def probabilities(self, premise, hypothesis):
            return (0.9, 0.0) if "1963" in premise and "1963" in hypothesis else (0.1, 0.0)

    monkeypatch.setattr(nli, "load_nli", lambda path: Fake(None, None, 0, None))
    args = ["verifier", str(tiny), "--checks", "lexical", "--nli-model", "m", "--json"]
    res = CliRunner().invoke(bench_app, args)
    assert res.exit_code == 0, res.output
    assert set(json.loads(res.output)["ablation"]) == {"lexical", "nli"}


def test_bench_verifier_bad_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"claim": "x", "source": "y", "label": "maybe"}\n')
    res = CliRunner().invoke(bench_app, ["verifier", str(p)])
    assert res.exit_code != 0 and "label" in str(res.exception)


def test_bench_tasks_runs_the_graph(tmp_path):
    task = {
        "id": "t1",
        "kind": "check",
        "question": "Tell me about the Evergreen Point Floating Bridge.",
        "draft": "The Evergreen Point Floating Bridge opened in 1963. Penguins from Antarctica built the floating bridge.",
        "sources": [{"id": "e1", "title": "bridge", "text": SOURCE, "uri": None}],
        "gold": {
            "claims": [
                {
                    "text": "The Evergreen Point Floating Bridge opened in 1963.",
                    "label": "supported",
                },
                {
                    "text": "Penguins from Antarctica built the floating bridge.",
                    "label": "unsupported",
                },
            ],
            "response_label": "hallucinated",
        },
    }
    answer = {**task, "id": "t2", "kind": "answer", "draft": None, "gold": None}
    p = tmp_path / "tasks.jsonl"
    p.write_text(json.dumps(task) + "\n" + json.dumps(answer) + "\n")
    res = CliRunner().invoke(bench_app, ["tasks", str(p), "--db", str(tmp_path / "b.db"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"tasks", "claim_level", "response_level", "status_counts"}
    assert out["tasks"] == 1 and sum(out["status_counts"].values()) == 1
    assert out["claim_level"]["n"] == 2 and out["claim_level"]["matched"] == 2
    assert out["claim_level"]["balanced_accuracy"] == 1.0
    assert out["response_level"]["recall"] == 1.0
    assert (tmp_path / "b.db").exists()
