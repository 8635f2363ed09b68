"""The effects ledger: which side effects of a run a worker has completed, keyed by run, node
and ``key`` (LangGraph's task id for a node turn's events, ``START`` before the first
checkpoint), so a worker that resumes a run after a crash neither repeats nor loses one.

LangGraph gives at-least-once execution (a superstep cut short by a crash runs again); the
ledger and the ``events`` table's unique key make the *records* exactly-once:

- an effect that is not naturally idempotent (the ``started`` event) is claimed in the same
  transaction that writes it (``Ledger.write_once``): a crash rolls back both;
- an idempotent write (a node's events, unique per run/step/node/kind) is marked done after
  it is written (``Ledger.mark``); a worker resuming a run re-records every turn whose writes
  are saved and that has no mark (a turn saved just before a crash), so nothing is lost.

Each store has its ledger (``store.ledger``, a ``Ledger``); ``duplicates(store)`` and
``lost(store)`` count what a double write or a crash would have left (for tests and
``bench/faults.py``).
"""

from __future__ import annotations

from baton.checkpoints.protocol import Ledger, RunStore

__all__ = ["START", "Ledger", "duplicates", "lost"]

START = "start"
"""The ``key`` of effects that come before the first checkpoint."""


def duplicates(store: RunStore) -> dict[str, int]:
    """Rows that exist more than once where a side effect must be written once:

    - ``events``: the same (run, superstep, node, kind, summary) of a superstep (rows written as
      they happen, with no step, such as model calls, are never replays), two ``queued`` or
      ``started`` status events, and a decision event written twice for one item;
    - ``review_items``: two items for one (run, interrupt);
    - ``decisions``: two decisions for one item;
    - ``reports``: a run whose final status was recorded twice (two terminal status events).

    Returns ``{table: number of surplus rows}``; all zeros when nothing was written twice.
    """
    return store.ledger.duplicates()


def lost(store: RunStore) -> dict[str, int]:
    """Work a crash could have lost: ``decisions`` recorded but never applied to a run that has
    moved on (its item still ``decided`` while the run is finished / rejected / failed), and
    ``runs`` stuck ``running`` with no live lease."""
    return store.ledger.lost()
