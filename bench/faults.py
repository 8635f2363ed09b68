"""Failure-path benchmark: crash recovery of real worker processes, and retries / tokens of
runs whose model fails at random. Prints figures; asserts nothing.

    python bench/faults.py                                   # examples/tasks.jsonl x 3
    python bench/faults.py ../shared/data/tasks-dev.jsonl --kills 8 --fault-rate 0.2

Part 1 (crash): submits the tasks, starts ``baton worker`` processes and SIGKILLs each once
the events table reaches a growing threshold (several points of the runs), approves pending
review items between kills, then lets one healthy worker finish. Prints runs killed mid-run
and recovered, duplicate writes found (``baton.checkpoints.ledger.duplicates``) and decisions
lost (decided but never applied, ``ledger.lost``).

Part 2 (faults): runs the tasks through ``LLMEngine`` on the scripted compliant model wrapped
in ``FaultyChatModel``, each model call failing with probability ``--fault-rate`` (a fault kind
drawn at random; no backoff wait). Prints retries spent per task against the shared pool,
final statuses, and tokens spent per task against the budget.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from baton.checkpoints import Store
from baton.checkpoints.ledger import duplicates, lost
from baton.contracts import Decision
from baton.engines.llm import LLMEngine
from baton.policy import Policy
from baton.taskfile import load_tasks
from baton.testing import FAULT_KINDS, CompliantResponder, FaultyChatModel, ScriptedChatModel
from baton.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
BATON = (
    [str(Path(sys.executable).with_name("baton"))]
    if Path(sys.executable).with_name("baton").exists()
    else [sys.executable, "-m", "baton"]
)
RANDOM_FAULTS = tuple(k for k in FAULT_KINDS if k not in ("bad_route", "hang"))
"""Faults drawn at random: every kind but the route fault (supervisor only) and the hang
(which waits for the turn timeout)."""


def _count(db: Path, sql: str, args: tuple = ()) -> int:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def crash(tasks, kills: int, lease_s: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="baton-faults-"))
    db = tmp / "crash.db"
    store = Store(db)
    run_ids = [store.submit(t) for t in tasks]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "OPENAI_"))}
    total_events_guess = 12 * len(run_ids)
    thresholds = sorted(
        {max(3, int(total_events_guess * (i + 0.5) / (kills + 1))) for i in range(kills)}
    )
    killed_mid_run: set[str] = set()
    decided = 0
    t0 = time.perf_counter()
    for i, threshold in enumerate(thresholds):
        proc = subprocess.Popen(
            [*BATON, "worker", "--db", str(db), "--lease-seconds", str(lease_s)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while (
            proc.poll() is None
            and time.monotonic() < deadline
            and _count(db, "SELECT COUNT(*) FROM events") < threshold
        ):
            time.sleep(0.005)
        if proc.poll() is None:
            running = [r["id"] for r in store.runs(status="running")]
            proc.send_signal(signal.SIGKILL)
            killed_mid_run.update(running)
        proc.wait()
        if i % 2 == 1:
            for item in store.queue():
                store.decide(item["item_id"], Decision(action="approve", reviewer="bench"))
                decided += 1
        time.sleep(lease_s + 0.1)
    for _ in range(3):
        subprocess.run(
            [*BATON, "worker", "--db", str(db), "--once"], env=env, check=True, capture_output=True
        )
        pending = store.queue()
        if not pending:
            break
        for item in pending:
            store.decide(item["item_id"], Decision(action="approve", reviewer="bench"))
            decided += 1
    rows = [store.run(r) for r in run_ids]
    recovered = [
        r
        for r in rows
        if r["id"] in killed_mid_run and r["status"] in ("finished", "rejected", "waiting_review")
    ]
    dup = duplicates(store)
    gone = lost(store)
    print(
        f"crash recovery: {len(run_ids)} runs, {len(thresholds)} worker processes SIGKILLed at events >= {thresholds}"
    )
    print(f"  runs killed mid-run           {len(killed_mid_run)}")
    print(f"  runs killed and recovered     {len(recovered)} of {len(killed_mid_run)}")
    print(f"  final statuses                {dict(Counter(r['status'] for r in rows))}")
    print(
        f"  runs claimed more than once   {sum(r['attempts'] > 1 for r in rows)}  (takeovers after a kill, resumes after review)"
    )
    print(f"  duplicate writes found        {sum(dup.values())}  {dup}")
    print(
        f"  decisions recorded / lost     {decided} / {gone['decisions']}  (runs stuck running: {gone['runs']})"
    )
    print(
        f"  wall time                     {time.perf_counter() - t0:.1f} s (incl. {len(thresholds)} x {lease_s:g} s lease expiry)"
    )
    for r in rows:
        if r["status"] == "failed":
            print(f"  FAILED run {r['id']} ({db}): {r['error']}")
    store.close()


def faults(tasks, rate: float, seed: int) -> None:
    rng = random.Random(seed)
    policy = Policy(retry_backoff_base_s=0.0)

    inner = ScriptedChatModel(responder=CompliantResponder())
    schedule = [
        rng.choice(RANDOM_FAULTS) if rng.random() < rate else None for _ in range(50 * len(tasks))
    ]
    model = FaultyChatModel(inner=inner, faults={"*": schedule})
    tmp = Path(tempfile.mkdtemp(prefix="baton-faults-"))
    store = Store(tmp / "faults.db")
    run_ids = [store.submit(t.model_copy(update={"policy": policy})) for t in tasks]
    t0 = time.perf_counter()
    worker = Worker(store, engine=LLMEngine(model))
    worker.drain()
    elapsed = time.perf_counter() - t0
    retries, tokens, statuses, reasons, bounds = [], [], Counter(), Counter(), Counter()
    for run_id in run_ids:
        values = worker.graph.get_state({"configurable": {"thread_id": run_id}}).values
        retries.append(sum((values.get("retries") or {}).values()))
        tokens.append(int(values.get("tokens", 0)))
        row = store.run(run_id)
        statuses[row["status"]] += 1
        if row["status"] == "waiting_review":
            reasons[row["reason"]] += 1
            for item in store.items(run_id):
                bound = (item["request"].get("bound") or "none").split(":")[0].split(" (")[0]
                bounds[
                    f"{item['reason']}: {bound.split('=')[0].split(' ')[0] if bound.startswith('retry') else bound}"
                ] += 1
    injected = Counter(kind for _, _, kind in model.injected)
    budget = policy.max_tokens_per_task
    print(
        f"\nfaults: {len(run_ids)} runs on the scripted model, fault rate {rate:.0%} per call (seed {seed}), {inner.tokens + model.tokens:,} tokens reported"
    )
    print(f"  faults injected               {sum(injected.values())}  {dict(injected)}")
    print(f"  final statuses                {dict(statuses)}  review reasons {dict(reasons)}")
    print(f"  what sent them to review      {dict(bounds)}")
    print(
        f"  retries spent per task        (failure retries and revisions, one pool) mean {statistics.mean(retries):.2f}, max {max(retries)}, pool {policy.retry_budget} (per agent {policy.max_retries_per_agent})"
    )
    print(f"  retries histogram             {dict(sorted(Counter(retries).items()))}")
    print(
        f"  tokens per task               mean {statistics.mean(tokens):,.0f}, max {max(tokens):,} of budget {budget:,} ({max(tokens) / budget:.1%} at most)"
    )
    reported = inner.tokens + model.tokens
    print(
        f"  tokens charged / reported     {sum(tokens):,} / {reported:,} (every reply's usage, faulty ones included, charged once)"
    )
    print(f"  wall time                     {elapsed:.1f} s")
    store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=ROOT / "examples" / "tasks.jsonl")
    ap.add_argument(
        "--repeat", type=int, default=3, help="submit the tasks this many times (default 3)"
    )
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--lease", type=float, default=1.0, help="worker lease seconds")
    ap.add_argument("--fault-rate", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-crash", action="store_true")
    args = ap.parse_args(argv)
    tasks = load_tasks(args.path) * args.repeat
    if not args.skip_crash:
        crash(tasks, args.kills, args.lease)
    faults(tasks, args.fault_rate, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
