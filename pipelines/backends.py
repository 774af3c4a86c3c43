"""Where extraction and embedding run. A job talks to one :class:`Backend`:

* :class:`ProcessPoolBackend` (local runner, spaCy): ``workers`` processes, each loading the
  spaCy pipeline once; the embedder runs in this process.
* :class:`InlineBackend`: the extractor object itself, called from this process's threads
  (``workers=0``, or an extractor that is not spaCy, e.g. the LLM one).
* :class:`pipelines.ray_backend.RayBackend`: actors on a Ray cluster.

A backend's ``extract`` blocks and is called from several threads at once (up to
``concurrency``); the job calls its ``embedder`` one call at a time (from two threads, through
:class:`pipelines.adapters.TimedEmbedder`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from graphmem.config import ExtractConfig
from graphmem.embed import Embedder, SentenceTransformerEmbedder
from graphmem.extract import Extractor, SpacyExtractor
from graphmem.types import Extraction
from pipelines.config import IngestConfig
from pipelines.workers import WorkerError, load_spacy_without_torch

__all__ = [
    "Backend",
    "InlineBackend",
    "ProcessPoolBackend",
    "make_backend",
    "torch_threads",
]

log = logging.getLogger(__name__)

#: How often a pool worker checks that the job process is still alive (seconds).
PARENT_POLL_S = 0.5


class Backend(Protocol):
    """Extraction and embedding for one job."""

    #: The extractor's ``name`` (the cache fingerprint and what the store is built with).
    extractor_name: str
    #: Extraction calls that may usefully be in flight at once.
    concurrency: int
    #: Thread-safe embedder used for passages, entity names and facts.
    embedder: Embedder

    def start(self) -> None:
        """Start workers; called once, from the job's own thread, before the first task (Ray
        ties its processes to the thread that starts it)."""
        ...

    def extract(self, texts: Sequence[str]) -> list[Extraction]: ...

    def close(self, *, wait: bool = True) -> None:
        """Release workers; ``wait=False`` (after a failure) does not wait for running tasks."""
        ...


class InlineBackend:
    """Extract with ``extractor`` in this process. spaCy is not safe to call from several
    threads, so a :class:`SpacyExtractor` runs one call at a time; other extractors (the LLM
    one is thread-safe and I/O bound) get ``concurrency`` calls at once."""

    def __init__(self, extractor: Extractor, embedder: Embedder, concurrency: int = 1):
        self.extractor = extractor
        self.extractor_name = extractor.name
        self.embedder = embedder
        serial = isinstance(extractor, SpacyExtractor)
        self.concurrency = 1 if serial else max(1, concurrency)
        self._lock: threading.Lock | None = threading.Lock() if serial else None

    def start(self) -> None:
        pass

    def extract(self, texts: Sequence[str]) -> list[Extraction]:
        if self._lock is None:
            return self.extractor.extract_batch(texts)
        with self._lock:
            return self.extractor.extract_batch(texts)

    def close(self, *, wait: bool = True) -> None:
        pass


# ---- process pool ------------------------------------------------------------------------------

_worker_extractor: SpacyExtractor | None = None


def _watch_parent(parent: int) -> None:
    """Exit when the job process is gone: a SIGKILLed job must not leave workers behind (they
    hold copies of the task queue's pipe, so they would never see end of file)."""
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(config: ExtractConfig, parent: int) -> None:
    global _worker_extractor
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the job's to handle, not ours
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    try:  # one BLAS thread per worker: the workers already fill the cores
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - the pipelines extra; scikit-learn brings it too
        pass
    _worker_extractor = load_spacy_without_torch(config)


def _worker_extract(texts: Sequence[str]) -> list[Extraction]:
    assert _worker_extractor is not None, "worker initialiser did not run"
    return _worker_extractor.extract_batch(texts)


class ProcessPoolBackend:
    """spaCy extraction in ``workers`` processes (started on first use, with ``spawn``: the job
    process may hold torch's thread pools, which do not survive ``fork``)."""

    def __init__(self, config: ExtractConfig, workers: int, embedder: Embedder):
        if workers < 1:
            raise ValueError(f"ProcessPoolBackend needs workers >= 1, got {workers}")
        self.config = config
        self.extractor_name = SpacyExtractor(config).name
        self.concurrency = workers
        self.embedder = embedder
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _ready(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.config, os.getpid()),
                )
                log.info("started %d extraction worker processes", self._workers)
            return self._pool

    def start(self) -> None:
        self._ready()

    def extract(self, texts: Sequence[str]) -> list[Extraction]:
        try:
            return self._ready().submit(_worker_extract, list(texts)).result()
        except BrokenProcessPool as exc:
            raise WorkerError(
                f"an extraction worker process died ({exc}); committed batches are kept, "
                "rerun the same command to continue. Workers start with 'spawn': a script that "
                'calls run_ingest must guard it with `if __name__ == "__main__":`'
            ) from exc

    def close(self, *, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


# ---- choosing ----------------------------------------------------------------------------------


def _is_spacy(extractor: Extractor | None) -> bool:
    return extractor is None or isinstance(extractor, SpacyExtractor)


def make_backend(
    config: IngestConfig, extractor: Extractor | None, embedder: Embedder | None
) -> Backend:
    """The backend for a job: spaCy (``extractor`` None or a SpacyExtractor, whose config is
    used) in worker processes or Ray actors, or in this process with ``workers=0``; any other
    extractor in this process's threads. The embedder is ``embedder``, else one built from
    ``config.memory.embed`` (the Ray runner always builds its own, in an actor)."""
    spacy_config = config.memory.extract
    if isinstance(extractor, SpacyExtractor):
        spacy_config = extractor.config
    if config.runner == "ray":
        from pipelines.ray_backend import RayBackend

        return RayBackend(config, spacy_config, None if _is_spacy(extractor) else extractor)
    if embedder is None:
        embedder = SentenceTransformerEmbedder(config.memory.embed)
    if config.workers >= 1 and _is_spacy(extractor):
        return ProcessPoolBackend(spacy_config, config.workers, embedder)
    return InlineBackend(extractor or SpacyExtractor(spacy_config), embedder, config.workers)


@contextlib.contextmanager
def torch_threads(threads: int, embedder: Embedder) -> Iterator[None]:
    """Run with ``threads`` torch threads, restoring the previous count after. Does nothing for
    an embedder that is not torch-based (torch is not imported for it)."""
    if not isinstance(embedder, SentenceTransformerEmbedder) and "torch" not in sys.modules:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    log.debug("torch threads: %d (were %d)", threads, previous)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
