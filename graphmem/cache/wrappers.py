"""Model wrappers that consult a :class:`~graphmem.cache.disk.DiskCache` before the model."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from graphmem.cache.disk import DiskCache
from graphmem.embed import Embedder
from graphmem.extract import Extractor
from graphmem.types import Extraction

log = logging.getLogger(__name__)

__all__ = ["CachingEmbedder", "CachingExtractor"]


class CachingExtractor:
    """An :class:`~graphmem.extract.Extractor` that asks ``inner`` only about texts it has not
    seen, in one batch, and remembers the answers in ``cache``.

    ``name`` is ``inner.name``, so stores built with or without the cache agree. The cache key is
    ``inner.name`` plus ``variant`` when given (for settings the name does not capture).
    Failed extractions (:attr:`Extraction.failed <graphmem.types.Extraction.failed>`) are
    returned but not stored, so the next call asks ``inner`` about those texts again.
    """

    def __init__(self, inner: Extractor, cache: DiskCache, *, variant: str = ""):
        self.inner = inner
        self.cache = cache
        self.name: str = inner.name
        self.fingerprint = f"{inner.name}|{variant}" if variant else inner.name

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        cached = self.cache.get_extractions(self.fingerprint, texts)
        missing = list(dict.fromkeys(t for t, e in zip(texts, cached) if e is None))
        fresh: dict[str, Extraction] = {}
        if missing:
            results = self.inner.extract_batch(missing)
            if len(results) != len(missing):
                raise ValueError(
                    f"extractor {self.inner.name!r} returned {len(results)} extractions "
                    f"for {len(missing)} texts"
                )
            complete = [(t, e) for t, e in zip(missing, results) if not e.failed]
            if complete:
                self.cache.put_extractions(
                    self.fingerprint, [t for t, _ in complete], [e for _, e in complete]
                )
            fresh = dict(zip(missing, results))
        log.debug("extraction cache: %d of %d texts computed", len(missing), len(texts))
        return [e if e is not None else fresh[t] for t, e in zip(texts, cached)]


class CachingEmbedder:
    """An :class:`~graphmem.embed.Embedder` that encodes only texts missing from ``cache``, in
    one batch, and stores their vectors.

    ``name`` and ``dim`` are the inner embedder's. The cache key is ``inner.name`` and ``dim``,
    plus ``variant`` when given (e.g. the dtype, which the name does not carry). The inner model
    is loaded lazily, on the first ``dim`` or ``encode``, exactly as without the cache.
    """

    def __init__(self, inner: Embedder, cache: DiskCache, *, variant: str = ""):
        self.inner = inner
        self.cache = cache
        self.name: str = inner.name
        self.variant = variant

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def fingerprint(self) -> str:
        key = f"{self.inner.name}|dim={self.dim}"
        return f"{key}|{self.variant}" if self.variant else key

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        dim = self.dim
        out = np.empty((len(texts), dim), dtype=np.float32)
        if len(texts) == 0:
            return out
        key = self.fingerprint
        cached = self.cache.get_vectors(key, texts, dim)
        missing = list(dict.fromkeys(t for t, v in zip(texts, cached) if v is None))
        fresh: dict[str, np.ndarray] = {}
        if missing:
            vectors = np.asarray(self.inner.encode(missing), dtype=np.float32)
            if vectors.shape != (len(missing), dim):
                raise ValueError(
                    f"embedder {self.inner.name!r} returned shape {vectors.shape} "
                    f"for {len(missing)} texts of dimension {dim}"
                )
            self.cache.put_vectors(key, missing, vectors)
            fresh = dict(zip(missing, vectors))
        for i, (t, v) in enumerate(zip(texts, cached)):
            out[i] = v if v is not None else fresh[t]
        log.debug("embedding cache: %d of %d texts computed", len(missing), len(texts))
        return out
