"""LLMConfig endpoint/key resolution and validation; the response cache's key and storage."""

from __future__ import annotations

import pytest

from graphmem.llm import LLMConfig, LLMError, ResponseCache, cache_key
from graphmem.llm.cache import CachedReply
from graphmem.llm_config import DEFAULT_BASE_URL, DEFAULT_MODEL, LOCAL_API_KEY


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_explicit_values_win(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env:1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    config = LLMConfig(base_url="http://local:8080/v1/", api_key="mine")
    assert config.resolved_base_url() == "http://local:8080/v1"
    assert config.resolved_api_key() == "mine"


def test_environment_fallbacks(monkeypatch):
    assert LLMConfig().resolved_base_url() == DEFAULT_BASE_URL
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env:1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert LLMConfig().resolved_base_url() == "http://env:1/v1"
    assert LLMConfig().resolved_api_key() == "env-key"


def test_local_endpoint_gets_placeholder_key(monkeypatch):
    assert LLMConfig(base_url="http://127.0.0.1:8080/v1").resolved_api_key() == LOCAL_API_KEY
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    assert LLMConfig().resolved_api_key() == LOCAL_API_KEY


def test_default_endpoint_without_key_is_refused():
    with pytest.raises(LLMError, match="no API key for https://api.openai.com/v1"):
        LLMConfig().resolved_api_key()


def test_key_not_in_repr():
    assert "secret" not in repr(LLMConfig(api_key="secret"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("model", " ", "LLMConfig.model must be a non-empty string"),
        ("max_concurrency", 0, "LLMConfig.max_concurrency must be >= 1, got 0"),
        ("max_retries", -1, "LLMConfig.max_retries must be >= 0, got -1"),
        ("timeout_s", 0, "LLMConfig.timeout_s must be > 0, got 0"),
        ("max_tokens", 0, "LLMConfig.max_tokens must be >= 1 or None, got 0"),
        ("temperature", 3.0, r"LLMConfig.temperature must be in \[0, 2\], got 3.0"),
    ],
)
def test_validation(field, value, message):
    with pytest.raises(ValueError, match=message):
        LLMConfig(**{field: value})


def test_cache_key_is_canonical():
    a = {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0.0}
    b = {"temperature": 0.0, "messages": [{"content": "x", "role": "user"}], "model": "m"}
    assert cache_key(a) == cache_key(b)
    assert len(cache_key(a)) == 64
    assert cache_key(a) != cache_key({**a, "temperature": 0.5})
    assert cache_key(a) != cache_key({**a, "seed": 1})


def test_cache_round_trip_and_persistence(tmp_path):
    path = tmp_path / "sub" / "cache.sqlite"
    cache = ResponseCache(path)
    reply = CachedReply("Pellavon", 12, 3, "stop")
    assert cache.get("k") is None
    cache.put("k", "m", reply)
    assert cache.get("k") == reply
    assert len(cache) == 1
    cache.close()
    reopened = ResponseCache(path)
    assert reopened.get("k") == reply
    reopened.close()


def test_unusable_cache_file_is_named(tmp_path):
    (tmp_path / "a-directory.sqlite").mkdir()
    bad = tmp_path / "a-directory.sqlite"
    with pytest.raises(LLMError, match=f"^LLM response cache {bad} is not usable: "):
        ResponseCache(bad)


def test_model_defaults_to_the_environment(monkeypatch):
    monkeypatch.delenv("GRAPHMEM_LLM_MODEL", raising=False)
    assert LLMConfig().model == DEFAULT_MODEL == "gpt-4o-mini"
    monkeypatch.setenv("GRAPHMEM_LLM_MODEL", "")
    assert LLMConfig().model == DEFAULT_MODEL  # empty counts as unset
    monkeypatch.setenv("GRAPHMEM_LLM_MODEL", "env-model")
    assert LLMConfig().model == "env-model"
    assert LLMConfig(model="mine").model == "mine"


def test_from_options_leaves_unset_options_to_the_defaults(monkeypatch):
    monkeypatch.setenv("GRAPHMEM_LLM_MODEL", "env-model")
    assert LLMConfig.from_options() == LLMConfig()
    config = LLMConfig.from_options(
        model="m", base_url="http://127.0.0.1:9/v1", timeout_s=2.5, max_retries=0
    )
    assert (config.model, config.base_url, config.timeout_s, config.max_retries) == (
        "m", "http://127.0.0.1:9/v1", 2.5, 0,
    )
    assert config.max_concurrency == LLMConfig().max_concurrency
