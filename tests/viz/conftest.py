"""Fixtures for the visualization tests: one small invented memory with injection payloads in
its text and titles, built once, and a headless Chromium for the browser tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from vizdata import DOCS

from graphmem import Memory


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (skipped when it is not installed)"
    )


@pytest.fixture(scope="session")
def viz_memory(tmp_path_factory, embedder, extractor) -> Iterator[Memory]:
    """The invented memory, built once per session; tests must not write to it."""
    mem = Memory(tmp_path_factory.mktemp("vizmem"), embedder=embedder, extractor=extractor)
    mem.add(DOCS)
    yield mem
    mem.close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; skips with the reason when it cannot run."""
    from headless import Browser, find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium not installed (apt-get install chromium, or set GRAPHMEM_CHROMIUM)")
    if importlib.util.find_spec("websocket") is None:
        pytest.skip("websocket-client not installed (pip install 'graphmem[dev]')")
    with Browser(timeout=20.0) as b:
        yield b
