"""The worker: claims queued runs (new ones, ones a reviewer has decided, ones whose worker
died) with a lease and a heartbeat, and runs the compiled graph with ``thread_id = run_id``.

For each claimed run the worker picks up exactly where the checkpoints say:

- no checkpoint yet: start from the task;
- paused at ``review`` with a decided item: ``Command(resume={interrupt_id: decision})``;
- paused at ``review`` with no decision: back to ``waiting_review``;
- a checkpoint mid-run (the previous worker died): continue from it (``input=None``).

It streams the graph with ``durability="sync"`` by default (a checkpoint is on disk before
its events are written, so a crash can never leave events ahead of the checkpoints; with
``"async"`` it can, and the step a crash lost runs again while its first record stands) and
hands the guard's ``Turn`` reports to a ``RunRecorder`` (``baton.recorder``), which writes
the audit trail, the effects-ledger marks, review items and the runs row.

Fencing: a claim returns the run with a new ``lease_epoch``; the worker's ``Lease`` fences every
write it makes for the run: the recorder's (``RunStore.fenced``), the heartbeat's, and each
checkpoint (the lease rides in ``configurable[LEASE_KEY]``, which the store's saver checks in
the checkpoint's transaction). A worker that stalled past its lease (GC pause, SIGSTOP, a slow
model call) and wakes after another worker claimed the run gets ``LeaseLost`` from its next
write, writes a ``lease_lost`` event and stops.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from langgraph.types import Command

from baton.checkpoints import LEASE_KEY, Lease, RunStore, open_store
from baton.contracts import Task
from baton.errors import ConfigError, LeaseLost
from baton.graph import Turn, build_graph, initial_state, recording_turns
from baton.graph.table import END_NODE
from baton.recorder import EventSink, RunRecorder
from baton.usage import reporting_calls

log = logging.getLogger("baton.worker")

DURABILITY = "sync"
"""Default LangGraph durability of worker runs: ``sync`` writes each checkpoint before the
next superstep starts, so a killed worker never leaves a step half-saved. ``async`` (LangGraph's
own default) writes it while the next superstep runs: a few per cent faster per hop on
``bench/orchestration.py``; a worker killed mid-write loses that step, which the next worker
runs again (at-least-once)."""

DURABILITIES = ("sync", "async")
"""Durability modes a ``Worker`` accepts (LangGraph's ``exit`` would lose a killed run's
every step, so it is refused)."""

FLUSH_S = 0.25
"""Audit events and progress of the supersteps run are written together at most this often
(seconds), and whenever the run stops."""

RECURSION_LIMIT = 10_000
"""LangGraph's superstep ceiling, kept far above any hop ceiling (hops are baton's bound)."""


class _Heartbeat(threading.Thread):
    """One per ``Worker``, started with its first run: every ``lease_s / 3`` seconds it
    extends the lease of the run the worker is executing (``watch``), on its own connection,
    opened at the first beat (``open_store(url)``). A beat that finds the lease taken sets
    that run's ``lost`` event. One thread for all runs: starting a thread per run cost about
    1 ms a run."""

    def __init__(self, url: str, worker_id: str, lease_s: float):
        super().__init__(daemon=True, name=f"heartbeat-{worker_id}")
        self.url, self.worker_id, self.lease_s = url, worker_id, lease_s
        self._lock = threading.Lock()
        self._current: tuple[Lease, threading.Event] | None = None

    def watch(self, lease: Lease) -> threading.Event:
        """Beat for ``lease``'s run from now on; returns the event set if the lease is lost."""
        lost = threading.Event()
        with self._lock:
            self._current = (lease, lost)
        return lost

    def unwatch(self) -> None:
        with self._lock:
            self._current = None

    def run(self) -> None:
        store: RunStore | None = None
        try:
            while True:
                time.sleep(max(0.05, self.lease_s / 3))
                with self._lock:
                    current = self._current
                if current is None:
                    continue
                lease, lost = current
                store = store or open_store(self.url)
                try:
                    with store.fenced(lease):
                        if not store.heartbeat(lease.run_id, lease.owner, self.lease_s):
                            raise LeaseLost(lease.run_id)
                except LeaseLost:
                    lost.set()
        finally:  # pragma: no cover - a daemon thread ends with its process
            if store is not None:
                store.close()


