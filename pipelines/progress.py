"""A progress bar (tqdm, on stderr) with rate and ETA, shown only on a terminal by default.

The bar counts input records handled (committed, skipped as stored, or bad); its total comes
from a quick pre-scan of the input (:func:`pipelines.sources.count_records`), done only when the
bar is shown. Log records are routed through the bar while it is open so they do not tear it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from typing import Any

from graphmem.closing import Closing

__all__ = ["Progress"]

log = logging.getLogger(__name__)


class Progress(Closing):
    """``enabled=None`` shows the bar when stderr is a terminal; ``total`` is called only then."""

    def __init__(self, enabled: bool | None, total: Callable[[], int], desc: str = "ingest"):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar: Any = None
        self._stack = contextlib.ExitStack()
        if not enabled:
            return
        try:
            from tqdm import tqdm  # type: ignore[import-untyped]
            from tqdm.contrib.logging import logging_redirect_tqdm  # type: ignore[import-untyped]
        except ImportError:  # optional (the pipelines extra); sentence-transformers brings it too
            log.info("tqdm is not installed (pip install 'graphmem[pipelines]'); no progress bar")
            return
        self._bar = tqdm(
            total=total(),
            unit="doc",
            desc=desc,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.05,
        )
        self._stack.enter_context(logging_redirect_tqdm())

    @property
    def enabled(self) -> bool:
        return self._bar is not None

    def advance(self, n: int, **postfix: int) -> None:
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._stack.close()
