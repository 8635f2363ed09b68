"""baton's checkpointers: compact channel versions, and threads written by LangGraph's stock
savers resumed by baton's."""

from __future__ import annotations

import random

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from baton.checkpoints import connect, open_saver, serializer
from baton.checkpoints.saver import VERSION_DIGITS, next_version
from baton.graph import build_graph, initial_state
from baton.inspect import fork
from baton.state import claims_of, decisions_of, report_of


def stock_version(n: int) -> str:
    """A version as LangGraph's SqliteSaver and InMemorySaver write it."""
    return f"{n:032}.{random.random():016}"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, "0000000001"),
        (0, "0000000001"),
        (41, "0000000042"),
        ("0000000009", "0000000010"),
        (stock_version(41), "0000000042"),
    ],
)
def test_next_version_counts_in_fixed_width_digits(current, expected):
    assert next_version(current) == expected
    assert len(expected) == VERSION_DIGITS


def test_compact_versions_sort_in_counter_order_and_after_stock_ones():
    """LangGraph compares versions of a channel with ``>`` and takes the ``max`` over all
    channels: string order must be counter order, also across the two formats."""
    compact = [next_version(n) for n in range(0, 12_000, 7)]
    assert sorted(compact) == compact
    for n in (1, 9, 10, 99, 12_345, 10**9 - 2):
        old = stock_version(n)
        assert next_version(old) > old
        assert max([old, next_version(old), stock_version(n - 1)]) == next_version(old)


def test_sqlite_checkpoints_carry_compact_versions_and_forks_keep_their_values(
    db_path, answer_task, verifier
):
    """Forks of one thread reach the same counters: each checkpoint must still read back its
    own values (the hazard the stock random suffix guards against in blob-keyed savers)."""
    saver = open_saver(db_path)
    graph = build_graph(checkpointer=saver, verifier=verifier)
    cfg = {"configurable": {"thread_id": "compact"}}
    graph.invoke(initial_state(answer_task), cfg)
    history = list(saver.list(cfg))
    assert len(history) > 5
    for saved in history:
        versions = saved.checkpoint["channel_versions"]
        assert versions
        assert all(len(v) == VERSION_DIGITS and v.isdigit() for v in versions.values())
    end = graph.get_state(cfg)
    assert end.values["outcome"] == "finished" and len(end.values["claims"]) == 3

    snaps = list(graph.get_state_history(cfg))
    at_verify = next(s for s in snaps if s.next == ("verify",))
    branch = fork(
        graph,
        "compact",
        at_verify.config["configurable"]["checkpoint_id"],
        {"claims": at_verify.values["claims"][:1]},
    )
    forked = graph.invoke(None, branch)
    assert [c.id for c in forked["claims"]] == ["c1"]
    for before in history:  # every checkpoint of the first branch reads as it did
        assert saver.get_tuple(before.config).checkpoint == before.checkpoint
    for snap in snaps:
        again = graph.get_state(snap.config)
        assert (again.values, again.next) == (snap.values, snap.next)
    assert [c.id for c in claims_of(graph.get_state(end.config).values)] == ["c1", "c2", "c3"]


def test_a_thread_paused_by_the_stock_saver_resumes_under_baton(db_path, check_task, verifier):
    """A database written before compact versions: a run paused for review by LangGraph's
    own SqliteSaver (versions of 32 digits, a dot and a random fraction) is resumed by
    ``open_saver`` and finishes; only review and finish run after the decision."""
    conn = connect(db_path)
    stock = SqliteSaver(conn, serde=serializer())
    stock.setup()
    cfg = {"configurable": {"thread_id": "old"}}
    old_graph = build_graph(checkpointer=stock, verifier=verifier)
    old_graph.invoke(initial_state(check_task), cfg)
    paused = old_graph.get_state(cfg)
    assert paused.next == ("review",)
    old_versions = stock.get_tuple(cfg).checkpoint["channel_versions"]
    assert all(len(v) > 40 and "." in v for v in old_versions.values())  # 32 digits . random
    conn.close()

    saver = open_saver(db_path)
    graph = build_graph(checkpointer=saver, verifier=verifier)
    (intr,) = graph.get_state(cfg).interrupts
    graph.invoke(Command(resume={intr.id: {"action": "approve", "reviewer": "ana"}}), cfg)
    snap = graph.get_state(cfg)
    assert snap.next == () and snap.values["outcome"] == "finished"
    assert report_of(snap.values) is not None
    assert [d.action for d in decisions_of(snap.values)] == ["approve"]
    added = snap.values["trace"][len(paused.values["trace"]) :]
    assert added == ["review (contradicted): approve by ana", "finish: finished"]
    versions = saver.get_tuple(cfg).checkpoint["channel_versions"]
    rewritten = {k for k, v in versions.items() if len(v) == VERSION_DIGITS}
    assert {"review", "outcome", "report"} <= {k.removeprefix("branch:to:") for k in rewritten}
    for chan, v in versions.items():
        if chan in old_versions and v != old_versions[chan]:
            assert v > old_versions[chan]
