"""Leave-one-dataset-out (LODO) figures of the verifier: the logic behind
``baton bench verifier --lodo``.

For each dataset X of the given items, everything that is fit is fit on the *other* datasets
only, and X is scored with it:

- the aggregator's logistic regression (``baton.verifiers.training.fit_logistic``) on the
  features of the other datasets' items, and its decision threshold (the one that maximises the
  mean balanced accuracy over the other datasets);
- the word-overlap baseline's threshold (share of the claim's content terms found anywhere in
  the source), likewise;
- the ``entailment`` feature of an item of dataset X comes from a fold model whose
  ``meta.json`` ``trained_on`` excludes X (out-of-fold stacking: the aggregator fit for held-out
  X sees, for every training item of dataset Y, a score from a model that never trained on Y).
  A dataset for which no such model exists gets no figure (``None``, listed in
  ``missing_model``): it is refused, not scored with a model that saw it.

The checks run once per item; the folds only refit on the cached features, so the eight dev
datasets take minutes. Balanced accuracy is binary (supported vs not), per dataset, and the
headline is the plain mean over datasets.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.contracts import CheckResult
from baton.verifiers.aggregate import LogisticModel, aggregate
from baton.verifiers.passages import content_terms
from baton.verifiers.registry import FEATURES, features
from baton.verifiers.scoring import Item, _timing, balanced_accuracy, cpu_rate, run_items
from baton.verifiers.training import fit_logistic

THRESHOLDS = tuple(i / 100 for i in range(5, 96))
"""Candidate decision thresholds, 0.05 to 0.95 by 0.01."""


@dataclass(frozen=True)
class FoldModel:
    """A trained entailment model on disk and the datasets it was trained on."""

    path: Path
    trained_on: frozenset[str]


def find_fold_models(dirs: Sequence[str | Path]) -> list[FoldModel]:
    """Every model directory (holding ``meta.json`` and ``model.onnx``) in ``dirs`` or one level
    below them, with ``meta.json``'s ``trained_on``. Missing directories are skipped."""
    out = []
    for d in map(Path, dirs):
        cands = [d, *sorted(p for p in d.iterdir() if p.is_dir())] if d.is_dir() else []
        for c in cands:
            if (c / "meta.json").is_file() and (c / "model.onnx").is_file():
                meta = json.loads((c / "meta.json").read_text())
                out.append(FoldModel(c, frozenset(meta.get("trained_on", []))))
    return out


SAME_DATASET = {"wice-train-partial": "wice"}
"""Training-file dataset names that are another split of a dev dataset: a model trained on
the key counts as trained on the value."""


def held_out_model(models: Sequence[FoldModel], dataset: str) -> FoldModel | None:
    """The model to score ``dataset`` with: among those not trained on it (nor on another
    split of it, ``SAME_DATASET``), the one trained on the most datasets (the closest to the
    shipped one; ties: the first listed); None if every model saw it."""
    ok = [
        m
        for m in models
        if dataset not in {SAME_DATASET.get(d, d) for d in m.trained_on} | m.trained_on
    ]
    return max(ok, key=lambda m: len(m.trained_on)) if ok else None


def overlap(item: Item) -> float:
    """Word-overlap baseline score: share of the claim's distinct content terms (stemmed, stop
    words dropped) that occur anywhere in the source."""
    terms = set(content_terms(item.claim))
    return len(terms & set(content_terms(item.source))) / len(terms) if terms else 0.0


def sample(items: Sequence[Item], limit: int | None, seed: int = 0) -> list[Item]:
    """At most ``limit`` items per dataset, drawn at random with ``seed`` (all when None),
    in file order."""
    if limit is None:
        return list(items)
    keep: set[int] = set()
    for name in sorted({it.dataset for it in items}):
        idx = [i for i, it in enumerate(items) if it.dataset == name]
        keep.update(random.Random(seed).sample(idx, min(limit, len(idx))))
    return [it for i, it in enumerate(items) if i in keep]


def _mean_ba(items: Sequence[Item], pred: Sequence[bool], idx: Sequence[int]) -> float:
    by: dict[str, list[int]] = {}
    for i in idx:
        by.setdefault(items[i].dataset, []).append(i)
    bas = [
        balanced_accuracy(
            [items[i].label for i in ix], ["supported" if pred[i] else "unsupported" for i in ix]
        )
        for ix in by.values()
    ]
    return sum(bas) / len(bas) if bas else 0.0


