"""Shared fixtures: the real models, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmem import Memory
from graphmem.config import EmbedConfig, ExtractConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.extract import SpacyExtractor

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    e = SentenceTransformerEmbedder(EmbedConfig())
    e.encode(["warm up"])
    return e


@pytest.fixture(scope="session")
def extractor() -> SpacyExtractor:
    return SpacyExtractor(ExtractConfig())


@pytest.fixture
def memory_factory(tmp_path, embedder, extractor):
    """Open memories in tmp dirs with the shared models; closes them at teardown."""
    opened: list[Memory] = []

    def make(name: str = "mem", **kwargs) -> Memory:
        kwargs.setdefault("embedder", embedder)
        kwargs.setdefault("extractor", extractor)
        m = Memory(tmp_path / name, **kwargs)
        opened.append(m)
        return m

    yield make
    for m in opened:
        m.close()
