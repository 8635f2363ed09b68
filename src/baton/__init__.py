"""baton: a supervisor application with human checkpoints, on LangGraph.

The public API is this module's ``__all__`` (pinned by a test); everything else is private.
Names are loaded on first use, so ``import baton`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # contracts
    "Task": "baton.contracts",
    "Source": "baton.contracts",
    "Constraints": "baton.contracts",
    "Evidence": "baton.contracts",
    "Claim": "baton.contracts",
    "CheckResult": "baton.contracts",
    "Verdict": "baton.contracts",
    "Failure": "baton.contracts",
    "Route": "baton.contracts",
    "Handoff": "baton.contracts",
    "ReviewRequest": "baton.contracts",
    "Decision": "baton.contracts",
    "Edits": "baton.contracts",
    "ClaimEdit": "baton.contracts",
    "Report": "baton.contracts",
    "Policy": "baton.policy",
    "Settings": "baton.settings",
    # errors
    "BatonError": "baton.errors",
    "ConfigError": "baton.errors",
    "TaskInputError": "baton.errors",
    "GraphValidationError": "baton.errors",
    "TransitionError": "baton.errors",
    "NotFoundError": "baton.errors",
    "DecisionConflict": "baton.errors",
    "InvalidDecision": "baton.errors",
    "StepFailed": "baton.errors",
    "Refused": "baton.errors",
    # graph
    "build_graph": "baton.graph",
    "default_table": "baton.graph",
    "validate_table": "baton.graph",
    "draw_mermaid": "baton.graph",
    "initial_state": "baton.graph",
    "RunState": "baton.graph",
    "DEFAULT_TABLE": "baton.graph",
    # engines and verifier
    "OfflineEngine": "baton.engines",
    "verify": "baton.verifiers",
    # storage and work
    "RunStore": "baton.checkpoints",
    "Store": "baton.checkpoints",
    "open_store": "baton.checkpoints",
    "open_saver": "baton.checkpoints",
    "memory_saver": "baton.checkpoints",
    "Worker": "baton.worker",
    "run_tasks": "baton.worker",
    "RunSummary": "baton.summary",
    "load_tasks": "baton.taskfile",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'baton' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from baton.checkpoints import RunStore, Store, memory_saver, open_saver, open_store
    from baton.contracts import (
        CheckResult,
        Claim,
        ClaimEdit,
        Constraints,
        Decision,
        Edits,
        Evidence,
        Failure,
        Handoff,
        Report,
        ReviewRequest,
        Route,
        Source,
        Task,
        Verdict,
    )
    from baton.engines import OfflineEngine
    from baton.errors import (
        BatonError,
        ConfigError,
        DecisionConflict,
        GraphValidationError,
        InvalidDecision,
        NotFoundError,
        Refused,
        StepFailed,
        TaskInputError,
        TransitionError,
    )
    from baton.graph import (
        DEFAULT_TABLE,
        RunState,
        build_graph,
        default_table,
        draw_mermaid,
        initial_state,
        validate_table,
    )
    from baton.policy import Policy
    from baton.settings import Settings
    from baton.summary import RunSummary
    from baton.taskfile import load_tasks
    from baton.verifiers import verify
    from baton.worker import Worker, run_tasks
