"""Engines: what does the specialist work. ``default_engine()`` picks one from settings."""

from __future__ import annotations

import os

from baton.engines.base import Engine, SupervisorView
from baton.engines.offline import OfflineEngine, compose_answer

BENCH_MODEL_DELAY_ENV = "BATON_BENCH_MODEL_DELAY_MS"
"""For benchmarks only: when set (milliseconds), ``default_engine`` is the model-bound
profile, the llm engine on a scripted compliant model that answers each call after that
wait (``baton.testing.model_bound_engine``); ``bench/scale.py`` sets it for its workers."""


def default_engine(settings=None) -> Engine:
    """The offline engine, unless settings name a model (then the llm engine), or the
    benchmarks' model-bound profile when ``BATON_BENCH_MODEL_DELAY_MS`` is set.

    Raises ``ConfigError`` when the settings ask for an engine that cannot be built.
    """
    from baton.settings import Settings

    if delay_ms := os.environ.get(BENCH_MODEL_DELAY_ENV):
        from baton.testing import model_bound_engine

        return model_bound_engine(float(delay_ms) / 1000)

    settings = settings or Settings.from_env()
    if settings.engine == "llm":
        from baton.engines.llm import LLMEngine  # any model of baton.models.chat_model

        return LLMEngine.from_settings(settings)
    return OfflineEngine()


__all__ = ["Engine", "OfflineEngine", "SupervisorView", "compose_answer", "default_engine"]
