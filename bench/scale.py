"""Scale-out benchmark: many ``baton worker`` processes on one database (SQLite, PostgreSQL).
Prints figures; asserts nothing.

    python bench/scale.py                       # throughput + drills, both backends (minutes)
    python bench/scale.py --json                # the same figures as one JSON object
    python bench/scale.py --backends sqlite --workers 1,2 --skip-drills

Throughput: for each backend and each worker count N, a fresh database, N ``baton worker
--db URL`` OS processes started and idle (polling), then the same tasks submitted at once;
tasks/s = tasks / seconds from the submit until every run is finished or waiting_review
(process start-up is left out: it is the same for every N and not throughput; by default each
worker first runs one warm-up task, outside the measured window, so a fresh process's lazy
imports and caches are not counted either: ``--no-warmup`` counts them).
Every run gets its own text (the task file cycled through ``unique_copy``): the file's answer
and check tasks share sources, and a single worker would otherwise reuse its per-text caches
for the second task of a pair where two workers each pay (that alone held 2 workers to
1.4x). Profiles: (a) ``offline``: the offline engine (CPU-bound), ``--tasks`` runs, and the
machine's ceiling (``ceiling``: N processes of pure-Python work against one, what N CPU-bound
workers could reach at best on these cores); (b) ``model``: the llm engine on a scripted
compliant model that answers each call after ``--delay-ms`` (``BATON_BENCH_MODEL_DELAY_MS``,
model-bound), ``--model-tasks`` runs.

Fencing drill (``--drill-runs`` runs, each backend): a worker (``--lease-seconds`` lease) is
SIGSTOPped in the middle of a node (its first model call on the model-bound profile), its lease
expires, a second worker finishes the run, then the first one gets SIGCONT and goes on. Counts
runs whose checkpoint history forks (a checkpoint with two children), duplicated events
(``ledger.duplicates``), reports that differ from a clean run's, runs lost (not finished /
waiting_review at the end) and lease_lost events recorded.

Kill drill (PostgreSQL): ``--kill-workers`` workers over ``--kill-tasks`` tasks (hop ceiling 2,
so runs pause for review), a random worker SIGKILLed every ``--kill-every`` seconds and a fresh
one started, pending review items approved as they appear; at the end every run must be
finished or waiting_review and no decision applied twice.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from baton.checkpoints import open_store
from baton.contracts import Decision
from baton.errors import DecisionConflict
from baton.policy import Policy
from baton.taskfile import load_tasks

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TASKS = ROOT.parent / "shared" / "data" / "tasks-dev.jsonl"
PG_SERVER = os.environ.get("BATON_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
STOPS = ("finished", "rejected", "waiting_review", "failed")


# -- databases --------------------------------------------------------------------------------


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh database URL of ``backend``, removed afterwards."""
    if backend == "sqlite":
        path = tmp / f"scale-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    name = f"baton_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def worker_env(profile: str, delay_ms: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "OPENAI_"))}
    if profile == "model":
        env["BATON_BENCH_MODEL_DELAY_MS"] = str(delay_ms)
    return env


