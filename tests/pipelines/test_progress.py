"""The progress bar is optional: tqdm comes with the ``pipelines`` extra, and without it an
ingest runs with no bar and says which extra brings it."""

from __future__ import annotations

import logging
import sys

from pipelines.progress import Progress


def test_bar_when_asked_for(capsys) -> None:
    with Progress(True, total=lambda: 3) as bar:
        assert bar.enabled
        bar.advance(3)
    assert "3/3" in capsys.readouterr().err


def test_no_tqdm_means_no_bar_and_names_the_extra(monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    with (
        caplog.at_level(logging.INFO, logger="pipelines.progress"),
        Progress(True, total=lambda: 3) as bar,
    ):
        assert not bar.enabled
        bar.advance(3)  # a no-op
    assert "pip install 'graphmem[pipelines]'" in caplog.text
