"""The structured outputs of the llm engine's roles (each class name is the tool the model
calls), and builders of per-call variants whose JSON schema narrows what a model may answer:
the routes the supervisor would accept, the passage numbers on offer. The narrowing is in the
schema only (a server that constrains tool arguments to it, such as llama.cpp's grammar,
cannot leave it); validation stays the base class's, so whatever a model answers is still
checked in code and refused there, as from any model."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, Field, create_model

MAX_PICKS = 8
"""Passages research keeps (the model's best first); ``analyze`` reads no more."""


class SupervisorRoute(BaseModel):
    """The next node and why."""

    next: str = Field(description="Exactly one of the allowed options.")
    reason: str = Field("", description="One sentence.")


class ResearchPicks(BaseModel):
    """The relevant candidate passages, best first."""

    passages: list[int] = Field(
        description="Numbers of the relevant passages (1-based), best first."
    )


class ClaimDraft(BaseModel):
    text: str = Field(min_length=1, description="One short, checkable factual statement.")
    passages: list[int] = Field(
        default_factory=list, description="Numbers of the passages that support it."
    )
    id: str | None = Field(
        None, description="The id of an earlier claim kept unchanged; omit for a new claim."
    )


class AnalyzeClaims(BaseModel):
    """The claims, in order."""

    claims: list[ClaimDraft]


class WriteAnswer(BaseModel):
    """The answer text with [source id] citations."""

    answer: str


@functools.lru_cache(maxsize=128)
def route_schema(options: tuple[str, ...]) -> type[SupervisorRoute]:
    """``SupervisorRoute`` whose JSON schema lists ``options`` as the enum of ``next`` (the
    plan's suggestion first: small models lean to an enum's first value): a server that
    constrains tool arguments to the schema (llama.cpp's grammar) can only name an allowed
    node. Validation does not enforce the enum: a route outside the table still parses and is
    refused by the supervisor's check (a recorded ``route`` failure), as from any model."""
    return create_model(
        "SupervisorRoute",
        __base__=SupervisorRoute,
        __doc__=SupervisorRoute.__doc__,
        next=(
            str,
            Field(
                description="Exactly one of the allowed options.",
                json_schema_extra={"enum": list(options)},
            ),
        ),
        reason=(str, Field("", description="One sentence.", json_schema_extra={"maxLength": 200})),
    )


def _numbers(n: int) -> dict[str, Any]:
    """JSON-schema ``items`` of a list of passage numbers ``1..n`` (an enum: grammar builders
    take it where some ignore ``minimum`` / ``maximum``)."""
    return {"items": {"type": "integer", "enum": list(range(1, n + 1))}}


@functools.lru_cache(maxsize=64)
def picks_schema(n: int) -> type[ResearchPicks]:
    """``ResearchPicks`` whose schema allows only the numbers ``1..n``, at most ``MAX_PICKS``
    of them (not enforced on validation: a number outside the list is the engine's
    ``invalid_output``; picks past ``MAX_PICKS`` are dropped)."""
    return create_model(
        "ResearchPicks",
        __base__=ResearchPicks,
        __doc__=ResearchPicks.__doc__,
        passages=(
            list[int],
            Field(
                description="Numbers of the relevant passages (1-based), best first.",
                json_schema_extra={**_numbers(n), "maxItems": MAX_PICKS},
            ),
        ),
    )


@functools.lru_cache(maxsize=64)
def claims_schema(n: int) -> type[AnalyzeClaims]:
    """``AnalyzeClaims`` whose claims may cite only the passage numbers ``1..n`` (schema only,
    as ``picks_schema``)."""
    draft = create_model(
        "ClaimDraft",
        __base__=ClaimDraft,
        passages=(
            list[int],
            Field(
                default_factory=list,
                description="Numbers of the passages that support it.",
                json_schema_extra=_numbers(n),
            ),
        ),
    )
    return create_model(
        "AnalyzeClaims",
        __base__=AnalyzeClaims,
        __doc__=AnalyzeClaims.__doc__,
        claims=(list[draft], ...),
    )
