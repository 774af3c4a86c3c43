"""Shared fixtures: the real models, loaded once per test session."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from graphmem import Memory
from graphmem.config import EmbedConfig, ExtractConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.extract import SpacyExtractor

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"

# EmbedConfig(dtype="auto") would run bfloat16 on CPUs that multiply it natively and float32
# elsewhere; the expected rankings below hold for one dtype, so every memory of the suite (in
# this process, CliRunner commands and the servers it starts) embeds in float32 on every host.
os.environ["GRAPHMEM_EMBED_DTYPE"] = "float32"


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


# ---- stores: SQLite in a directory, PostgreSQL in a throwaway server ---------------------------


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the session (tests/pg_server.py), stopped at its end. Skipped
    only when Debian's server binaries are missing (`make postgresql` installs them)."""
    from pg_server import find_bindir, start_server

    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin/initdb): "
            "`make postgresql` installs Debian's postgresql package"
        )
    server = start_server(bindir)
    yield server
    server.stop()


@pytest.fixture
def pg_location(pg_server):
    """``new(name)``: the URL of a fresh schema of the session's server, one per test and name."""
    prefix = "t_" + uuid.uuid4().hex[:10]
    return lambda name="mem": pg_server.url_for(f"{prefix}_{name}")


@pytest.fixture(params=["sqlite", "postgres"])
def new_location(request, tmp_path):
    """``new(name)``: a new store location of the parametrised kind (a directory, or a fresh
    PostgreSQL schema), so one test runs against both stores."""
    if request.param == "sqlite":
        return lambda name="mem": str(tmp_path / name)
    return request.getfixturevalue("pg_location")
