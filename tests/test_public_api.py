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
