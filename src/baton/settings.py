"""The only place that reads environment variables.

=====================  ===================================================  ==================
variable               meaning                                              default
=====================  ===================================================  ==================
BATON_DATABASE_URL     database URL: a SQLite file path, ``sqlite:///PATH``  ``./baton.db``
                       or ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB``
                       (``baton.checkpoints.open_store``)
BATON_DB               the same (the older name; BATON_DATABASE_URL wins)   unset
BATON_ENGINE           ``offline`` or ``llm``                               ``llm`` when
                                                                            BATON_MODEL is set,
                                                                            else ``offline``
BATON_MODEL            chat model name for the llm engine                   unset
OPENAI_BASE_URL        any OpenAI-compatible endpoint (vLLM, Ollama, ...)   unset (OpenAI)
OPENAI_API_KEY         key for that endpoint                                unset
BATON_TEMPERATURE      sampling temperature                                 ``0``
BATON_REQUEST_TIMEOUT  seconds before one model call is abandoned           ``60``
BATON_STRUCTURED       structured output method: ``auto`` (the first of      ``auto``
                       function_calling, json_mode the endpoint accepts),
                       ``function_calling``, ``json_schema`` or ``json_mode``
BATON_LEASE_SECONDS    worker lease length in seconds                       ``60``
BATON_VERIFIER_CHECKS  comma-separated verifier checks for runs, e.g.       the always-on checks
                       ``lexical,numbers,semantic`` (see baton.verifiers)
BATON_NLI_MODEL        directory of a local NLI model; adds the ``nli``     unset
                       check to every run's verifier
BATON_VERIFIER_MODEL   ``off`` (or 0/false/no) keeps the trained entailment     on
                       model out of the default checks
BATON_JUDGE_MODEL      a judge model: adds the ``llm_judge`` check to every  unset
                       run's verifier (must differ from BATON_MODEL at its
                       endpoint)
BATON_JUDGE_BASE_URL   the judge's OpenAI-compatible endpoint               OPENAI_BASE_URL
BATON_JUDGE_API_KEY    key for that endpoint                                OPENAI_API_KEY
BATON_PRICES           a JSON file ``{"model": [input, output]}``: prices    unset (no prices)
                       per million tokens, for ``cost`` and
                       ``Policy.max_cost_per_task``
=====================  ===================================================  ==================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

from baton.errors import ConfigError


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number") from exc


def _names(name: str) -> tuple[str, ...] | None:
    """A comma-separated list (blank entries dropped); None when unset or blank."""
    names = tuple(n.strip() for n in (os.environ.get(name) or "").split(",") if n.strip())
    return names or None


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment. Build with ``Settings.from_env()``."""

    db: str = "baton.db"
    engine: Literal["offline", "llm"] = "offline"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    request_timeout_s: float = 60.0
    lease_seconds: float = 60.0
    structured_output: Literal["auto", "function_calling", "json_schema", "json_mode"] = "auto"
    verifier_checks: tuple[str, ...] | None = None
    nli_model: str | None = None
    verifier_model: bool = True
    judge_model: str | None = None
    judge_base_url: str | None = None
    judge_api_key: str | None = field(default=None, repr=False)
    prices_file: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        """Read the variables in the table above. Raises ``ConfigError`` for unusable values."""
        model = os.environ.get("BATON_MODEL") or None
        engine = os.environ.get("BATON_ENGINE") or ("llm" if model else "offline")
        if engine not in ("offline", "llm"):
            raise ConfigError(f"BATON_ENGINE={engine!r}: use 'offline' or 'llm'")
        if engine == "llm" and not model:
            raise ConfigError("BATON_ENGINE=llm needs BATON_MODEL (the chat model name)")
        method = os.environ.get("BATON_STRUCTURED") or "auto"
        if method not in ("auto", "function_calling", "json_schema", "json_mode"):
            raise ConfigError(
                f"BATON_STRUCTURED={method!r}: use auto, function_calling, json_schema or json_mode"
            )
        base_url = os.environ.get("OPENAI_BASE_URL") or None
        api_key = os.environ.get("OPENAI_API_KEY") or None
        return cls(
            db=os.environ.get("BATON_DATABASE_URL") or os.environ.get("BATON_DB") or "baton.db",
            engine=engine,  # type: ignore[arg-type]
            model=model,
            base_url=base_url,
            api_key=api_key,
            temperature=_float("BATON_TEMPERATURE", 0.0),
            request_timeout_s=_float("BATON_REQUEST_TIMEOUT", 60.0),
            lease_seconds=_float("BATON_LEASE_SECONDS", 60.0),
            structured_output=method,  # type: ignore[arg-type]
            verifier_checks=_names("BATON_VERIFIER_CHECKS"),
            nli_model=os.environ.get("BATON_NLI_MODEL") or None,
            verifier_model=os.environ.get("BATON_VERIFIER_MODEL", "").strip().lower()
            not in ("off", "0", "false", "no"),
            judge_model=os.environ.get("BATON_JUDGE_MODEL") or None,
            judge_base_url=os.environ.get("BATON_JUDGE_BASE_URL") or base_url,
            judge_api_key=os.environ.get("BATON_JUDGE_API_KEY") or api_key,
            prices_file=os.environ.get("BATON_PRICES") or None,
        )
