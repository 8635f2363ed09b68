"""Verifier benchmark: prints the figures of ``baton bench verifier`` and, with ``--cv``, the
claim-grouped cross-validated figures reported in the README; ``--fit`` refits the shipped
aggregator (``src/baton/verifiers/aggregator.json``) on the file.

    python bench/verifier.py ../shared/data/verifier-dev.jsonl --cv
    python bench/verifier.py ../shared/data/verifier-dev.jsonl --cv --checks lexical,phrases,numbers,entities,negation,hedging,semantic
    python bench/verifier.py ../shared/data/verifier-dev.jsonl --cv --checks lexical,phrases,numbers,entities,negation,hedging,semantic,alignment,weakest_part
    python bench/verifier.py ../shared/data/verifier-dev.jsonl --fit
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from baton.verifiers.aggregate import WEIGHTS_PATH, load_models
from baton.verifiers.pipeline import DEFAULT_CHECKS, SEMANTIC_CHECKS
from baton.verifiers.scoring import fit_shipped, load_items, score_cross_validated, score_shipped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
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
        help="refit aggregator.json (base; semantic and aligned if the extra is available)",
    )
    args = ap.parse_args(argv)
    items = load_items(args.path)
    checks = args.checks.split(",") if args.checks else None
    if args.fit:
        models = {"base": fit_shipped(items, DEFAULT_CHECKS).to_dict()}
        try:
            models["semantic"] = fit_shipped(items, DEFAULT_CHECKS + ("semantic",)).to_dict()
            models["aligned"] = fit_shipped(items, SEMANTIC_CHECKS).to_dict()
        except Exception as exc:  # the extra is optional
            print(f"semantic model not fit: {exc}", file=sys.stderr)
        data = {
            "about": "Logistic-regression aggregator of baton's verifier; fit by bench/verifier.py --fit "
            f"on {args.path.name} ({len(items)} items: WiCE + Factcheck-GPT).",
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
