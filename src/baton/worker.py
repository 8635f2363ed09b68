"""The worker: claims queued runs (new ones, ones a reviewer has decided, ones whose worker
died) with a lease and a heartbeat, runs the compiled graph with ``thread_id = run_id``, and
records what happens.

For each claimed run the worker picks up exactly where the checkpoints say:

- no checkpoint yet: start from the task;
- paused at ``review`` with a decided item: ``Command(resume={interrupt_id: decision})``;
- paused at ``review`` with no decision: back to ``waiting_review``;
- a checkpoint mid-run (the previous worker died): continue from it (``input=None``).

It records the guard's ``Turn`` reports (``recording_turns``: the state each node received
and the update it wrote) while it streams the graph with ``durability="sync"`` by default (a
checkpoint is on disk before its events are written, so a crash can never leave events ahead
of the checkpoints; with ``"async"`` it can, and the step a crash lost runs again while its first
record stands); each turn becomes ``events`` rows keyed by the superstep, and a mark in the
effects ledger keyed by LangGraph's task id, so replaying a step after a crash writes nothing
twice (at-least-once execution, exactly-once records). An interrupt becomes a
``review_items`` row.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from typing import Any

from langgraph.types import Command

from baton import audit
from baton.checkpoints import Store, open_saver
from baton.checkpoints.ledger import START, Ledger
from baton.contracts import Report, ReviewRequest, Task
from baton.errors import ConfigError, LeaseLost
from baton.graph import Turn, build_graph, initial_state, recording_turns
from baton.graph.state import account_of, claims_of, report_of, verdicts_of
from baton.graph.table import END_NODE

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


def _counts(values: Mapping[str, Any]) -> dict[str, int]:
    verdicts = verdicts_of(values)
    out = {"claims": len(claims_of(values)), "supported": 0, "unsupported": 0, "contradicted": 0}
    for v in verdicts:
        out[v.label] += 1
    return out


class _Heartbeat(threading.Thread):
    """One per ``Worker``, started with its first run: every ``lease_s / 3`` seconds it
    extends the lease of the run the worker is executing (``watch``), on its own connection,
    opened at the first beat. A beat that finds the lease taken sets that run's ``lost``
    event. One thread for all runs: starting a thread per run cost about 1 ms a run."""

    def __init__(self, path: str, worker_id: str, lease_s: float):
        super().__init__(daemon=True, name=f"heartbeat-{worker_id}")
        self.path, self.worker_id, self.lease_s = path, worker_id, lease_s
        self._lock = threading.Lock()
        self._current: tuple[str, threading.Event] | None = None

    def watch(self, run_id: str) -> threading.Event:
        """Beat for ``run_id`` from now on; returns the event set if its lease is lost."""
        lost = threading.Event()
        with self._lock:
            self._current = (run_id, lost)
        return lost

    def unwatch(self) -> None:
        with self._lock:
            self._current = None

    def run(self) -> None:
        store: Store | None = None
        try:
            while True:
                time.sleep(max(0.05, self.lease_s / 3))
                with self._lock:
                    current = self._current
                if current is None:
                    continue
                run_id, lost = current
                store = store or Store(self.path)
                if not store.heartbeat(run_id, self.worker_id, self.lease_s):
                    lost.set()
        finally:  # pragma: no cover - a daemon thread ends with its process
            if store is not None:
                store.close()


class Worker:
    """Runs queued work from one database.

    - ``store``: a ``Store`` or a path to the SQLite file.
    - ``engine``, ``verifier``, ``table``, ``nodes``: passed to ``build_graph``.
    - ``lease_seconds``: how long a claim lasts without a heartbeat (default 60 s).
    - ``durability``: ``"sync"`` (default) or ``"async"``, see ``DURABILITY``; anything else
      raises ``ConfigError``.
    - ``on_event``: called with each event dict as it is written (for progress displays).
    """

    def __init__(
        self,
        store: Store | str,
        *,
        engine: Any = None,
        verifier: Callable[..., Any] | None = None,
        table: Mapping[str, Iterable[str]] | None = None,
        nodes: Mapping[str, Any] | None = None,
        lease_seconds: float = 60.0,
        worker_id: str | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        durability: str = DURABILITY,
    ):
        if durability not in DURABILITIES:
            raise ConfigError(
                f"durability must be one of {', '.join(DURABILITIES)}, not {durability!r}"
            )
        self.durability = durability
        self.store = store if isinstance(store, Store) else Store(store)
        self.lease_seconds = float(lease_seconds)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.ledger = Ledger(self.store)
        self.saver = open_saver(self.store.path)
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
        self.execute(run["id"])
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

    def _emit(self, run_id: str, *events: Mapping[str, Any], **event: Any) -> None:
        """Write audit events (``Store.add_event`` keyword dicts, or one as keywords) in one
        transaction, then pass the ones written (not replays) to ``on_event``. See ``baton.audit``."""
        batch = [*events, event] if event else list(events)
        if self.on_event is None:  # one statement; nobody needs to know which rows are new
            with self._locked(), self.store.transaction():
                self.store.add_events(run_id, batch)
            return
        with self._locked(), self.store.transaction():
            written = [e for e in batch if self.store.add_event(run_id, **e)]
        for e in written:
            self.on_event({"run_id": run_id, **e})

    def _locked(self) -> Any:
        """Hold the checkpointer's lock (re-entrant use is avoided by callers): a checkpoint
        write in progress on the saver's own connection is waited for in-process, not by
        SQLite's busy handler (sleeps of >= 1 ms)."""
        if self.store.conn.in_transaction:
            return nullcontext()
        return getattr(self.saver, "lock", None) or nullcontext()

    def execute(self, run_id: str) -> None:
        """Run the claimed ``run_id`` to its next stop. Any exception ends the run ``failed``
        with the error recorded (never a silent empty success)."""
        if self._heartbeat is None:
            self._heartbeat = _Heartbeat(self.store.path, self.worker_id, self.lease_seconds)
            self._heartbeat.start()
        lost = self._heartbeat.watch(run_id)
        try:
            self._execute(run_id, lost)
        except LeaseLost:
            log.warning("run %s: lease lost to another worker; stopping", run_id)
        except Exception as exc:  # noqa: BLE001 - recorded and surfaced as status failed
            log.exception("run %s failed", run_id)
            detail = f"{type(exc).__name__}: {exc}"
            self._emit(
                run_id,
                step=None,
                node="",
                kind="failure",
                summary=f"worker error: {detail[:300]}",
                payload={"error": detail},
            )
            self.store.release(run_id, self.worker_id, "failed", reason="error", error=detail)
        finally:
            self._heartbeat.unwatch()

    def _execute(self, run_id: str, lost: threading.Event) -> None:
        cfg = {"configurable": {"thread_id": run_id}, "recursion_limit": RECURSION_LIMIT}
        snap = self.graph.get_state(cfg)
        resume_item: str | None = None
        if not snap.values:
            task = self.store.task(run_id)
            graph_input: Any = initial_state(task)
            self._started(run_id)
        elif snap.interrupts:
            pending = self._pending_decision(run_id, {i.id for i in snap.interrupts})
            if pending is None:
                self._stop_at_interrupt(run_id, snap)
                return
            resume_item, interrupt_id, decision = pending
            graph_input = Command(resume={interrupt_id: decision.model_dump(mode="json")})
        elif not snap.next and not snap.tasks:  # at END (tasks whose writes are saved but
            # whose next checkpoint is not - a crash in between - also show next == ())
            self._backfill(run_id, cfg)
            self._pending_decision(run_id, set())
            self._finish(run_id, snap.values)
            return
        else:
            graph_input = None
            self._backfill(run_id, cfg)
            self._pending_decision(run_id, set())  # a decision applied before the crash
            self._emit(
                run_id,
                step=snap.metadata.get("step"),
                node="",
                kind="status",
                summary="resumed from checkpoint after a lost worker",
            )

        flushed = time.monotonic()
        turns: list[Turn]  # reported by the guard, not yet recorded (see the stream below)
        last: Turn | None = None  # the latest turn recorded

        def flush() -> None:
            """Record the buffered turns (events, ledger marks) and the run's progress in one
            transaction. With ``sync`` durability LangGraph has saved a superstep's checkpoint
            before the stream yields its update, so no event gets ahead of its checkpoint. A
            crash before a flush loses nothing: the next worker backfills every turn the
            ledger has no mark for."""
            nonlocal resume_item, last
            if not turns:
                return
            events: list[Mapping[str, Any]] = []
            with self._locked(), self.store.transaction():
                for t in turns:
                    events += audit.update_events(
                        t.step,
                        t.node,
                        t.update,
                        t.state,
                        duration_ms=t.seconds * 1000,
                        ended_at=t.ended_at,
                    )
                    if t.node == "review" and resume_item:
                        self.store.mark_applied(resume_item)
                        resume_item = None
                if events:
                    self._emit(run_id, *events)
                self.ledger.mark_all(
                    run_id, [(t.node, t.task_id or "") for t in turns], "events", self.worker_id
                )
                last = turns[-1]
                values = last.values_after()
                held = self.store.progress(
                    run_id,
                    self.worker_id,
                    hops=int(account_of(values).get("hops", 0)),
                    max_hops=int(account_of(values).get("max_hops", 0)),
                    current_node=last.goto,
                    **_counts(values),
                )
            turns.clear()
            if not held:
                raise LeaseLost(run_id)

        with recording_turns() as turns:
            for _ in self.graph.stream(
                graph_input, cfg, stream_mode="updates", durability=self.durability
            ):
                if lost.is_set():
                    raise LeaseLost(run_id)
                if time.monotonic() - flushed >= FLUSH_S:
                    flush()
                    flushed = time.monotonic()
        flush()

        if last is not None and last.node == END_NODE and last.goto is None:
            # the end node's turn ended the run: its state and update are the final values
            self._finish(run_id, last.values_after())
            return
        snap = self.graph.get_state(cfg)
        if snap.interrupts:
            self._stop_at_interrupt(run_id, snap)
        elif not snap.next:
            self._finish(run_id, snap.values)
        else:  # pragma: no cover - the stream only ends at an interrupt or at END
            raise RuntimeError(f"graph stopped before the end with next={snap.next}")

    # -- crash recovery (effects ledger, see baton.checkpoints.ledger) -------------------------

    def _started(self, run_id: str) -> None:
        """The ``started`` event, exactly once per run (claimed in the ledger in the same
        transaction, so a worker killed before the first checkpoint cannot make it twice)."""
        event = {"step": None, "node": "", "kind": "status", "summary": "started"}
        if (
            self.ledger.write_once(
                run_id,
                "",
                START,
                "started",
                lambda: self.store.add_event(run_id, **event),
                self.worker_id,
            )
            and self.on_event
        ):
            self.on_event({"run_id": run_id, **event})

    def _pending_decision(
        self, run_id: str, interrupt_ids: set[str]
    ) -> tuple[str, str, Any] | None:
        """The decided, unapplied review item for one of ``interrupt_ids``. A decided item whose
        interrupt is no longer pending was applied by a worker that died before marking it:
        it is marked applied now, so it can never be replayed onto a later interrupt."""
        while True:
            pending = self.store.decided_unapplied(run_id)
            if pending is None or pending[1] in interrupt_ids:
                return pending
            log.warning(
                "run %s: review item %s was applied before a crash; marking it applied",
                run_id,
                pending[0],
            )
            self.store.mark_applied(pending[0])

    def _backfill(self, run_id: str, cfg: dict[str, Any]) -> int:
        """Record the events of every turn whose writes are saved and that the effects ledger
        has no mark for (a worker died between saving them and recording them), keyed by
        LangGraph's task id. Returns the turns recorded."""
        n = 0
        for snap in reversed(list(self.graph.get_state_history(cfg))):  # oldest first
            for task in snap.tasks:
                if task.name.startswith("__") or not isinstance(task.result, Mapping):
                    continue
                if self.ledger.done(run_id, task.name, task.id, "events"):
                    continue
                step = snap.metadata.get("step")
                self._emit(
                    run_id,
                    *audit.update_events(
                        None if step is None else step + 1,
                        task.name,
                        task.result,
                        snap.values,
                        duration_ms=0.0,
                    ),
                )
                self.ledger.mark(run_id, task.name, task.id, "events", self.worker_id)
                n += 1
        return n

    def _stop_at_interrupt(self, run_id: str, snap: Any) -> None:
        reason = None
        for intr in snap.interrupts:
            request = ReviewRequest.model_validate(intr.value)
            reason = request.reason
            item_id = self.store.add_review_item(run_id, intr.id, request)
            self._emit(
                run_id,
                step=snap.metadata.get("step"),
                node="review",
                kind="interrupt",
                hop=request.hop,
                summary=f"paused for review: {request.reason}"
                + (f" ({request.bound})" if request.bound else ""),
                payload={
                    "item_id": item_id,
                    "interrupt_id": intr.id,
                    "reason": request.reason,
                    "bound": request.bound,
                },
            )
        values = snap.values
        self.store.release(
            run_id,
            self.worker_id,
            "waiting_review",
            reason=reason,
            current_node="review",
            hops=int(account_of(values).get("hops", 0)),
            **_counts(values),
        )

    def _finish(self, run_id: str, values: Mapping[str, Any]) -> None:
        report: Report | None = report_of(values)
        if report is None:
            raise RuntimeError("the run ended without a report")
        outcome = values.get("outcome") or "finished"
        reason = "completed" if outcome == "finished" else "rejected by reviewer"
        self.store.release(
            run_id,
            self.worker_id,
            outcome,
            reason=reason,
            report=report,
            current_node=None,
            hops=int(account_of(values).get("hops", 0)),
            **_counts(values),
        )


def run_tasks(
    store: Store, tasks: Iterable[Task], *, worker: Worker | None = None, **worker_kwargs: Any
) -> list[str]:
    """Submit ``tasks`` and work until none of them can move (each is finished, rejected,
    waiting_review or failed). Returns the run ids in task order."""
    run_ids = [store.submit(t) for t in tasks]
    (worker or Worker(store, **worker_kwargs)).drain()
    return run_ids
