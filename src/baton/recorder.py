"""``RunRecorder``: what a worker writes about the run it holds: the audit trail (``events``),
the effects-ledger marks that make those records exactly-once, review items, the run's
progress and its final row. The worker (``baton.worker``) decides what to run; the recorder
records it, through a ``RunStore`` only.

Turns come from the guard (``baton.graph.recording_turns``: the state each node received and
the update it wrote). With ``sync`` durability LangGraph has saved a superstep's checkpoint
before the stream yields its update, so no event gets ahead of its checkpoint. A crash before
``record`` loses nothing: the next worker ``backfill``s every turn the ledger has no mark
for, keyed by LangGraph's task id (at-least-once execution, exactly-once records).

Every write goes through ``RunStore.fenced(lease)``: once another worker has claimed the run
(a new ``lease_epoch``) each of them raises ``LeaseLost`` and writes nothing; the worker then
stops and ``lease_lost`` records it (the one unfenced write, an audit row only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from baton import audit
from baton.checkpoints import Lease, RunStore
from baton.checkpoints.ledger import START
from baton.contracts import Decision, Report, ReviewRequest, RunStatus
from baton.errors import LeaseLost
from baton.graph import Turn
from baton.state import report_of
from baton.summary import RunSummary

log = logging.getLogger("baton.worker")

EventSink = Callable[[dict[str, Any]], None]
"""Called with each event dict (``{"run_id", **event}``) as it is written (not replays)."""


class RunRecorder:
    """Records the run ``lease`` holds in ``store``, every write fenced by the lease.

    ``resume_item`` is the review item whose decision the run is resuming with: it is marked
    applied in the same transaction as the review node's recorded turn.
    """

    def __init__(
        self,
        store: RunStore,
        lease: Lease,
        on_event: EventSink | None = None,
    ):
        self.store = store
        self.lease = lease
        self.run_id = lease.run_id
        self.worker_id = lease.owner
        self.on_event = on_event
        self.resume_item: str | None = None
        self.last: Turn | None = None
        """The latest turn recorded."""
        self._lock = threading.RLock()  # model-call events come from the turn threads

    # -- events -------------------------------------------------------------------------

    def emit(self, *events: Mapping[str, Any], **event: Any) -> None:
        """Write audit events (``RunStore.add_event`` keyword dicts, or one as keywords) in
        one fenced transaction, then pass the ones written (not replays) to ``on_event``.
        Raises ``LeaseLost``."""
        batch = [*events, event] if event else list(events)
        with self._lock:
            if self.on_event is None:  # one statement; nobody needs to know which rows are new
                with self.store.fenced(self.lease):
                    self.store.add_events(self.run_id, batch)
                return
            with self.store.fenced(self.lease):
                written = [e for e in batch if self.store.add_event(self.run_id, **e)]
        for e in written:
            self.on_event({"run_id": self.run_id, **e})

    def model_call(self, event: Mapping[str, Any]) -> None:
        """Write a model-call event (``baton.usage.CallSink``: a call starting or ending, a
        structured-output fallback, a call retried) now, from the turn's thread, so a slow
        turn is visible while it runs (``step`` None: these rows are never replays)."""
        self.emit({"step": None, **event})

    def started(self) -> None:
        """The ``started`` event, exactly once per run (claimed in the ledger in the same
        transaction, so a worker killed before the first checkpoint cannot make it twice)."""
        event = {"step": None, "node": "", "kind": "status", "summary": "started"}
        with self.store.fenced(self.lease):
            written = self.store.ledger.write_once(
                self.run_id,
                "",
                START,
                "started",
                lambda: self.store.add_event(self.run_id, **event),
                self.worker_id,
            )
        if written and self.on_event:
            self.on_event({"run_id": self.run_id, **event})

    def resumed(self, step: int | None) -> None:
        self.emit(
            step=step,
            node="",
            kind="status",
            summary="resumed from checkpoint after a lost worker",
        )

    def record(self, turns: list[Turn]) -> None:
        """Record ``turns`` (events, ledger marks, the applied decision) and the run's progress
        in one transaction, then clear ``turns``. Raises ``LeaseLost`` when this worker no
        longer holds the run."""
        if not turns:
            return
        events: list[Mapping[str, Any]] = []
        with self._lock, self.store.fenced(self.lease):
            for t in turns:
                events += audit.update_events(
                    t.step,
                    t.node,
                    t.update,
                    t.state,
                    duration_ms=t.seconds * 1000,
                    ended_at=t.ended_at,
                )
                if t.node == "review" and self.resume_item:
                    self.store.mark_applied(self.resume_item)
                    self.resume_item = None
            if events:
                self.emit(*events)
            self.store.ledger.mark_all(
                self.run_id, [(t.node, t.task_id or "") for t in turns], "events", self.worker_id
            )
            self.last = turns[-1]
            summary = RunSummary.from_values(self.last.values_after(), current_node=self.last.goto)
            held = self.store.progress(self.run_id, self.worker_id, **summary.progress())
        turns.clear()
        if not held:
            raise LeaseLost(self.run_id)

    # -- crash recovery (the effects ledger, see baton.checkpoints.ledger) ---------------

    def pending_decision(self, interrupt_ids: set[str]) -> tuple[str, str, Decision] | None:
        """The decided, unapplied review item for one of ``interrupt_ids``. A decided item whose
        interrupt is no longer pending was applied by a worker that died before marking it:
        it is marked applied now, so it can never be replayed onto a later interrupt."""
        while True:
            pending = self.store.decided_unapplied(self.run_id)
            if pending is None or pending[1] in interrupt_ids:
                return pending
            log.warning(
                "run %s: review item %s was applied before a crash; marking it applied",
                self.run_id,
                pending[0],
            )
            with self.store.fenced(self.lease):
                self.store.mark_applied(pending[0])

    def backfill(self, history: list[Any]) -> int:
        """Record the events of every turn whose writes are saved and that the effects ledger
        has no mark for (a worker died between saving them and recording them), keyed by
        LangGraph's task id. ``history`` is ``graph.get_state_history(config)`` (newest
        first). Returns the turns recorded."""
        n = 0
        for snap in reversed(history):  # oldest first
            for task in snap.tasks:
                if task.name.startswith("__") or not isinstance(task.result, Mapping):
                    continue
                if self.store.ledger.done(self.run_id, task.name, task.id, "events"):
                    continue
                step = snap.metadata.get("step")
                with self.store.fenced(self.lease):
                    self.emit(
                        *audit.update_events(
                            None if step is None else step + 1,
                            task.name,
                            task.result,
                            snap.values,
                            duration_ms=0.0,
                        ),
                    )
                    self.store.ledger.mark(
                        self.run_id, task.name, task.id, "events", self.worker_id
                    )
                n += 1
        return n

    # -- where the run stops ------------------------------------------------------------

    def interrupted(self, snap: Any) -> None:
        """The run paused at ``snap``'s interrupts: a review item per interrupt, an
        ``interrupt`` event, and the run released as ``waiting_review``, in one fenced
        transaction. Raises ``LeaseLost``."""
        with self.store.fenced(self.lease):
            self._interrupted(snap)

    def _interrupted(self, snap: Any) -> None:
        reason = None
        for intr in snap.interrupts:
            request = ReviewRequest.model_validate(intr.value)
            reason = request.reason
            item_id = self.store.add_review_item(self.run_id, intr.id, request)
            self.emit(
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
        summary = RunSummary.from_values(snap.values)
        self._release(
            "waiting_review",
            reason=reason,
            current_node="review",
            hops=summary.hops,
            **summary.counts(),
        )

    def finished(self, values: Mapping[str, Any]) -> None:
        """The run ended (``values`` is its final state): released as ``finished`` or
        ``rejected`` with its report. Raises ``RuntimeError`` when there is no report."""
        report: Report | None = report_of(values)
        if report is None:
            raise RuntimeError("the run ended without a report")
        outcome: RunStatus = values.get("outcome") or "finished"
        reason = "completed" if outcome == "finished" else "rejected by reviewer"
        summary = RunSummary.from_values(values)
        with self.store.fenced(self.lease):
            self._release(
                outcome,
                reason=reason,
                report=report,
                current_node=None,
                hops=summary.hops,
                **summary.counts(),
            )

    def failed(self, exc: BaseException) -> None:
        """The run failed with ``exc`` (a worker error): a ``failure`` event and the run
        released as ``failed`` with the error recorded, in one fenced transaction. Raises
        ``LeaseLost``."""
        detail = f"{type(exc).__name__}: {exc}"
        with self.store.fenced(self.lease):
            self.emit(
                step=None,
                node="",
                kind="failure",
                summary=f"worker error: {detail[:300]}",
                payload={"error": detail},
            )
            self._release("failed", reason="error", error=detail)

    def lease_lost(self) -> None:
        """The one unfenced write: a ``lease_lost`` audit event saying this worker stopped
        because another one claimed the run (it changes no run state; the successor owns
        the row). ``node`` is where this worker was, ``payload`` ``{worker_id, epoch}``."""
        node = (self.last.goto or self.last.node) if self.last is not None else ""
        event = {
            "step": None,
            "node": node if isinstance(node, str) else "",
            "kind": "lease_lost",
            "summary": f"lease lost by {self.worker_id} (epoch {self.lease.epoch})",
            "payload": {"worker_id": self.worker_id, "epoch": self.lease.epoch},
        }
        if self.store.add_event(self.run_id, **event) and self.on_event:
            self.on_event({"run_id": self.run_id, **event})

    def _release(self, status: RunStatus, **fields: Any) -> None:
        """``RunStore.release`` inside the caller's fenced transaction; ``LeaseLost`` when it
        found the run released already."""
        if not self.store.release(self.run_id, self.worker_id, status, **fields):
            raise LeaseLost(self.run_id)
