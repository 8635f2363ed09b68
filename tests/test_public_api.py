import importlib

import baton

PINNED = [
    "BatonError",
    "CheckResult",
    "Claim",
    "ClaimEdit",
    "ConfigError",
    "Constraints",
    "DEFAULT_TABLE",
    "Decision",
    "DecisionConflict",
    "Edits",
    "Evidence",
    "Failure",
    "GraphValidationError",
    "Handoff",
    "InvalidDecision",
    "NotFoundError",
    "OfflineEngine",
    "Policy",
    "Refused",
    "Report",
    "ReviewRequest",
    "Route",
    "RunState",
    "RunStore",
    "RunSummary",
    "Settings",
    "Source",
    "StepFailed",
    "Store",
    "Task",
    "TaskInputError",
    "TransitionError",
    "Verdict",
    "Worker",
    "build_graph",
    "default_table",
    "draw_mermaid",
    "initial_state",
    "load_tasks",
    "memory_saver",
    "open_saver",
    "open_store",
    "run_tasks",
    "validate_table",
    "verify",
]


def test_all_is_pinned():
    assert baton.__all__ == sorted(PINNED)


def test_every_public_name_is_the_object_of_its_module():
    """``baton.X`` is the very object its module defines (not a copy, not a stand-in), and
    it is cached on the package after the first use."""
    for name in baton.__all__:
        home = importlib.import_module(baton._EXPORTS[name])
        assert getattr(baton, name) is getattr(home, name), name
        assert vars(baton)[name] is getattr(home, name), name


def test_unknown_names_raise_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        baton.nope  # noqa: B018


def test_verifiers_import_neither_langgraph_nor_streamlit():
    """Imports run one way: the verifier is usable without the graph or the UI."""
    import subprocess
    import sys

    code = "import sys, baton.verifiers; bad = [m for m in ('langgraph', 'streamlit') if m in sys.modules]; print(bad)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
    importlib.import_module("baton.verifiers")


def _imports() -> dict[str, set[str]]:
    """``{module: baton modules it imports}`` for every module of ``src/baton``, function-level
    imports included, ``if TYPE_CHECKING:`` blocks left out (they never run)."""
    import ast
    from pathlib import Path

    root = Path(baton.__file__).resolve().parents[1]
    files = {}
    for p in (root / "baton").rglob("*.py"):
        name = ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        files[name] = p
    edges: dict[str, set[str]] = {}
    for name, p in files.items():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        out: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out |= {a.name for a in node.names if a.name in files}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                subs = {f"{node.module}.{a.name}" for a in node.names} & set(files)
                out |= subs or ({node.module} & set(files))
        edges[name] = out - {name}
    return edges


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    reach, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in reach:
                reach.add(nxt)
                todo.append(nxt)
    return reach


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: modules that reach each other (components of more than one)."""
    reach = {m: _reachable(edges, m) for m in edges}
    comps = {frozenset(n for n in reach[m] if m in reach[n]) for m in edges}
    return sorted(sorted(c) for c in comps if len(c) > 1)


MINE = ("baton.ui", "baton.cli", "baton.checkpoints", "baton.worker", "baton.recorder")


def test_storage_worker_ui_and_cli_have_no_import_cycles():
    """Modules of the browser app, the command, storage and the worker import in one
    direction: no page imports ``baton.ui.main``, no command module imports ``baton.cli``."""
    cycles = [c for c in _cycles(_imports()) if any(m.startswith(MINE) for m in c)]
    assert cycles == []


def test_imports_run_one_way_between_layers():
    """checkpoints serves the worker and the front ends and never imports them; the summary
    and the errors are leaves."""
    edges = _imports()
    upward = {
        (m, t)
        for m, ts in edges.items()
        if m.startswith("baton.checkpoints")
        for t in ts
        if t.startswith(
            ("baton.worker", "baton.recorder", "baton.service", "baton.ui", "baton.cli")
        )
    }
    assert upward == set()
    assert edges["baton.summary"] == {"baton.contracts"}
    assert edges["baton.errors"] == set()
    assert {m for m, ts in edges.items() if "baton.ui.main" in ts} == {"baton.ui.app"}
