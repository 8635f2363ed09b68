"""Verifier benchmark and the refit of the shipped aggregator.

# the headline figures: leave-one-dataset-out over the eight dev datasets
baton bench verifier --lodo --rules-only ../shared/data/verifier-dev.jsonl ../shared/data/verifier-extra.jsonl
baton bench verifier --lodo ../shared/data/verifier-dev.jsonl ../shared/data/verifier-extra.jsonl
# claim-grouped cross-validation inside the files (overstates transfer; kept for history)
python bench/verifier.py ../shared/data/verifier-dev.jsonl --cv
# refit src/baton/verifiers/aggregator.json on every dataset of the files except those
# whose licence forbids shipped weights (FaithBench), threshold fit as under --lodo
python bench/verifier.py ../shared/data/verifier-dev.jsonl ../shared/data/verifier-extra.jsonl --fit
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from baton.verifiers.aggregate import WEIGHTS_PATH, load_models
from baton.verifiers.lodo import NOT_FOR_SHIPPED_WEIGHTS, fit_aggregator
from baton.verifiers.registry import DEFAULT_CHECKS, SEMANTIC_CHECKS
from baton.verifiers.scoring import load_items, run_items, score_cross_validated, score_shipped


def _fit(items, checks, **extras) -> dict:
    run = run_items(items, checks, **extras)
    return fit_aggregator(items, run.results).to_dict()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", type=Path, nargs="+")
    ap.add_argument(
        "--checks", default=None, help="comma-separated check names (default: the always-on checks)"
    )
    ap.add_argument(
        "--cv", action="store_true", help="claim-grouped 5-fold cross-validated figures"
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--fit",
        action="store_true",
        help="refit aggregator.json (base; entailment when the shipped model loads)",
    )
    ap.add_argument(
        "--semantic",
        action="store_true",
        help="with --fit: also refit the semantic and aligned sets (needs baton[semantic]; slow)",
    )
    args = ap.parse_args(argv)
    items = [it for p in args.paths for it in load_items(p)]
    checks = args.checks.split(",") if args.checks else None
    if args.fit:
        items = [it for it in items if it.dataset not in NOT_FOR_SHIPPED_WEIGHTS]
        datasets = sorted({it.dataset for it in items})
        models = {"base": _fit(items, DEFAULT_CHECKS)}
        note = ""
        try:
            from baton.verifiers.entailment import EntailmentModel

            model = EntailmentModel.load()
            models["entailment"] = _fit(
                items, (*DEFAULT_CHECKS, "entailment"), entailment_model=model
            )
            note = (
                " The entailment set uses the shipped model (meta.json trained_on: "
                f"{', '.join(model.trained_on)}); refit it whenever that model changes."
            )
        except Exception as exc:  # no shipped model yet
            print(f"entailment set not fit: {exc}", file=sys.stderr)
        if args.semantic:
            models["semantic"] = _fit(items, (*DEFAULT_CHECKS, "semantic"))
            models["aligned"] = _fit(items, SEMANTIC_CHECKS)
        else:  # slow (MiniLM on every item): keep the shipped sets
            old = json.loads(WEIGHTS_PATH.read_text())["models"]
            models.update({k: v for k, v in old.items() if k in ("semantic", "aligned")})
        data = {
            "about": "Logistic-regression aggregator of baton's verifier; fit by "
            f"bench/verifier.py --fit on {', '.join(p.name for p in args.paths)} without "
            f"{', '.join(sorted(NOT_FOR_SHIPPED_WEIGHTS))} ({len(items)} items: "
            f"{', '.join(datasets)}); threshold: best mean per-dataset balanced accuracy." + note,
            "models": models,
        }
        WEIGHTS_PATH.write_text(json.dumps(data, indent=1) + "\n")
        load_models.cache_clear()
        print(json.dumps(data, indent=1))
        return 0
    if args.cv:
        report = score_cross_validated(items, checks, k=args.folds, seed=args.seed)
    else:
        report = score_shipped(items, checks)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
