"""Fixtures for the LLM layer: a scripted local OpenAI-compatible server and fast clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .server import FakeOpenAIServer

#: Client settings for tests: real retry logic, waits of milliseconds.
FAST = {
    "model": "fake-model",
    "api_key": "test-key",
    "max_retries": 3,
    "timeout_s": 5.0,
    "backoff_base_s": 0.001,
    "backoff_max_s": 0.005,
}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


@pytest.fixture
def make_client(server: FakeOpenAIServer, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``make_client(cached=False, **config_overrides)`` -> an LLMClient on ``server``; with
    ``cached=True`` it gets the cache file ``tmp_path / "llm-cache.sqlite"``. Closed at
    teardown."""
    pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")
    from graphmem.llm import LLMClient, LLMConfig

    opened: list[LLMClient] = []

    def make(cached: bool = False, **overrides: Any) -> LLMClient:
        settings = {**FAST, "base_url": server.base_url, **overrides}
        config = dataclasses.replace(LLMConfig(), **settings)
        client = LLMClient(config, tmp_path / "llm-cache.sqlite" if cached else None)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()
