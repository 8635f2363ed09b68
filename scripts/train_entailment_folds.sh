#!/usr/bin/env bash
# The leave-one-dataset-out fold models behind bench/entailment.py and `baton bench verifier
# --lodo`, trained one after the other (2 CPU threads each), into bench/.cache/entailment/<fold>/.
# Each fold is the shipped recipe minus the held-out dataset(s), on a smaller sample (--max-items)
# so that the three folds fit in about an hour on two shared CPU cores.
# The shipped model (trained without dialfact, so that it is the held-out model for dialfact,
# faithbench, wice and factcheck-gpt):
#   python scripts/train_entailment.py --hold-out dialfact --out src/baton/verifiers/models/entailment \
#       --threads 2 --max-items 8000 --max-length 128 --epochs 1 --lr 6e-5 \
#       --freeze-layers 2 --time-limit 1380
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# torch threads sleep instead of spinning while they wait (the cores are shared)
export OMP_WAIT_POLICY=PASSIVE
OUT=bench/.cache/entailment
mkdir -p "$OUT/logs"
for fold in summedits citation-integrity begin+faithdial-audit; do
  nice -n 5 "$PY" scripts/train_entailment.py --hold-out "${fold//+/,},dialfact" \
    --out "$OUT/$fold" --threads 2 --max-items "${MAX_ITEMS:-5000}" --max-length 128 --epochs 1 \
    --lr 6e-5 --freeze-layers 2 --time-limit "${TIME_LIMIT:-840}" > "$OUT/logs/$fold.log" 2>&1
done
