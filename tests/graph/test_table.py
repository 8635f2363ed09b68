from pathlib import Path

import pytest

from baton.errors import GraphValidationError
from baton.graph import DEFAULT_TABLE, build_graph, default_table, draw_mermaid, validate_table

SNAPSHOT = Path(__file__).parent / "snapshots" / "default_graph.mmd"


def test_default_table_is_valid_and_hub_and_spoke():
    table = validate_table(DEFAULT_TABLE)
    for specialist in ("research", "analyze", "write", "verify"):
        assert table[specialist] == {"supervise"}
    assert table["review"] == {"supervise", "finish"}
    assert table["finish"] == set()


@pytest.mark.parametrize(
    ("mutate", "node", "message"),
    [
        (lambda t: t["supervise"].add("summarize"), "summarize", "unknown node"),
        (lambda t: t.update({"orphan": {"supervise"}}), "orphan", "unreachable"),
        (
            lambda t: (t["supervise"].add("loop"), t.update({"loop": {"loop"}})),
            "loop",
            "no way to 'finish'",
        ),
        (
            lambda t: t.pop("review") and [s.discard("review") for s in t.values()],
            "review",
            "no 'review' node",
        ),
        (lambda t: t["finish"].add("supervise"), "finish", "must not transition"),
    ],
)
def test_bad_tables_are_refused_naming_the_node(mutate, node, message):
    table = default_table()
    mutate(table)
    with pytest.raises(GraphValidationError) as err:
        validate_table(table)
    assert err.value.node == node
    assert message in str(err.value)


def test_a_node_without_implementation_is_refused_by_build_graph():
    table = default_table()
    table["summarize"] = {"supervise"}
    table["supervise"].add("summarize")
    with pytest.raises(
        GraphValidationError, match="'summarize' is in the table but has no implementation"
    ):
        build_graph(table)


def test_a_node_without_failure_path_is_refused():
    table = default_table()
    table["side"] = {"finish"}
    table["supervise"].add("side")
    with pytest.raises(GraphValidationError, match="no failure path") as err:
        validate_table(table)
    assert err.value.node == "side"


def test_mermaid_drawing_matches_the_snapshot():
    drawing = draw_mermaid(DEFAULT_TABLE)
    assert drawing == SNAPSHOT.read_text(encoding="utf-8")


def test_mermaid_drawing_follows_the_table():
    table = default_table()
    table["summarize"] = {"supervise"}
    table["supervise"].add("summarize")
    drawing = draw_mermaid(table)
    assert "supervise --> summarize" in drawing
    assert "summarize -.-> supervise" in drawing
    # every edge of the table is drawn, and no other
    edges = {
        line.strip()
        for line in drawing.splitlines()
        if ("-->" in line or "-.->" in line) and "__" not in line
    }
    expected = sum(len(v) for v in table.values())
    assert len(edges) == expected
