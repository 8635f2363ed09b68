"""Scoring the verifier on labelled claims: the logic behind ``baton bench verifier``.

Input: JSONL lines ``{"claim", "source", "label", "dataset"}`` (label supported /
unsupported / contradicted; extra fields ignored), the format of
``shared/data/verifier-dev.jsonl``. Each claim is verified against its one source.

Figures (the LLM-AggreFact conventions, Tang et al. 2024):
- per dataset: ``n``; ``balanced_accuracy`` of supported vs not supported (mean of the two
  class recalls); ``macro_f1_3way`` over supported / unsupported / contradicted when the
  dataset has contradicted items (else None);
- ``mean_balanced_accuracy``: the plain mean over datasets;
- ``cpu_claims_per_second``: the same from the process's CPU time (user + system), which
  other processes on a shared machine do not inflate;
- ``claims_per_second`` and ``latency_ms`` (p50, p95) of ``verify`` per claim, one process,
  one thread (wall clock, including sentence splitting and retrieval);
- ``ablation``: for each check, the mean balanced accuracy with that check's result removed.

Two modes: ``shipped`` scores the shipped aggregator (``aggregator.json``) as is — on the dev
file that is a training fit, not a fair estimate; ``cross-validated`` refits the aggregator in
k claim-grouped folds and scores each item with a model that never saw its claim (ablation
rows refit without the check).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baton.contracts import CheckResult, Claim, Label, Source, Verdict
from baton.errors import TaskInputError
from baton.taskfile import iter_jsonl
from baton.verifiers.aggregate import FEATURES, LogisticModel, aggregate, features
from baton.verifiers.pipeline import DEFAULT_CHECKS, resolve_checks, verify
from baton.verifiers.training import fit_logistic, grouped_folds

LABELS: tuple[Label, ...] = ("supported", "unsupported", "contradicted")


@dataclass
class Item:
    """One labelled claim with its source."""

    claim: str
    source: str
    label: Label
    dataset: str
    id: str = ""


@dataclass
class Run:
    """Check results and timing of verifying each item once."""

    items: list[Item]
    results: list[list[CheckResult]]
    verdicts: list[Verdict]
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)


def load_items(path: str | Path) -> list[Item]:
    """Read a labelled JSONL file. Raises ``TaskInputError`` (with the line number) for a line
    that is not JSON or lacks ``claim``, ``source`` or a known ``label``. NUL bytes in the text
    (found in scraped web pages) are replaced by spaces."""
    items = []
    for n, d in iter_jsonl(path):
        if not isinstance(d, dict):
            raise TaskInputError("expected a JSON object", line=n)
        for key in ("claim", "source", "label"):
            if not isinstance(d.get(key), str):
                raise TaskInputError(f"missing string field {key!r}", field=key, line=n)
        if d["label"] not in LABELS:
            raise TaskInputError(
                f"label {d['label']!r} is not one of {', '.join(LABELS)}", field="label", line=n
            )
        items.append(
            Item(
                claim=d["claim"].replace("\x00", " "),
                source=d["source"].replace("\x00", " "),
                label=d["label"],
                dataset=str(d.get("dataset") or "all"),
                id=str(d.get("id") or n),
            )
        )
    return items


def run_items(items: Sequence[Item], checks: Sequence[str] | None = None, **extras: Any) -> Run:
    """Verify every item once against its own source, timing each ``verify`` call."""
    run = Run(list(items), [], [])
    for i, it in enumerate(items):
        claim = Claim(
            id=str(i), text=it.claim if it.claim.strip() else "(empty claim)", author="bench"
        )
        try:
            sources = [Source(id="source", text=it.source)]
        except ValueError:
            sources = []  # an empty or unreadable source: the verifier says unsupported
        t0 = time.perf_counter()  # times verify() only: building the Source is the caller's
        c0 = time.process_time()
        verdict = verify([claim], sources, checks=checks, **extras)[0]
        run.seconds.append(time.perf_counter() - t0)
        run.cpu_seconds.append(time.process_time() - c0)
        run.verdicts.append(verdict)
        run.results.append(list(verdict.checks))
    return run


def balanced_accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean recall of supported and not-supported (binary), over the classes present."""
    recalls = []
    for positive in (True, False):
        idx = [i for i, g in enumerate(gold) if (g == "supported") == positive]
        if idx:
            recalls.append(sum((pred[i] == "supported") == positive for i in idx) / len(idx))
    return sum(recalls) / len(recalls) if recalls else 0.0


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = LABELS) -> float:
    """Unweighted mean F1 over ``labels``."""
    f1s = []
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def per_dataset(items: Sequence[Item], pred: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{dataset: {"n", "balanced_accuracy", "macro_f1_3way"}}`` (3-way only where the
    dataset has contradicted items)."""
    out: dict[str, dict[str, Any]] = {}
    for name in sorted({it.dataset for it in items}):
        idx = [i for i, it in enumerate(items) if it.dataset == name]
        gold = [items[i].label for i in idx]
        p = [pred[i] for i in idx]
        out[name] = {
            "n": len(idx),
            "balanced_accuracy": round(balanced_accuracy(gold, p), 4),
            "macro_f1_3way": round(macro_f1(gold, p), 4) if "contradicted" in gold else None,
        }
    return out


def _mean_ba(datasets: dict[str, dict[str, Any]]) -> float:
    vals = [d["balanced_accuracy"] for d in datasets.values()]
    return round(sum(vals) / len(vals), 4) if vals else 0.0


def _timing(seconds: Sequence[float]) -> tuple[float, dict[str, float]]:
    if not seconds:
        return 0.0, {"p50": 0.0, "p95": 0.0}
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return round(len(seconds) / sum(seconds), 1), {
        "p50": round(statistics.median(ms), 3),
        "p95": round(p95, 3),
    }


def _without(results: list[CheckResult], check: str) -> list[CheckResult]:
    return [r for r in results if r.check != check]


def cpu_rate(cpu_seconds: Sequence[float]) -> float:
    """Claims per CPU second (0.0 when nothing was timed)."""
    total = sum(cpu_seconds)
    return round(len(cpu_seconds) / total, 1) if total > 0 else 0.0


def _report(items: Sequence[Item], pred: Sequence[str], run: Run, ablation: dict) -> dict[str, Any]:
    datasets = per_dataset(items, pred)
    cps, lat = _timing(run.seconds)
    return {
        "datasets": datasets,
        "mean_balanced_accuracy": _mean_ba(datasets),
        "claims_per_second": cps,
        "cpu_claims_per_second": cpu_rate(run.cpu_seconds),
        "latency_ms": lat,
        "ablation": ablation,
    }


def score_shipped(
    items: Sequence[Item],
    checks: Sequence[str] | None = None,
    *,
    ablation: bool = True,
    **extras: Any,
) -> dict[str, Any]:
    """Score the shipped aggregator on ``items`` (the ``baton bench verifier`` figures)."""
    names = resolve_checks(
        checks, **{k: v for k, v in extras.items() if k in ("judge", "nli_model")}
    )
    run = run_items(items, names, **extras)
    pred = [v.label for v in run.verdicts]
    rows: dict[str, Any] = {}
    if ablation:
        full = _mean_ba(per_dataset(items, pred))
        for check in names:
            p = [
                aggregate(str(i), _without(res, check)).label
                if res and res[0].check != "verifier"
                else v.label
                for i, (res, v) in enumerate(zip(run.results, run.verdicts, strict=True))
            ]
            m = _mean_ba(per_dataset(items, p))
            rows[check] = {"mean_balanced_accuracy": m, "delta": round(m - full, 4)}
    return _report(items, pred, run, rows)


def _group(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _cv_predict(run: Run, drop: str | None, k: int, seed: int) -> tuple[list[str], list[float]]:
    results = [_without(r, drop) if drop else r for r in run.results]
    feats = [features(r) for r in results]
    names = [f for f in FEATURES if any(f in x for x in feats)]
    folds = grouped_folds([_group(it.claim) for it in run.items], k, seed)
    labels = [it.label == "supported" for it in run.items]
    pred = [""] * len(results)
    probs = [0.0] * len(results)
    for f in range(k):
        train = [
            i
            for i in range(len(results))
            if folds[i] != f and results[i] and results[i][0].check != "verifier"
        ]
        model: LogisticModel = fit_logistic(
            [feats[i] for i in train], [labels[i] for i in train], names
        )
        for i in range(len(results)):
            if folds[i] != f:
                continue
            if not results[i] or results[i][0].check == "verifier":
                pred[i], probs[i] = "unsupported", 0.0
                continue
            v = aggregate(str(i), results[i], model=model)
            pred[i] = v.label
            probs[i] = v.confidence if v.label == "supported" else 1 - v.confidence
    return pred, probs


def score_cross_validated(
    items: Sequence[Item],
    checks: Sequence[str] | None = None,
    *,
    k: int = 5,
    seed: int = 0,
    ablation: bool = True,
    **extras: Any,
) -> dict[str, Any]:
    """Claim-grouped k-fold cross-validated figures: each item is scored by an aggregator fit
    on the other folds (items with the same claim text share a fold). Ablation rows refit
    without the removed check."""
    names = resolve_checks(
        checks, **{k_: v for k_, v in extras.items() if k_ in ("judge", "nli_model")}
    )
    run = run_items(items, names, **extras)
    pred, _ = _cv_predict(run, None, k, seed)
    rows: dict[str, Any] = {}
    if ablation:
        full = _mean_ba(per_dataset(items, pred))
        for check in names:
            p, _ = _cv_predict(run, check, k, seed)
            m = _mean_ba(per_dataset(items, p))
            rows[check] = {"mean_balanced_accuracy": m, "delta": round(m - full, 4)}
    return _report(items, pred, run, rows)


def fit_shipped(
    items: Sequence[Item], checks: Sequence[str] = DEFAULT_CHECKS, **extras: Any
) -> LogisticModel:
    """Fit the aggregator on all ``items`` with ``checks`` (what ``aggregator.json`` ships)."""
    run = run_items(items, checks, **extras)
    ok = [i for i, r in enumerate(run.results) if r and r[0].check != "verifier"]
    feats = [features(run.results[i]) for i in ok]
    names = [f for f in FEATURES if any(f in x for x in feats)]
    return fit_logistic(feats, [run.items[i].label == "supported" for i in ok], names)