def best_threshold(items: Sequence[Item], scores: Sequence[float], idx: Sequence[int]) -> float:
    """The threshold in ``THRESHOLDS`` whose rule ``score >= t`` has the highest mean
    per-dataset balanced accuracy over the items ``idx`` (ties: the one nearest 0.5)."""
    best = max(
        THRESHOLDS,
        key=lambda t: (
            round(_mean_ba(items, [s >= t for s in scores], idx), 6),
            -abs(t - 0.5),
        ),
    )
    return best


def _lodo(
    items: Sequence[Item],
    fit_predict: Callable[[list[int], list[int]], dict[int, bool]],
    datasets: Sequence[str],
) -> dict[str, float]:
    out = {}
    for x in datasets:
        test = [i for i, it in enumerate(items) if it.dataset == x]
        train = [i for i, it in enumerate(items) if it.dataset != x]
        pred = fit_predict(train, test)
        out[x] = round(
            balanced_accuracy(
                [items[i].label for i in test],
                ["supported" if pred[i] else "unsupported" for i in test],
            ),
            4,
        )
    return out


def _usable(results: list[CheckResult]) -> bool:
    return bool(results) and results[0].check != "verifier"


NOT_FOR_SHIPPED_WEIGHTS = frozenset({"faithbench"})
"""Datasets whose licence forbids training weights baton ships (FaithBench: CC BY-NC-SA);
they are used to evaluate only."""


def fit_aggregator(
    items: Sequence[Item], results: Sequence[list[CheckResult]], *, fit_threshold: bool = True
) -> LogisticModel:
    """The aggregator fit on ``items`` (their check ``results``), with its threshold fit to the
    best mean per-dataset balanced accuracy: what ``aggregator_lodo`` fits per fold, and what
    ``bench/verifier.py --fit`` ships (fit there without ``NOT_FOR_SHIPPED_WEIGHTS``)."""
    feats = [features(r) for r in results]
    names = [f for f in FEATURES if any(f in x for x in feats)]
    ok = [i for i in range(len(items)) if _usable(results[i])]
    model = fit_logistic([feats[i] for i in ok], [items[i].label == "supported" for i in ok], names)
    if fit_threshold:
        probs = [model.probability(f) for f in feats]
        t = best_threshold(items, probs, ok)
        model = LogisticModel(model.features, model.coef, model.intercept, model.means, t)
    return model


def aggregator_lodo(
    items: Sequence[Item],
    results: Sequence[list[CheckResult]],
    datasets: Sequence[str],
    *,
    drop: str | None = None,
    fit_threshold: bool = True,
    veto: bool = True,
) -> dict[str, float]:
    """Per held-out dataset balanced accuracy of the aggregator fit on the other datasets.
    ``drop``: a check left out (ablation); ``fit_threshold``: fit the decision threshold on the
    other datasets too (else 0.5); ``veto``: the aggregator's veto rule on or off."""
    res = [[r for r in rs if r.check != drop] for rs in results]

    def fit_predict(train: list[int], test: list[int]) -> dict[int, bool]:
        model = fit_aggregator(
            [items[i] for i in train], [res[i] for i in train], fit_threshold=fit_threshold
        )
        return {
            i: _usable(res[i])
            and aggregate(str(i), res[i], model=model, veto=veto).label == "supported"
            for i in test
        }

    return _lodo(items, fit_predict, datasets)


def overlap_lodo(items: Sequence[Item], datasets: Sequence[str]) -> dict[str, float]:
    """Per held-out dataset balanced accuracy of word overlap with a threshold fit on the
    other datasets."""
    scores = [overlap(it) for it in items]

    def fit_predict(train: list[int], test: list[int]) -> dict[int, bool]:
        t = best_threshold(items, scores, train)
        return {i: scores[i] >= t for i in test}

    return _lodo(items, fit_predict, datasets)


def entailment_alone_lodo(
    items: Sequence[Item], results: Sequence[list[CheckResult]], datasets: Sequence[str]
) -> dict[str, float]:
    """Per held-out dataset balanced accuracy of the entailment model's score alone, its
    threshold fit on the other datasets that have the score (``datasets``)."""
    scores = [next((r.score for r in rs if r.check == "entailment"), -1.0) for rs in results]
    keep = [i for i, it in enumerate(items) if it.dataset in datasets]
    sub = [items[i] for i in keep]
    sc = [scores[i] for i in keep]

    def fit_predict(train: list[int], test: list[int]) -> dict[int, bool]:
        t = best_threshold(sub, sc, train)
        return {i: sc[i] >= t for i in test}

    return _lodo(sub, fit_predict, datasets)


