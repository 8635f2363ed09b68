"""Entailment model benchmark (the model alone, no rule checks, no aggregator): held-out
balanced accuracy per dataset, throughput and cold start.

    python bench/entailment.py ../shared/data/verifier-dev.jsonl ../shared/data/verifier-extra.jsonl

Each dataset X is scored with a model whose ``meta.json`` ``trained_on`` excludes X (the shipped
model in ``src/baton/verifiers/models/entailment`` or a fold model under
``bench/.cache/entailment/<fold>/``, trained by ``scripts/train_entailment.py --hold-out``; the
one trained on the most datasets wins, ``baton.verifiers.lodo.held_out_model``). A dataset every
model has seen gets no figure. Per claim, P(supported) = ``EntailmentModel.score_claim(claim,
source)`` (its own windows, top 3 by coverage, max over windows, min over claim sentences).

Printed per dataset: the model used, balanced accuracy (binary: supported vs not) at threshold
0.5 and at the threshold that maximises the mean balanced accuracy over the *other* datasets
(their held-out scores; nothing of X is used), and ROC AUC. Speed: the shipped model on one
thread (onnxruntime ``intra_op_num_threads=1``) over ``--speed-items`` claims drawn with a fixed
seed from the given files: claims/s, p50 and p95 ms per claim; cold start: a fresh Python process
importing ``baton.verifiers.entailment``, loading the model and scoring one pair.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from baton.verifiers.entailment import MODEL_DIR, EntailmentModel
from baton.verifiers.lodo import find_fold_models, held_out_model

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "entailment"
THRESHOLDS = [i / 100 for i in range(5, 96)]


def balanced_accuracy(y: np.ndarray, p: np.ndarray, t: float) -> float:
    pred = p >= t
    return float(np.mean([np.mean(pred[y == c] == bool(c)) for c in (0, 1) if np.any(y == c)]))


def auc(y: np.ndarray, p: np.ndarray) -> float:
    pos, neg = p[y == 1], p[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def load(paths: list[Path]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in paths:
        for line in p.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out.setdefault(r["dataset"], []).append(r)
    return out


def scores(model_dir: Path, rows: list[dict], threads: int) -> np.ndarray:
    """P(supported) per row, cached per (model files, row ids) under ``bench/.cache``."""
    h = hashlib.sha256((model_dir / "model.onnx").read_bytes()).hexdigest()[:12]
    key = hashlib.sha256("\n".join(r["id"] for r in rows).encode()).hexdigest()[:12]
    f = CACHE / "scores" / f"{h}-{key}.json"
    if f.is_file():
        return np.array(json.loads(f.read_text()))
    m = EntailmentModel.load(model_dir, threads=threads)
    p = [m.score_claim(r["claim"], r["source"]).probability for r in rows]
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps(p))
    return np.array(p)


def cold_start() -> float:
    code = (
        "import time; t = time.perf_counter();"
        "from baton.verifiers.entailment import EntailmentModel;"
        "m = EntailmentModel.load(); m.score_pairs(['a claim'], ['a window']);"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def speed(rows: list[dict], n: int, seed: int) -> dict:
    rng = random.Random(seed)
    pick = rng.sample(rows, min(n, len(rows)))
    m = EntailmentModel.load(threads=1)
    m.score_claim(pick[0]["claim"], pick[0]["source"])  # warm-up
    ms = []
    t0 = time.perf_counter()
    for r in pick:
        t = time.perf_counter()
        m.score_claim(r["claim"], r["source"])
        ms.append(1000 * (time.perf_counter() - t))
    total = time.perf_counter() - t0
    q = statistics.quantiles(ms, n=20)
    return {
        "claims": len(pick),
        "claims_per_s": round(len(pick) / total, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(q[18], 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--models", nargs="*", default=[str(MODEL_DIR), str(CACHE)])
    ap.add_argument("--threads", type=int, default=1, help="threads for the accuracy pass")
    ap.add_argument("--speed-items", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="at most N items per dataset (seeded)")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    data = load(args.paths)
    if args.limit:
        data = {
            d: random.Random(args.seed).sample(r, min(args.limit, len(r))) for d, r in data.items()
        }
    models = find_fold_models(args.models)
    per: dict[str, dict] = {}
    probs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for ds, rows in sorted(data.items()):
        fm = held_out_model(models, ds)
        if fm is None:
            per[ds] = {"model": None, "note": "every model was trained on it: no figure"}
            continue
        p = scores(fm.path, rows, args.threads)
        y = np.array([r["label"] == "supported" for r in rows], dtype=int)
        probs[ds] = (y, p)
        try:
            shown = str(fm.path.relative_to(ROOT))
        except ValueError:
            shown = str(fm.path)
        per[ds] = {"model": shown, "n": len(rows)}
    for ds, (y, p) in probs.items():
        others = [d for d in probs if d != ds]
        t = (
            max(
                THRESHOLDS,
                key=lambda t: (
                    np.mean([balanced_accuracy(*probs[d], t) for d in others]),
                    -abs(t - 0.5),
                ),
            )
            if others
            else 0.5
        )
        per[ds].update(
            {
                "ba_0.5": round(100 * balanced_accuracy(y, p, 0.5), 1),
                "threshold": t,
                "ba_t": round(100 * balanced_accuracy(y, p, t), 1),
                "auc": round(100 * auc(y, p), 1),
            }
        )
    scored = [v for v in per.values() if "ba_0.5" in v]
    report = {
        "per_dataset": per,
        "mean_ba_0.5": round(float(np.mean([v["ba_0.5"] for v in scored])), 1) if scored else None,
        "mean_ba_t": round(float(np.mean([v["ba_t"] for v in scored])), 1) if scored else None,
        "datasets_scored": len(scored),
        "datasets_without_model": sorted(d for d, v in per.items() if "ba_0.5" not in v),
    }
    if not args.no_speed:
        rows = [r for rs in data.values() for r in rs]
        report["speed_one_thread"] = speed(rows, args.speed_items, args.seed)
        report["cold_start_s"] = round(cold_start(), 2)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{'dataset':20} {'n':>5} {'BA@0.5':>7} {'t':>5} {'BA@t':>6} {'AUC':>6}  model")
    for ds, v in per.items():
        if "ba_0.5" not in v:
            print(f"{ds:20} {'':>5} {'-':>7} {'':>5} {'-':>6} {'':>6}  {v['note']}")
            continue
        print(
            f"{ds:20} {v['n']:5d} {v['ba_0.5']:7.1f} {v['threshold']:5.2f} {v['ba_t']:6.1f} "
            f"{v['auc']:6.1f}  {v['model']}"
        )
    print(f"{'mean':20} {'':5} {report['mean_ba_0.5']!s:>7} {'':5} {report['mean_ba_t']!s:>6}")
    if "speed_one_thread" in report:
        print(f"speed (one thread): {json.dumps(report['speed_one_thread'])}")
        print(f"cold start: {report['cold_start_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
