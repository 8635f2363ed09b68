"""Engines: what does the specialist work. ``default_engine()`` picks one from settings."""

from __future__ import annotations

from baton.engines.base import Engine, SupervisorView
from baton.engines.offline import OfflineEngine, compose_answer


def default_engine(settings=None) -> Engine:
    """The offline engine, unless settings name a model (then the llm engine).

    Raises ``ConfigError`` when the settings ask for an engine that cannot be built.
    """
    from baton.settings import Settings

    settings = settings or Settings.from_env()
    if settings.engine == "llm":
        from baton.engines.llm import LLMEngine  # any model of baton.models.chat_model

        return LLMEngine.from_settings(settings)
    return OfflineEngine()


__all__ = ["Engine", "OfflineEngine", "SupervisorView", "compose_answer", "default_engine"]