class Worker:
    """Runs queued work from one database.

    - ``store``: a ``RunStore``, or a database URL (``open_store``: a file path or
      ``sqlite:///PATH``).
    - ``engine``, ``verifier``, ``table``, ``nodes``: passed to ``build_graph``.
    - ``lease_seconds``: how long a claim lasts without a heartbeat (default 60 s).
    - ``durability``: ``"sync"`` (default) or ``"async"``, see ``DURABILITY``; anything else
      raises ``ConfigError``.
    - ``on_event``: called with each event dict as it is written (for progress displays).
    """

    def __init__(
        self,
        store: RunStore | str | Path,
        *,
        engine: Any = None,
        verifier: Callable[..., Any] | None = None,
        table: Mapping[str, Iterable[str]] | None = None,
        nodes: Mapping[str, Any] | None = None,
        lease_seconds: float = 60.0,
        worker_id: str | None = None,
        on_event: EventSink | None = None,
        durability: str = DURABILITY,
    ):
        if durability not in DURABILITIES:
            raise ConfigError(
                f"durability must be one of {', '.join(DURABILITIES)}, not {durability!r}"
            )
        self.durability = durability
        self.store: RunStore = open_store(store) if isinstance(store, str | Path) else store
        self.lease_seconds = float(lease_seconds)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.saver = self.store.open_saver()
        self.graph = build_graph(
            table, nodes=nodes, engine=engine, verifier=verifier, checkpointer=self.saver
        )
        self.on_event = on_event
        self._heartbeat: _Heartbeat | None = None

    # -- loop -----------------------------------------------------------------------------

    def run_once(self) -> str | None:
        """Claim one run and take it to its next stop (finished, rejected, waiting_review,
        failed). Returns the run id, or None when nothing was claimable."""
        run = self.store.claim(self.worker_id, self.lease_seconds)
        if run is None:
            return None
        self.execute(Lease.of(run))
        return run["id"]

    def drain(self, max_runs: int | None = None) -> list[str]:
        """``run_once`` until nothing is claimable (or ``max_runs`` runs were taken)."""
        done: list[str] = []
        while max_runs is None or len(done) < max_runs:
            run_id = self.run_once()
            if run_id is None:
                break
            done.append(run_id)
        return done

    def serve(self, poll_s: float = 0.5, stop: threading.Event | None = None) -> None:
        """Work until ``stop`` is set (or forever), polling every ``poll_s`` seconds when idle."""
        stop = stop or threading.Event()
        while not stop.is_set():
            if self.run_once() is None:
                stop.wait(poll_s)

    # -- one run --------------------------------------------------------------------------

    def execute(self, lease: Lease) -> None:
        """Run the run ``lease`` holds (from ``claim``) to its next stop. Any exception ends
        the run ``failed`` with the error recorded (never a silent empty success); a lost
        lease stops it with a ``lease_lost`` event and nothing else written."""
        if self._heartbeat is None:
            self._heartbeat = _Heartbeat(self.store.url, self.worker_id, self.lease_seconds)
            self._heartbeat.start()
        lost = self._heartbeat.watch(lease)
        recorder = RunRecorder(self.store, lease, self.on_event)
        try:
            try:
                self._execute(recorder, lost)
            except LeaseLost:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded and surfaced as status failed
                log.exception("run %s failed", lease.run_id)
                recorder.failed(exc)
        except LeaseLost:
            log.warning("run %s: lease lost to another worker; stopping", lease.run_id)
            recorder.lease_lost()
        finally:
            self._heartbeat.unwatch()

    def _execute(self, recorder: RunRecorder, lost: threading.Event) -> None:
        run_id = recorder.run_id
        cfg = {
            "configurable": {"thread_id": run_id, LEASE_KEY: recorder.lease},
            "recursion_limit": RECURSION_LIMIT,
        }
        snap = self.graph.get_state(cfg)
        if not snap.values:
            graph_input: Any = initial_state(self.store.task(run_id))
            recorder.started()
        elif snap.interrupts:
            pending = recorder.pending_decision({i.id for i in snap.interrupts})
            if pending is None:
                recorder.interrupted(snap)
                return
            recorder.resume_item, interrupt_id, decision = pending
            graph_input = Command(resume={interrupt_id: decision.model_dump(mode="json")})
        elif not snap.next and not snap.tasks:  # at END (tasks whose writes are saved but
            # whose next checkpoint is not - a crash in between - also show next == ())
            recorder.backfill(list(self.graph.get_state_history(cfg)))
            recorder.pending_decision(set())
            recorder.finished(snap.values)
            return
        else:
            graph_input = None
            recorder.backfill(list(self.graph.get_state_history(cfg)))
            recorder.pending_decision(set())  # a decision applied before the crash
            recorder.resumed(snap.metadata.get("step"))

        flushed = time.monotonic()
        turns: list[Turn]  # reported by the guard, not yet recorded
        with recording_turns() as turns, reporting_calls(recorder.model_call):
            for _ in self.graph.stream(
                graph_input, cfg, stream_mode="updates", durability=self.durability
            ):
                if lost.is_set():
                    raise LeaseLost(run_id)
                if time.monotonic() - flushed >= FLUSH_S:
                    recorder.record(turns)
                    flushed = time.monotonic()
        recorder.record(turns)

        last = recorder.last
        if last is not None and last.node == END_NODE and last.goto is None:
            # the end node's turn ended the run: its state and update are the final values
            recorder.finished(last.values_after())
            return
        snap = self.graph.get_state(cfg)
        if snap.interrupts:
            recorder.interrupted(snap)
        elif not snap.next:
            recorder.finished(snap.values)
        else:  # pragma: no cover - the stream only ends at an interrupt or at END
            raise RuntimeError(f"graph stopped before the end with next={snap.next}")


def run_tasks(
    store: RunStore, tasks: Iterable[Task], *, worker: Worker | None = None, **worker_kwargs: Any
) -> list[str]:
    """Submit ``tasks`` and work until none of them can move (each is finished, rejected,
    waiting_review or failed). Returns the run ids in task order."""
    run_ids = [store.submit(t) for t in tasks]
    (worker or Worker(store, **worker_kwargs)).drain()
    return run_ids
