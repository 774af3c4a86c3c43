"""Adapters that let :meth:`graphmem.Memory.add` commit work done ahead of it.

A job extracts and embeds a batch's passages before the writer reaches it. The writer then calls
``Memory.add`` as any user would, with two stand-ins: :class:`BatchExtractor` answers the
builder's ``extract_batch`` from the extractions already made, and :class:`PrefetchEmbedder`
answers its passage ``encode`` call with the vectors already computed. Everything else (entity
and fact embedding, synonym linking, the transaction) runs in ``Memory.add`` unchanged, so the
store is exactly what ``Memory.add`` of the same batches would build.

Sentence-embedding results depend on the other texts in the same ``encode`` call (padding
changes bf16 rounding in the last digits), so the prefetched vectors are used only when the
builder asks for exactly the list they were computed for; any other call is computed as asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from graphmem.embed import Embedder
from graphmem.extract import Extractor
from graphmem.types import Extraction

if TYPE_CHECKING:
    from pipelines.backends import Backend

__all__ = ["BackendExtractor", "BatchExtractor", "PrefetchEmbedder", "TimedEmbedder"]


class TimedEmbedder:
    """An embedder whose ``encode`` calls run one at a time (a tokenizer and model shared by
    threads must not run concurrently) and whose busy time is summed in ``seconds``."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name: str = inner.name
        self.seconds = 0.0
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        with self._lock:
            return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            start = time.perf_counter()
            try:
                return self.inner.encode(texts)
            finally:
                self.seconds += time.perf_counter() - start


class PrefetchEmbedder:
    """The writer's embedder: serves the one prefetched passage list, computes the rest.

    ``seconds`` sums the time of computed calls as the writer sees them (waiting for the shared
    model included), so the job can tell embedding inside ``Memory.add`` from the rest of it.
    """

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name: str = inner.name
        self.seconds = 0.0
        self._texts: list[str] | None = None
        self._vectors: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return self.inner.dim

    def load(self, texts: Sequence[str], vectors: np.ndarray | None) -> None:
        """Prefetched vectors for the next batch (``None`` clears them)."""
        self._texts = list(texts) if vectors is not None else None
        self._vectors = vectors

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._vectors is not None and self._texts is not None and list(texts) == self._texts:
            vectors = self._vectors
            self._texts, self._vectors = None, None
            return vectors
        start = time.perf_counter()
        try:
            return self.inner.encode(texts)
        finally:
            self.seconds += time.perf_counter() - start


class BatchExtractor:
    """The writer's extractor: answers from the current batch's extractions by passage text;
    a text it does not hold (not expected) goes to ``fallback`` (which the job may replace with
    its cached form once the cache is open)."""

    def __init__(self, name: str, fallback: Extractor):
        self.name = name
        self.fallback = fallback
        self._known: Mapping[str, Extraction] = {}

    def load(self, extractions: Mapping[str, Extraction]) -> None:
        self._known = extractions

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        computed = dict(zip(missing, self.fallback.extract_batch(missing))) if missing else {}
        return [self._known[t] if t in self._known else computed[t] for t in texts]


class BackendExtractor:
    """A backend's extraction as an :class:`~graphmem.extract.Extractor` (what the extraction
    cache wraps)."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.name = backend.extractor_name

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        return self.backend.extract(texts)