def _mean(d: dict[str, float | None]) -> float | None:
    vals = [v for v in d.values() if v is not None]
    return round(sum(vals) / len(vals), 4) if vals and len(vals) == len(d) else None


def score_lodo(
    items: Sequence[Item],
    checks: Sequence[str] | None = None,
    *,
    fold_models: Sequence[FoldModel] = (),
    ablation: bool = True,
    load_model: Callable[[Path], Any] | None = None,
) -> dict[str, Any]:
    """LODO figures (see the module docstring).

    ``checks``: the checks to run (default: the always-on ones, plus ``entailment`` when
    ``fold_models`` are given). ``load_model``: how to load a ``FoldModel.path`` (default
    ``EntailmentModel.load``). Returns ``{"lodo": {dataset: ba or None}, "lodo_mean",
    "missing_model": [datasets refused], "entailment_models": {dataset: path},
    "overlap": {dataset: ba}, "overlap_mean", "ablation": {check: {"lodo_mean", "delta"}},
    "no_veto_mean", "fixed_threshold_mean", "entailment_alone": {dataset: ba} (when a model ran), "claims_per_second", "cpu_claims_per_second",
    "latency_ms"}`` (balanced
    accuracies as fractions; a mean is None when a dataset has no figure).
    """
    datasets = sorted({it.dataset for it in items})
    names = list(checks) if checks is not None else None
    use_model = bool(fold_models) if names is None else "entailment" in names
    if names is None:
        from baton.verifiers.registry import DEFAULT_CHECKS

        names = list(DEFAULT_CHECKS) + (["entailment"] if use_model else [])
    results: list[list[CheckResult]] = [[] for _ in items]
    seconds: list[float] = []
    cpu: list[float] = []
    missing: list[str] = []
    used_models: dict[str, str] = {}
    rule_names = [n for n in names if n != "entailment"]
    for x in datasets:
        idx = [i for i, it in enumerate(items) if it.dataset == x]
        extras: dict[str, Any] = {}
        run_names = rule_names
        if use_model:
            fm = held_out_model(fold_models, x)
            if fm is None:
                missing.append(x)
            else:
                if load_model is None:
                    from baton.verifiers.entailment import EntailmentModel

                    load_model = EntailmentModel.load
                extras["entailment_model"] = load_model(fm.path)
                used_models[x] = str(fm.path)
                run_names = names
        run = run_items([items[i] for i in idx], run_names, **extras)
        for i, rs in zip(idx, run.results, strict=True):
            results[i] = rs
        seconds.extend(run.seconds)
        cpu.extend(run.cpu_seconds)
    lodo: dict[str, float | None] = dict(aggregator_lodo(items, results, datasets))
    for x in missing:
        lodo[x] = None
    out: dict[str, Any] = {"lodo": lodo, "lodo_mean": _mean(lodo), "missing_model": missing}
    scored = {k: v for k, v in lodo.items() if v is not None}
    out["lodo_mean_scored"] = _mean(scored)  # over the datasets that have a figure
    out["entailment_models"] = used_models
    if used_models:
        out["entailment_alone"] = entailment_alone_lodo(items, results, sorted(used_models))
    ov = overlap_lodo(items, datasets)
    out["overlap"], out["overlap_mean"] = ov, _mean(ov)
    rows: dict[str, Any] = {}
    if ablation and not missing:
        for check in names:
            m = _mean(aggregator_lodo(items, results, datasets, drop=check))
            rows[check] = {"lodo_mean": m, "delta": round(m - out["lodo_mean"], 4)}
        out["no_veto_mean"] = _mean(aggregator_lodo(items, results, datasets, veto=False))
        out["fixed_threshold_mean"] = _mean(
            aggregator_lodo(items, results, datasets, fit_threshold=False)
        )
    out["ablation"] = rows
    cps, lat = _timing(seconds)
    out["claims_per_second"], out["latency_ms"] = cps, lat
    out["cpu_claims_per_second"] = cpu_rate(cpu)
    return out
