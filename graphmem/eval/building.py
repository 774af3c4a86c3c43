"""Building the memory an evaluation ranks over: through the extraction and embedding caches,
from spaCy's triples or from an OpenIE file's, refusing to reuse a store built otherwise."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graphmem.cache import CachingEmbedder, CachingExtractor, open_cache
from graphmem.config import MemoryConfig
from graphmem.embed import Embedder, SentenceTransformerEmbedder
from graphmem.errors import GraphMemError
from graphmem.eval.datasets import CorpusPassage
from graphmem.extract import Extractor
from graphmem.extract.openie import OpenIEExtractor
from graphmem.extract.openie_file import load_openie
from graphmem.memory import Memory
from graphmem.types import Document

log = logging.getLogger(__name__)

__all__ = ["EXTRACTOR_FILE", "build_memory", "openie_extractor"]

Progress = Callable[[str], None]


def _embed_variant(embedder: Embedder) -> str:
    """A setting that changes the embedder's output but not its name, for the cache key. (The
    extractor needs none: :attr:`SpacyExtractor.name` carries its settings, so evaluation and
    ``graphmem-ingest`` share cached extractions.)"""
    if isinstance(embedder, SentenceTransformerEmbedder):
        return f"dtype={embedder.config.dtype}"
    return ""


def build_memory(
    mem_dir: Path,
    docs: list[Document],
    config: MemoryConfig,
    embedder: Embedder,
    extractor: Extractor,
    cache_dir: str | Path | None,
    *,
    namespace: str | None = None,
) -> tuple[float, dict[str, int]]:
    """Add ``docs`` to the memory in ``mem_dir`` (into ``namespace`` when given, and then only
    that namespace must hold exactly them) through the cache; seconds taken, cache stats."""
    scope = {} if namespace is None else {"namespace": namespace}
    _check_store_extractor(mem_dir, extractor.name)
    with open_cache(cache_dir) as cache:
        cached_embedder = CachingEmbedder(embedder, cache, variant=_embed_variant(embedder))
        # a file lookup is instant: caching it would only copy the file into the cache
        cached_extractor: Extractor = (
            extractor
            if isinstance(extractor, OpenIEExtractor)
            else CachingExtractor(extractor, cache)
        )
        with Memory(mem_dir, config, embedder=cached_embedder, extractor=cached_extractor) as mem:
            start = time.perf_counter()
            mem.add(docs, source=f"evaluation corpus in {mem_dir}", **scope)
            seconds = time.perf_counter() - start
            stored = mem.stats(**scope)["documents"]
        stats = cache.stats()
    if stored != len(docs):
        raise GraphMemError(
            f"store {mem_dir}{'' if namespace is None else f' namespace {namespace!r}'} holds "
            f"{stored} documents but the corpus has {len(docs)}; "
            "evaluate into an empty directory or one built from this corpus"
        )
    return seconds, stats


EXTRACTOR_FILE = "eval-extractor.txt"
"""Written beside an evaluation memory: the name of the extractor that built it."""


def _check_store_extractor(mem_dir: Path, name: str) -> None:
    """Refuse to reuse an evaluation store built with another extractor, and mark a new one.

    A store does not record its extractor, and a reused store adds nothing (every passage is
    already there), so ``--store`` built with spaCy and rerun with ``--openie`` would silently
    measure spaCy's triples. The harness writes :data:`EXTRACTOR_FILE` beside the memory it
    builds and checks it on reuse; a store holding passages but no such file (built before it
    existed) is reused with a warning."""
    marker = mem_dir / EXTRACTOR_FILE
    if marker.exists():
        built = marker.read_text(encoding="utf-8").strip()
        if built != name:
            raise GraphMemError(
                f"store {mem_dir} was built with extractor {built!r}, this evaluation uses "
                f"{name!r}; give another --store (or remove this one)"
            )
        return
    if (mem_dir / "graphmem.sqlite").exists():
        log.warning("%s: cannot tell which extractor built this store; assuming %s", mem_dir, name)
    mem_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(name + "\n", encoding="utf-8")


def openie_extractor(
    path: str | Path, corpus: Sequence[CorpusPassage], config: MemoryConfig, say: Progress
) -> tuple[OpenIEExtractor, dict[str, Any]]:
    """The extractor answering from the OpenIE file at ``path`` for ``corpus``, and a summary of
    the match for the report (a passage the file lacks is built without facts, and counted)."""
    source = load_openie(path)
    matched = source.match_corpus([(p.title, p.text) for p in corpus])
    pairs = [(p.text, item) for p, item in zip(corpus, matched) if item is not None]
    extractor = OpenIEExtractor(source, config.chunk, pairs)
    summary = {
        "file": str(path),
        "extractor": source.name,
        "items": source.total,
        "usable_items": len(source.items),
        "problems": len(source.problems),
        "matched_passages": len(pairs),
        "unmatched_passages": len(corpus) - len(pairs),
    }
    say(
        f"OpenIE {path}: {len(pairs)} of {len(corpus)} passages matched; "
        f"{len(source.problems)} problem{'' if len(source.problems) == 1 else 's'} in the file"
    )
    if len(pairs) < len(corpus):
        log.warning(
            "%s: %d of %d corpus passages are not in the file; they are built without facts",
            path,
            len(corpus) - len(pairs),
            len(corpus),
        )
    return extractor, summary