def start_worker(url: str, env: dict[str, str], *extra: str) -> subprocess.Popen:
    """``baton worker --db URL`` as its own OS process (serving, polling when idle)."""
    return subprocess.Popen(
        [sys.executable, "-m", "baton", "worker", "--db", url, *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(procs: list[subprocess.Popen]) -> None:
    """Until each worker printed its ``worker ... Ctrl-C to stop`` line (imports done, store
    and graph built)."""
    for p in procs:
        line = p.stderr.readline() if p.stderr else ""
        if "Ctrl-C to stop" not in line:
            raise RuntimeError(f"worker did not start: {line!r}")


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_stopped(store, timeout_s: float, poll_s: float = 0.1) -> float:
    """Seconds until every run of the database is at a stop (``STOPS``): one ``GROUP BY``
    query a poll, so the bench itself takes little CPU from the workers."""
    t0 = time.perf_counter()
    while True:
        working = sum(n for s, n in store.status_counts().items() if s not in STOPS)
        if not working:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError(f"{working} runs still working after {timeout_s} s")
        time.sleep(poll_s)


# -- throughput ---------------------------------------------------------------------------------


def unique_copy(task, k):
    """``task`` with ``k`` trailing spaces on its question, draft and source texts: the same
    content (offsets unchanged, sentences trimmed) under new text keys, so no per-text cache
    of a worker process (sentence spans, BM25 indexes) serves a repeat."""
    pad = " " * k
    sources = [s.model_copy(update={"text": s.text + pad}) for s in task.sources]
    update = {"sources": sources, "question": task.question + pad}
    if task.draft is not None:
        update["draft"] = task.draft + pad
    return task.model_copy(update=update)


def throughput(backend: str, profile: str, n_workers: int, tasks, args, tmp: Path) -> dict:
    env = worker_env(profile, args.delay_ms)
    with database(backend, tmp) as url:
        open_store(url).close()  # migrate once, before the workers race to
        procs = [start_worker(url, env) for _ in range(n_workers)]
        try:
            wait_ready(procs)
            store = open_store(url)
            if args.warmup:  # one run per worker first: lazy imports and caches of a fresh
                for t in tasks[:n_workers]:  # process are start-up, not throughput
                    store.submit(t)
                wait_stopped(store, timeout_s=args.timeout)
            t0 = time.perf_counter()
            run_ids = [store.submit(t) for t in tasks]
            wait_stopped(store, timeout_s=args.timeout)
            seconds = time.perf_counter() - t0
            statuses = Counter(store.run(r)["status"] for r in run_ids)  # measured runs only
            store.close()
        finally:
            stop(procs)
    return {
        "backend": backend,
        "profile": profile,
        "workers": n_workers,
        "tasks": len(tasks),
        "seconds": round(seconds, 2),
        "tasks_per_s": round(len(tasks) / seconds, 3),
        "statuses": dict(statuses),
    }


def _spin(seconds: float) -> int:
    """Pure-Python CPU work for ``seconds`` (no I/O, no shared state): loop iterations done."""
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(10_000):
            n += 1
    return n


def ceiling(n_procs: int, seconds: float = 3.0) -> float:
    """The machine's parallel ceiling: iterations/s of ``n_procs`` processes spinning at once
    (``_spin``), over one process's. What N workers could reach on a CPU-bound profile if
    nothing were shared: below N where the cores are hyperthreads, throttled or busy."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(n_procs) as pool:
        one = pool.apply(_spin, (seconds,))
        many = sum(pool.map(_spin, [seconds] * n_procs))
    return round(many / one, 2)


# -- fencing drill ------------------------------------------------------------------------------


def _forks(store, run_id: str) -> int:
    with store.saver() as saver:
        parents = Counter(
            c.parent_config["configurable"]["checkpoint_id"]
            for c in saver.list({"configurable": {"thread_id": run_id}})
            if c.parent_config
        )
    return sum(1 for n in parents.values() if n > 1)


def _report(store, run_id: str) -> dict | None:
    report = store.run(run_id)["report"]
    return report


def fencing_drill(backend: str, task, args, tmp: Path) -> dict:
    """``args.drill_runs`` runs of the SIGSTOP drill on ``backend`` (model-bound profile, so
    the stop lands inside a node: the workers sleep in model calls)."""
    env = worker_env("model", args.delay_ms)
    counts = Counter()
    with database(backend, tmp) as url:
        store = open_store(url)
        clean_id = store.submit(task)
        clean = [start_worker(url, env, "--once")]
        clean[0].wait()
        clean_report = _report(store, clean_id)
        for _ in range(args.drill_runs):
            run_id = store.submit(task)
            first = start_worker(url, env, "--lease-seconds", str(args.lease_seconds))
            wait_ready([first])
            while store.run(run_id)["status"] != "running" or store.run(run_id)["hops"] < 1:
                time.sleep(0.02)  # in the middle of the run: past its first hop, in a node
            time.sleep(args.delay_ms / 2000)  # halfway through a model call
            first.send_signal(signal.SIGSTOP)
            time.sleep(args.lease_seconds * 1.5)  # the lease expires
            second = start_worker(url, env)  # serving: claims the run once it can
            wait_ready([second])
            give_up = time.monotonic() + 10  # a stopped PostgreSQL worker may hold the run's
            while store.run(run_id)["lease_epoch"] < 2:  # row lock (stopped inside a fenced
                if time.monotonic() > give_up:  # write): SKIP LOCKED passes over the run
                    counts["successor_blocked"] += 1  # until the first one wakes
                    break
                time.sleep(0.05)
            first.send_signal(signal.SIGCONT)
            wait_stopped(store, timeout_s=args.timeout)  # both go on; the run reaches a stop
            time.sleep(args.delay_ms / 1000 * 3 + 0.5)  # the first one's node returns
            stop([first, second])
            row = store.run(run_id)
            counts["runs"] += 1
            counts["forks"] += _forks(store, run_id) > 0
            counts["reports_differ"] += _report(store, run_id) != clean_report
            counts["lost"] += row["status"] not in ("finished", "waiting_review")
            counts["lease_lost_events"] += sum(
                1 for e in store.events(run_id) if e["kind"] == "lease_lost"
            )
        counts["duplicated"] = sum(store.ledger.duplicates().values())
        store.close()
    return {"backend": backend, **counts}


# -- kill drill ---------------------------------------------------------------------------------


def kill_drill(backend: str, tasks, args, tmp: Path) -> dict:
    env = worker_env("model", args.delay_ms)
    rng = random.Random(args.seed)
    kills = 0
    with database(backend, tmp) as url:
        store = open_store(url)
        run_ids = [store.submit(t.model_copy(update={"policy": Policy(max_hops=2)})) for t in tasks]
        procs = [start_worker(url, env, "--lease-seconds", "2") for _ in range(args.kill_workers)]
        deadline = time.monotonic() + args.kill_seconds
        next_kill = time.monotonic() + args.kill_every
        t_end = time.monotonic() + args.timeout
        while time.monotonic() < t_end:
            for item in store.queue():
                with contextlib.suppress(DecisionConflict):  # decided by a previous pass
                    store.decide(item["item_id"], Decision(action="approve", reviewer="bench"))
            now = time.monotonic()
            if now < deadline and now >= next_kill:
                victim = rng.randrange(len(procs))
                procs[victim].kill()  # SIGKILL at a random point of whatever it is doing
                procs[victim].wait()
                kills += 1
                procs[victim] = start_worker(url, env, "--lease-seconds", "2")
                next_kill = now + rng.uniform(0.5, 2 * args.kill_every)
            counts = store.status_counts()
            if (
                now >= deadline
                and not store.queue()
                and not counts.get("queued", 0) + counts.get("running", 0)
            ):
                break  # no more kills; every run stopped and no review is pending
            time.sleep(0.1)
        stop(procs)
        statuses = Counter(store.run(r)["status"] for r in run_ids)
        decisions = {r: len(store.decisions(r)) for r in run_ids}
        applied = {
            r: sum(1 for e in store.events(r) if e["kind"] == "node" and e["node"] == "review")
            for r in run_ids
        }  # a review node turn is a decision applied (its update); an interrupt writes none
        result = {
            "backend": backend,
            "workers": args.kill_workers,
            "tasks": len(run_ids),
            "kills": kills,
            "statuses": dict(statuses),
            "decisions": sum(decisions.values()),
            "decisions_applied": sum(applied.values()),
            "decisions_applied_twice": sum(max(0, applied[r] - decisions[r]) for r in run_ids),
            "duplicates": store.ledger.duplicates(),
            "lost": store.ledger.lost(),
        }
        store.close()
    return result


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("tasks_file", nargs="?", type=Path, default=DEFAULT_TASKS)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--profiles", default="offline,model")
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument(
        "--tasks",
        type=int,
        default=256,
        help="runs of the offline profile (the task file cycled, each run its own text)",
    )
    ap.add_argument("--model-tasks", type=int, default=16, help="tasks of the model profile")
    ap.add_argument("--delay-ms", type=float, default=200.0)
    ap.add_argument("--drill-runs", type=int, default=10)
    ap.add_argument("--lease-seconds", type=float, default=1.0)
    ap.add_argument("--kill-workers", type=int, default=4)
    ap.add_argument("--kill-tasks", type=int, default=16)
    ap.add_argument("--kill-every", type=float, default=1.5)
    ap.add_argument("--kill-seconds", type=float, default=30.0)
    ap.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="measure from the workers' first run (default: each worker runs one task first)",
    )
    ap.add_argument("--skip-drills", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args(argv)

    all_tasks = load_tasks(args.tasks_file)

    def first(n: int) -> list:
        """``n`` tasks, the file cycled, each through ``unique_copy``: every run does a new
        task's work, as in a deployment (tasks of the file that share sources would otherwise
        hit one worker process's per-text caches when they run on the same worker, an edge a
        single worker always has)."""
        return [unique_copy(all_tasks[i % len(all_tasks)], i) for i in range(n)]

    backends = args.backends.split(",")
    out: dict = {
        "tasks_file": str(args.tasks_file),
        "load_avg_at_start": os.getloadavg(),
        "cpus": os.cpu_count(),
        "throughput": [],
        "fencing": [],
        "kill": [],
    }

    def say(line: str) -> None:  # with --json the figures go to stderr as they come
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    with tempfile.TemporaryDirectory(prefix="baton-scale-") as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_throughput:
            top = max(int(x) for x in args.workers.split(","))
            if "offline" in args.profiles.split(",") and top > 1:
                n = min(top, os.cpu_count() or 1)
                out["ceiling"] = {n: ceiling(n)}
                say(
                    f"machine ceiling: {n} processes of pure-Python work ran "
                    f"x{out['ceiling'][n]:.2f} one (what {n} CPU-bound workers could reach)"
                )
            for backend in backends:
                for profile in args.profiles.split(","):
                    n_tasks = args.tasks if profile == "offline" else args.model_tasks
                    tasks = first(n_tasks)
                    base = None
                    for n in (int(x) for x in args.workers.split(",")):
                        r = throughput(backend, profile, n, tasks, args, tmp)
                        base = base or r["tasks_per_s"]
                        r["speedup"] = round(r["tasks_per_s"] / base, 2)
                        r["load_avg"] = round(os.getloadavg()[0], 2)
                        out["throughput"].append(r)
                        say(
                            f"{backend:8} {profile:7} workers={n}: {r['tasks']} tasks in "
                            f"{r['seconds']:.2f} s = {r['tasks_per_s']:.2f} tasks/s "
                            f"(x{r['speedup']:.2f}; load {r['load_avg']}) {r['statuses']}"
                        )
        if not args.skip_drills:
            task = next(t for t in all_tasks if t.kind == "answer")
            for backend in backends:
                r = fencing_drill(backend, task, args, tmp)
                out["fencing"].append(r)
                say(f"{backend:8} SIGSTOP drill: {json.dumps(r)}")
            if "postgres" in backends:
                r = kill_drill("postgres", all_tasks[: args.kill_tasks], args, tmp)
                out["kill"].append(r)
                say(f"postgres SIGKILL drill: {json.dumps(r)}")
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
