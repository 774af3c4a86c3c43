"""An on-disk cache of model outputs, so re-ingesting the same text skips spaCy and the embedder.

Extraction and embedding dominate ingestion time (see the README's engine benchmark), and an
evaluation rebuilds the same corpus again and again while only retrieval settings change. The
cache stores, per model fingerprint and SHA-256 of the input text:

* extractions as compact JSON (``{"m": [[name, label, kind], ...], "t": [[s, p, o], ...]}``) —
  plain data, never pickled, so a cache file cannot run code when read;
* embedding vectors as little-endian float32 bytes with their dimension.

:class:`CachingExtractor` and :class:`CachingEmbedder` wrap a real model and keep its ``name``,
so a store built through them is indistinguishable from one built without them. The fingerprint
is the model's ``name`` (plus the dimension for embedders, plus an optional ``variant`` for
settings the name does not capture); two models sharing a fingerprint must produce the same
outputs, the contract :class:`graphmem.extract.Extractor` already states for ``name``.

The cache is one SQLite file in WAL mode, shared safely by the threads of one process (every
statement runs under a lock; model calls run outside it). The first value stored for a key wins.
"""

from graphmem.cache.disk import CACHE_FILE, DiskCache, default_cache_dir, open_cache
from graphmem.cache.wrappers import CachingEmbedder, CachingExtractor

__all__ = [
    "CACHE_FILE",
    "CachingEmbedder",
    "CachingExtractor",
    "DiskCache",
    "default_cache_dir",
    "open_cache",
]
