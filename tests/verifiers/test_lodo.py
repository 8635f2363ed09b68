"""``baton bench verifier --lodo`` on tiny files with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baton.cli.bench import bench_app
from baton.verifiers.entailment import ClaimScore
from baton.verifiers.lodo import (
    FoldModel,
    best_threshold,
    find_fold_models,
    held_out_model,
    overlap,
    sample,
    score_lodo,
)
from baton.verifiers.scoring import Item

SOURCES = {
    "a": "The Evergreen Point Floating Bridge opened in 1963. It carries State Route 520 across Lake Washington.",
    "b": "Marie Curie won the Nobel Prize in Physics in 1903. She was born in Warsaw in 1867.",
    "c": "The Amazon river flows through Brazil, Peru and Colombia. Its basin covers seven million square kilometres.",
}
ROWS = {
    "a": [
        ("The Evergreen Point Floating Bridge opened in 1963.", "supported"),
        ("The bridge carries State Route 520 across Lake Washington.", "supported"),
        ("Penguins nest on the glaciers of Antarctica every winter.", "unsupported"),
        ("Volcanic eruptions produce molten basalt flows.", "unsupported"),
    ],
    "b": [
        ("Marie Curie won the Nobel Prize in Physics in 1903.", "supported"),
        ("Marie Curie was born in Warsaw in 1867.", "supported"),
        ("Honeybees communicate through a waggle dance.", "unsupported"),
        ("The Sahara desert receives little annual rainfall.", "contradicted"),
    ],
    "c": [
        ("The Amazon river flows through Brazil, Peru and Colombia.", "supported"),
        ("The Amazon basin covers seven million square kilometres.", "supported"),
        ("Jupiter has dozens of moons orbiting it.", "unsupported"),
        ("Chess openings are catalogued by codes.", "unsupported"),
    ],
}


def _items() -> list[Item]:
    return [Item(c, SOURCES[d], lab, d) for d, rows in ROWS.items() for c, lab in rows]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.jsonl"
    p.write_text(
        "".join(
            json.dumps(
                {"claim": it.claim, "source": it.source, "label": it.label, "dataset": it.dataset}
            )
            + "\n"
            for it in _items()
        )
    )
    return p


def test_lodo_json_gives_each_held_out_dataset_and_the_mean(tiny):
    res = CliRunner().invoke(bench_app, ["verifier", "--lodo", "--rules-only", str(tiny), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["lodo"] == {"a": 1.0, "b": 1.0, "c": 1.0}
    assert out["lodo_mean"] == 1.0
    assert out["overlap"] == {"a": 1.0, "b": 1.0, "c": 1.0}
    assert out["overlap_mean"] == 1.0
    assert out["missing_model"] == [] and out["entailment_models"] == {}
    assert out["lodo_mean_scored"] == 1.0
    assert set(out["ablation"]) == {
        "lexical",
        "phrases",
        "numbers",
        "entities",
        "negation",
        "hedging",
    }


def test_lodo_table_names_the_baseline(tiny, tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_text(tiny.read_text())
    res = CliRunner().invoke(
        bench_app, ["verifier", "--lodo", "--rules-only", str(tiny), str(other)]
    )
    assert res.exit_code == 0, res.output
    assert "LODO mean balanced accuracy: baton 100.0 %, word overlap 100.0 %" in res.output
    assert "a                         8    100.0      100.0  -" in res.output


def test_limit_samples_per_dataset():
    items = _items()
    assert [it.dataset for it in sample(items, 2)] == ["a", "a", "b", "b", "c", "c"]
    assert sample(items, None) == items


def test_overlap_and_threshold_on_known_scores():
    items = _items()
    assert overlap(items[0]) == 1.0
    assert overlap(items[2]) == 0.0
    scores = [0.9, 0.8, 0.3, 0.2, 0.9, 0.8, 0.3, 0.75, 0.9, 0.9, 0.1, 0.1]
    # 0.76 is the lowest threshold that gets every training dataset right; the held-out
    # figure then comes from data the threshold never saw.
    assert best_threshold(items, scores, range(12)) == 0.76
    assert best_threshold(items, scores, [0, 1, 2, 3, 8, 9, 10, 11]) == 0.5


class _Fake:
    """An entailment model stand-in: P = ``p`` for every claim."""

    def __init__(self, p: float) -> None:
        self.p = p

    def score_claim(self, claim, source, *, top_k, spans):
        return ClaimScore(self.p, *spans[0])


def _fold(root: Path, name: str, trained_on: list[str]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "meta.json").write_text(json.dumps({"trained_on": trained_on}))
    (d / "model.onnx").write_bytes(b"")
    return d


def test_fold_models_are_chosen_to_exclude_the_held_out_dataset(tmp_path):
    _fold(tmp_path, "no-a", ["b", "c"])
    _fold(tmp_path, "no-b", ["c"])
    models = find_fold_models([tmp_path, tmp_path / "absent"])
    assert [(m.path.name, sorted(m.trained_on)) for m in models] == [
        ("no-a", ["b", "c"]),
        ("no-b", ["c"]),
    ]
    assert held_out_model(models, "a").path.name == "no-a"
    assert held_out_model(models, "b").path.name == "no-b"
    assert held_out_model(models, "c") is None
    wice = [FoldModel(tmp_path, frozenset({"wice-train-partial", "begin"}))]
    assert held_out_model(wice, "wice") is None
    assert held_out_model(wice, "summedits") is wice[0]


def test_a_dataset_without_a_held_out_model_is_refused(tmp_path):
    models = [
        FoldModel(_fold(tmp_path, "no-a", ["b", "c"]), frozenset({"b", "c"})),
        FoldModel(_fold(tmp_path, "no-b", ["a", "c"]), frozenset({"a", "c"})),
    ]
    loaded = []

    def load(path):
        loaded.append(path.name)
        return _Fake(0.9)

    out = score_lodo(_items(), fold_models=models, load_model=load, ablation=False)
    assert loaded == ["no-a", "no-b"]
    assert out["missing_model"] == ["c"]
    assert out["lodo"]["c"] is None and out["lodo_mean"] is None
    assert out["lodo_mean_scored"] == 1.0 and out["ablation"] == {}
    # unrelated claims share no word with the source: no check runs, so they count as not
    # supported whatever the model would say
    assert out["entailment_alone"] == {"a": 1.0, "b": 1.0}
    assert out["entailment_models"] == {"a": str(tmp_path / "no-a"), "b": str(tmp_path / "no-b")}
    assert out["lodo"]["a"] == 1.0 and out["lodo"]["b"] == 1.0
