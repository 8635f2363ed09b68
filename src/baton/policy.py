"""The control policy: every bound a run can hit, with its default.

The defaults follow a published multi-agent control-policy template (hop ceiling,
per-agent retries drawn from one shared pool, exponential backoff, refinement
iterations, turn / pipeline / idle timeouts, a token budget with an alert threshold, a
convergence threshold, a loop cooldown, a money cap and a retry scope).
Every bound that is hit is recorded as an event and shown to the reviewer.

``Policy`` is passive, frozen data: behaviour lives in the functions that read it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Policy(BaseModel):
    """Bounds for one run. All times are in seconds, all budgets in tokens.

    Raises ``pydantic.ValidationError`` for out-of-range values (e.g. ``max_hops=0``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_hops: int = Field(
        8,
        ge=1,
        le=1000,
        description="Handoffs from the supervisor before review (reason hop_limit).",
    )
    max_retries_per_agent: int = Field(
        2, ge=0, le=100, description="Retries one node may draw from the shared pool."
    )
    retry_budget: int = Field(
        6,
        ge=0,
        le=1000,
        description="One retry pool per task shared by every node (default: 2 retries x 3 specialists).",
    )
    retry_backoff_base_s: float = Field(
        2.0,
        ge=0,
        description="Exponential backoff base: wait base * 2**attempt seconds (with jitter).",
    )
    max_iterations: int = Field(
        5, ge=1, le=100, description="Ceiling for any refinement loop (author -> verify -> author)."
    )
    agent_turn_timeout_s: float = Field(
        120.0, gt=0, description="Wall-clock limit of one node turn."
    )
    pipeline_timeout_s: float = Field(
        600.0, gt=0, description="Wall-clock limit of a whole run, reviews excluded."
    )
    idle_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Longest silence (no model token, no node end) before a turn is abandoned.",
    )
    max_tokens_per_task: int = Field(
        100_000, ge=1, description="Token budget of one task (prompt + completion)."
    )
    token_alert_fraction: float = Field(
        0.7, gt=0, le=1, description="Fraction of the budget at which an alert event is written."
    )

    max_tokens_per_call: int = Field(
        2048,
        ge=1,
        description="Output bound of one model call (sent as max_tokens; the remaining task "
        "budget when that is smaller).",
    )
    convergence_threshold: float = Field(
        0.05,
        ge=0,
        le=1,
        description="A refinement loop stops (to review, bound 'converged') when the claims changed "
        "by less than this fraction between two iterations.",
    )
    loop_cooldown_s: float = Field(
        0.0, ge=0, le=3600, description="Wait before each refinement iteration after the first."
    )
    max_cost_per_task: float | None = Field(
        None,
        gt=0,
        description="Money cap of one task (in the price table's currency, e.g. USD); None: no cap.",
    )
    prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="Price per million tokens, (input, output), by model name; overrides the "
        "BATON_PRICES file (baton.usage.prices).",
    )
    retry_scope: Literal["call", "turn"] = Field(
        "turn",
        description="'call': a failed model call is retried inside the turn (from the shared pool); "
        "'turn': the node's whole turn is retried by the supervisor.",
    )
    max_unsupported_fraction: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Largest share of verified claims that may be unsupported before review "
        "(reason unsupported); 1.0 turns the bound off.",
    )

    @model_validator(mode="after")
    def _per_agent_within_pool(self) -> Policy:
        if self.max_retries_per_agent > self.retry_budget and self.retry_budget > 0:
            raise ValueError("max_retries_per_agent cannot exceed retry_budget (the shared pool)")
        return self

    def with_hops(self, max_hops: int) -> Policy:
        """Return a copy with another hop ceiling (``max_hops`` >= 1)."""
        return self.model_validate({**self.model_dump(), "max_hops": max_hops})


DEFAULT_POLICY = Policy()


def resolve_policy(own: Policy | None, given: Policy | None = None) -> Policy:
    """The policy a run uses: the task's ``own``, else ``given`` (a worker's or caller's
    default), else ``Policy()`` with the template's defaults. The one place this is decided."""
    return own or given or Policy()
