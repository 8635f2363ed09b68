"""The chat model factory: ``langchain_openai.ChatOpenAI`` for any OpenAI-compatible endpoint.

``chat_model(settings)`` reads ``Settings`` (``BATON_MODEL``, ``OPENAI_BASE_URL``,
``OPENAI_API_KEY``, ``BATON_TEMPERATURE``, ``BATON_REQUEST_TIMEOUT``), so OpenAI, Azure's
OpenAI-compatible endpoint, vLLM (``http://host:8000/v1``), Ollama (``http://host:11434/v1``)
and llama.cpp's server (``http://host:8080/v1``) all work. Any other LangChain chat model can
be handed to ``LLMEngine`` directly instead.

The client's own retries are off (``max_retries=0``): baton retries from one shared pool per
task, with backoff, and records every attempt (see ``baton.faults``). Streaming is off so tool
calls (structured output) arrive whole.
"""

from __future__ import annotations

from typing import Any

from baton.errors import ConfigError
from baton.settings import Settings

LOCAL_API_KEY = "not-needed"
"""Key sent to a local server (vLLM, Ollama, llama.cpp) when ``OPENAI_API_KEY`` is unset: the
OpenAI client refuses to start without one, and these servers ignore it."""


def chat_model(settings: Settings | None = None, *, model: str | None = None, **overrides: Any):
    """A ``ChatOpenAI`` built from ``settings`` (default: ``Settings.from_env()``).

    - ``model``: overrides ``settings.model`` (e.g. a judge model).
    - ``overrides``: extra ``ChatOpenAI`` keyword arguments (they win over settings).

    Raises ``ConfigError`` when no model name is set, or when neither an API key nor a base
    URL is given (OpenAI itself needs a key; a local server needs its URL).
    """
    from langchain_openai import ChatOpenAI

    settings = settings or Settings.from_env()
    name = model or settings.model
    if not name:
        raise ConfigError(
            "no chat model configured: set BATON_MODEL (e.g. gpt-4o-mini, or the model your local server serves)"
        )
    api_key = settings.api_key
    if api_key is None:
        if settings.base_url is None:
            raise ConfigError(
                "BATON_MODEL is set but OPENAI_API_KEY is not: set the key (OpenAI) or OPENAI_BASE_URL (a local server)"
            )
        api_key = LOCAL_API_KEY
    kwargs: dict[str, Any] = {
        "model": name,
        "api_key": api_key,
        "base_url": settings.base_url,
        "temperature": settings.temperature,
        "timeout": settings.request_timeout_s,
        "max_retries": 0,
        "disable_streaming": True,
    }
    kwargs.update(overrides)
    return ChatOpenAI(**kwargs)


def model_name(model: Any) -> str:
    """The model name a chat model states (``model_name``, ``model`` or ``model_id``), else its class name."""
    for attr in ("model_name", "model", "model_id", "deployment_name"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__
