"""Import direction of the graph side: the nodes, the state, the routing rules and the
specialist type never import ``baton.graph``; ``finish`` does not import an engine; and no
module of baton.graph, baton.nodes, baton.engines or the leaves beside them imports another
that imports it back (module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = ("baton.graph", "baton.nodes", "baton.engines")
LEAVES = (
    "baton.state",
    "baton.names",
    "baton.specialists",
    "baton.routing",
    "baton.answer",
    "baton.faults",
    "baton.contracts",
    "baton.policy",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "baton").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every baton module ``name`` imports (with the packages a dotted import initialises)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            targets = [t for t in subs if t in MODULES] or [node.module]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            parts = t.split(".")
            found.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
    return {m for m in found if m in MODULES and m != name and not name.startswith(m + ".")}


def _ours(name: str) -> bool:
    return name in LEAVES or any(name == p or name.startswith(p + ".") for p in PACKAGES)


def test_nodes_state_and_routing_never_import_the_graph():
    lower = [m for m in MODULES if m.startswith("baton.nodes") or m in LEAVES]
    assert {m: sorted(i for i in _imports(m) if i.startswith("baton.graph")) for m in lower} == {
        m: [] for m in lower
    }


def test_finish_composes_with_the_neutral_composer_not_an_engine():
    assert not any(i.startswith("baton.engines") for i in _imports("baton.nodes.finish"))
    assert "baton.answer" in _imports("baton.nodes.finish")


def test_no_import_cycle_on_the_graph_side():
    ours = sorted(m for m in MODULES if _ours(m))
    edges = {m: {i for i in _imports(m) if _ours(i)} for m in ours}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    assert [m for m in ours if reaches(m, m)] == []
