"""The two write paths of :class:`graphmem.Memory` (add, and upsert/update), each one store
transaction: the model work runs with no lock held (extraction and embedding, then, with an
LLM, the contradiction judge of :mod:`graphmem.graph.conflicts`), then every check and the
write commit together under :meth:`Store.writing` (see :mod:`graphmem.graph.builder`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphmem.config import MemoryConfig
from graphmem.embed import Embedder
from graphmem.extract import Extractor
from graphmem.graph.builder import BuildTimings, build_content, prepare, resolve_batch
from graphmem.graph.conflicts import judge_conflicts
from graphmem.graph.index import GraphIndex
from graphmem.graph.update import plan_upsert, resolve_upsert
from graphmem.store.base import Store

if TYPE_CHECKING:
    from graphmem.llm.client import LLMClient

log = logging.getLogger(__name__)

__all__ = ["Writer"]


@dataclass(frozen=True)
class Writer:
    """Writes into one namespace's ``store``; ``ready`` gives its index at the store's current
    generation (only called when there is something to write); ``llm`` (None: offline) gives
    the model client that judges contradictions (:mod:`graphmem.graph.conflicts`)."""

    store: Store
    ready: Callable[[], GraphIndex]
    embedder: Embedder
    extractor: Extractor
    config: MemoryConfig
    llm: Callable[[], LLMClient | None] | None = None

    def add(self, items: Iterable[object], source: str) -> tuple[list[str], BuildTimings]:
        """:meth:`graphmem.Memory.add`: returns every item's id and the build's timings."""
        timings = BuildTimings()
        ids, docs = prepare(items, self.store, self.config.chunk, source)
        if not docs:
            return ids, timings
        index = self.ready()
        content = build_content(
            docs, self.store, self.embedder, self.extractor, self.config.graph, timings
        )
        content.conflicts = judge_conflicts(
            content, index, self.store, self.embedder, self.llm, self.config.temporal
        )
        with self.store.writing():  # every check below and the write: one transaction
            batch = resolve_batch(
                content, self.store, index, self.embedder, self.config.graph, timings, source
            )
            self.store.write(batch)
        log.info("added %d documents (%s)", len(batch.documents), timings.counts)
        return ids, timings

    def upsert(
        self, items: Iterable[object], source: str, *, must_exist: bool
    ) -> tuple[list[str], BuildTimings]:
        """:meth:`graphmem.Memory.upsert` (``must_exist``: :meth:`graphmem.Memory.update`)."""
        timings = BuildTimings()
        plan = plan_upsert(items, self.store, self.config.chunk, source, must_exist=must_exist)
        if not plan.docs:
            return plan.ids, timings
        index = self.ready()
        content = build_content(
            plan.docs, self.store, self.embedder, self.extractor, self.config.graph, timings,
            embed_new=not plan.replaces,
        )
        replaced = [d.doc_id for d in plan.docs if plan.seen[d.doc_id] is not None]
        content.conflicts = judge_conflicts(
            content, index, self.store, self.embedder, self.llm, self.config.temporal, replaced
        )
        with self.store.writing():  # the plan's checks, the deletes, the write: one transaction
            batch, deleted = resolve_upsert(
                plan, content, self.store, index, self.embedder, self.config.graph, timings,
                source, must_exist=must_exist,
            )
            self.store.write(batch)
        log.info("%s: %d documents replaced (%s)", source, len(deleted), timings.counts)
        return plan.ids, timings
