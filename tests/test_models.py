"""``baton.models``: ChatOpenAI from settings, for OpenAI and any OpenAI-compatible server;
``default_engine`` switches to the llm engine when a model is configured. No network."""

from __future__ import annotations

import pytest
from langchain_openai import ChatOpenAI

from baton.engines import OfflineEngine, default_engine
from baton.engines.llm import LLMEngine
from baton.errors import ConfigError
from baton.models import LOCAL_API_KEY, chat_model, model_name
from baton.settings import Settings


def test_openai_from_settings():
    m = chat_model(
        Settings(
            engine="llm",
            model="gpt-4o-mini",
            api_key="sk-test",
            temperature=0.2,
            request_timeout_s=12,
        )
    )
    assert isinstance(m, ChatOpenAI)
    assert (m.model_name, m.temperature, m.request_timeout, m.max_retries) == (
        "gpt-4o-mini",
        0.2,
        12,
        0,
    )
    assert m.openai_api_key.get_secret_value() == "sk-test"
    assert m.openai_api_base is None
    assert m.disable_streaming is True


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/v1",
        "http://127.0.0.1:11434/v1",
        "http://localhost:8080/v1",
    ],  # vLLM, Ollama, llama.cpp
)
def test_a_local_openai_compatible_server_needs_no_key(url):
    m = chat_model(Settings(engine="llm", model="qwen2.5:7b-instruct", base_url=url))
    assert m.openai_api_base == url
    assert m.openai_api_key.get_secret_value() == LOCAL_API_KEY
    assert model_name(m) == "qwen2.5:7b-instruct"


def test_unusable_settings_are_a_config_error():
    with pytest.raises(ConfigError, match="set BATON_MODEL"):
        chat_model(Settings())
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not"):
        chat_model(Settings(engine="llm", model="gpt-4o-mini"))


def test_overrides_win():
    m = chat_model(Settings(engine="llm", model="a", api_key="k"), model="b", temperature=0.9)
    assert (m.model_name, m.temperature) == ("b", 0.9)


def test_the_environment_picks_the_engine(monkeypatch):
    assert isinstance(default_engine(Settings.from_env()), OfflineEngine)
    monkeypatch.setenv("BATON_MODEL", "llama3.1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv("BATON_STRUCTURED", "json_schema")
    settings = Settings.from_env()
    assert (settings.engine, settings.structured_output) == ("llm", "json_schema")
    engine = default_engine(settings)
    assert isinstance(engine, LLMEngine) and engine.method == "json_schema"
    assert engine.model_name == "llama3.1"
    monkeypatch.setenv("BATON_STRUCTURED", "xml")
    with pytest.raises(ConfigError, match="BATON_STRUCTURED"):
        Settings.from_env()


def test_building_the_client_touches_no_network():
    """The OpenAI client is built with the settings' key, endpoint and timeout; the test's
    socket guard (conftest) would fail it if building it made a request."""
    import openai

    m = chat_model(
        Settings(engine="llm", model="gpt-4o-mini", api_key="sk-test", request_timeout_s=12)
    )
    client = m.root_client
    assert type(client) is openai.OpenAI
    assert (client.api_key, str(client.base_url), client.timeout, client.max_retries) == (
        "sk-test",
        "https://api.openai.com/v1/",
        12,
        0,
    )
