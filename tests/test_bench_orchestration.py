"""``bench/orchestration.py`` keeps printing what issue #6 asks for (its figures are measured by
running it, not here: no timing assertions)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "orchestration.py"


def _bench():
    spec = importlib.util.spec_from_file_location("orchestration_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # LangGraph resolves the state's annotations through it
    spec.loader.exec_module(module)
    return module


def test_the_orchestration_bench_prints_its_json_shape(capsys):
    assert _bench().main(["--json", "--hops", "8", "--reps", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {
        "overhead_ratio_vs_langgraph",
        "ms_per_hop",
        "checkpoint_bytes_ratio_vs_live_state",
        "checkpoint_bytes_ratio_before_pruning",
        "context_tokens_ratio_vs_full_history",
    }
    assert set(out["ms_per_hop"]) == {"baton", "langgraph"}
    assert set(out["by_durability"]) == {"sync", "async"}
    assert out["by_durability"][out["durability"]]["ratio"] == out["overhead_ratio_vs_langgraph"]
    # pruning keeps the last checkpoint only: far fewer bytes than the whole history
    assert (
        out["checkpoint_bytes_ratio_vs_live_state"] < out["checkpoint_bytes_ratio_before_pruning"]
    )
    # baton's llm engine sends summaries and passages, never the whole history
    assert 0 < out["context_tokens_ratio_vs_full_history"] < 1
