"""``RunSummary``: the one-line state of a run (status, hops, current node, claim and verdict
counts), computed in one place for the worker (the ``runs`` row), the CLI and the browser app.

``verdict_counts(verdicts)`` is the plain count by label. This module depends on the
contracts only, so nodes may use it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, get_args

from baton.contracts import Label, RunStatus, Verdict

LABELS: tuple[str, ...] = get_args(Label)
"""Verdict labels, in the order counts are shown: supported, unsupported, contradicted."""


def _label(v: Verdict | Mapping[str, Any]) -> str:
    return v.label if isinstance(v, Verdict) else str(v["label"])


def verdict_counts(verdicts: Iterable[Verdict | Mapping[str, Any]]) -> dict[str, int]:
    """``{label: number of verdicts}`` with every label of ``LABELS`` present (zeros
    included), in that order. Verdicts may be models or their dicts (as a checkpoint returns
    them)."""
    out = dict.fromkeys(LABELS, 0)
    for v in verdicts:
        out[_label(v)] += 1
    return out


@dataclass(frozen=True)
class RunSummary:
    """A run at a glance. ``status`` is None for a graph state that is not (yet) a stored run;
    ``hops`` counts handoffs against ``max_hops``; ``claims`` counts the run's claims and
    ``supported`` / ``unsupported`` / ``contradicted`` their verdicts."""

    status: RunStatus | None = None
    reason: str | None = None
    hops: int = 0
    max_hops: int = 0
    current_node: str | None = None
    claims: int = 0
    supported: int = 0
    unsupported: int = 0
    contradicted: int = 0

    @classmethod
    def from_values(
        cls,
        values: Mapping[str, Any],
        *,
        status: RunStatus | None = None,
        reason: str | None = None,
        current_node: str | None = None,
    ) -> RunSummary:
        """The summary of a graph state (``RunState`` values, models or dicts)."""
        account = values.get("account") or {}
        return cls(
            status=status,
            reason=reason,
            hops=int(account.get("hops", 0)),
            max_hops=int(account.get("max_hops", 0)),
            current_node=current_node,
            claims=len(values.get("claims") or ()),
            **verdict_counts(values.get("verdicts") or ()),
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunSummary:
        """The summary of a ``runs`` row (``RunStore.run`` / ``run_rows``)."""
        return cls(
            **{
                k: row.get(k) if k in ("status", "reason", "current_node") else int(row.get(k) or 0)
                for k in cls.__dataclass_fields__
            }
        )

    def counts(self) -> dict[str, int]:
        """``{"claims", "supported", "unsupported", "contradicted"}``."""
        return {"claims": self.claims, **{k: getattr(self, k) for k in LABELS}}

    def progress(self) -> dict[str, Any]:
        """The progress columns of the ``runs`` row: hops, max_hops, current_node, counts."""
        return {
            "hops": self.hops,
            "max_hops": self.max_hops,
            "current_node": self.current_node,
            **self.counts(),
        }

    def counts_text(self) -> str:
        """``"claims 3: 2 supported, 1 unsupported, 0 contradicted"``."""
        return f"claims {self.claims}: " + ", ".join(f"{getattr(self, k)} {k}" for k in LABELS)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
