"""The memory behind the server: one writer and a pool of readers over the same store.

:class:`graphmem.Memory` serialises its own calls with one lock, so a retrieve on the memory
that is writing would wait for the whole write (model work included). The service therefore
opens the store several times, sharing the loaded models: writes go to one writer memory on one
worker thread (serialised, in arrival order); reads take any free reader memory on a pool of
threads. The store's WAL snapshots let readers go on while the writer writes; a reader sees a
write once it has committed, never half of it. Adds that queue up behind a running write are
stored together by the next one (:mod:`graphmem.server.batching`)."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from graphmem.config import MemoryConfig
from graphmem.memory import Memory
from graphmem.server.batching import AddBatch, document_ids, run_batch
from graphmem.store.open import is_url, redacted
from graphmem.types import Document

log = logging.getLogger(__name__)

__all__ = ["MemoryService"]

T = TypeVar("T")


class MemoryService:
    """Writer + readers over the store at ``path``; models are loaded by :meth:`start`."""

    def __init__(self, path: Path | str, config: MemoryConfig | None = None, *, readers: int = 2,
                 embedder: Any = None, extractor: Any = None, batch_adds: bool = True,
                 max_batch_docs: int = 1_000):
        self.path: Path | str = path if is_url(path) else Path(path)
        self.shown = redacted(str(path)) if is_url(path) else str(path)  # for logs: no password
        self.config = config if config is not None else MemoryConfig()
        self.n_readers = readers
        self._embedder = embedder
        self._extractor = extractor
        self._writer: Memory | None = None
        self._readers: queue.Queue[Memory] = queue.Queue()
        self._opened: list[Memory] = []
        self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="graphmem-writer")
        self._read_pool = ThreadPoolExecutor(readers, thread_name_prefix="graphmem-reader")
        self._ready = threading.Event()
        self._closed = False
        self.batch_adds = batch_adds
        self._max_batch_docs = max_batch_docs
        self._submit_lock = threading.Lock()  # orders pool submissions with batch opening
        self._open_batch: AddBatch | None = None

    def start(self) -> None:
        """Open the memories and load both models (seconds), so no request pays for it."""
        from graphmem.embed import make_embedder
        from graphmem.extract import SpacyExtractor

        embedder = self._embedder or make_embedder(self.config.embed)
        extractor = self._extractor or SpacyExtractor(self.config.extract)
        writer = self._open(embedder, extractor)
        _ = extractor.nlp if isinstance(extractor, SpacyExtractor) else None  # load spaCy now
        # a first retrieve loads the embedder and records it in a new store: the one write a
        # reader would otherwise make, inside a snapshot, while the writer holds the lock
        writer.retrieve("warm up", top_k=1)
        self._writer = writer
        for _ in range(self.n_readers):
            reader = self._open(embedder, extractor)
            reader.retrieve("warm up", top_k=1)  # loads this reader's graph index
            self._readers.put(reader)
        self._ready.set()
        log.info("memory %s ready: 1 writer, %d readers", self.shown, self.n_readers)

    def _open(self, embedder: Any, extractor: Any) -> Memory:
        mem = Memory(self.path, self.config, embedder=embedder, extractor=extractor)
        self._opened.append(mem)
        return mem

    @property
    def ready(self) -> bool:
        """Models loaded and the store open (and not closing)."""
        return self._ready.is_set() and not self._closed

    @contextmanager
    def _reader(self) -> Iterator[Memory]:
        mem = self._readers.get()
        try:
            yield mem
        finally:
            self._readers.put(mem)

    def _read_call(self, fn: Callable[[Memory], T]) -> T:
        with self._reader() as mem:
            return fn(mem)

    def _write_call(self, fn: Callable[[Memory], T]) -> T:
        assert self._writer is not None, "start() first"
        return fn(self._writer)

    async def read(self, fn: Callable[[Memory], T]) -> T:
        """Run ``fn(reader_memory)`` on the reader pool (reads run side by side)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_pool, self._read_call, fn)

    async def write(self, fn: Callable[[Memory], T]) -> T:
        """Run ``fn(writer_memory)`` on the one writer thread (writes run one at a time)."""
        with self._submit_lock:
            self._open_batch = None  # adds arriving after this write are stored after it
            future = self._write_pool.submit(self._write_call, fn)
        return await asyncio.wrap_future(future)

    async def add(self, docs: list[Document], source: str, namespace: str = "default") -> list[str]:
        """``Memory.add(docs)`` on the writer, in one commit with the adds queued beside it
        (into the same namespace)."""
        if not self.batch_adds:
            return await self.write(lambda m: m.add(docs, source=source, namespace=namespace))
        ids = document_ids(docs)
        with self._submit_lock:
            batch = self._open_batch
            if batch is None or not batch.accepts(ids, len(docs), namespace):
                batch = AddBatch(self._max_batch_docs, namespace)
                self._write_pool.submit(self._write_call, lambda m: self._start_batch(m, batch))
                self._open_batch = batch  # only once submitted (a closed pool raises)
            future = batch.append(docs, source, ids)
        return await asyncio.wrap_future(future)

    def _start_batch(self, writer: Memory, batch: AddBatch) -> None:
        with self._submit_lock:  # closed: later adds open the next batch
            if self._open_batch is batch:
                self._open_batch = None
        run_batch(writer, batch)

    def close(self) -> None:
        """Finish queued and running calls, then close every memory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._write_pool.shutdown(wait=True)
        self._read_pool.shutdown(wait=True)
        for mem in self._opened:
            mem.close()
        log.info("memory %s closed", self.shown)
