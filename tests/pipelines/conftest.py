"""Fixtures of the pipelines tests: in-process jobs that share the session's loaded models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pipelines import IngestConfig, IngestReport, run_ingest


@pytest.fixture
def ingest(embedder, extractor) -> Callable[..., IngestReport]:
    """``ingest(paths, store, **config)``: run_ingest in this process (``workers=0`` unless
    given) with the session's spaCy extractor and embedder, no progress bar."""

    def run(
        paths: Sequence[Path], store: Path, *, extractor_override: Any = None, **settings: Any
    ) -> IngestReport:
        settings.setdefault("workers", 0)
        settings.setdefault("progress", False)
        config = IngestConfig(**settings)
        return run_ingest(
            list(paths),
            store,
            config,
            extractor=extractor_override if extractor_override is not None else extractor,
            embedder=embedder,
        )

    return run


@pytest.fixture
def shared_models(monkeypatch, extractor, embedder) -> None:
    """Let the command use the session's loaded models instead of loading its own."""
    import pipelines.cli

    real = pipelines.cli.run_ingest

    def run(paths, store, config, **kwargs):
        return real(
            paths,
            store,
            config,
            extractor=kwargs.pop("extractor", None) or extractor,
            embedder=embedder,
        )

    monkeypatch.setattr(pipelines.cli, "run_ingest", run)
