"""An ingestion job: read → prepare → extract → embed → commit, overlapped, resumable.

One thread (the caller's) reads the input, forms batches of ``batch_size`` valid records, and
commits them in input order through :meth:`graphmem.Memory.add`: the single writer. Up to
``prefetch`` batches ahead of the one being committed are already prepared (ids checked against
the store, new documents chunked) and handed to extraction (a pool of processes, Ray actors or
threads) and to passage embedding (one thread), so the models work while the writer embeds
entities, links synonyms and commits.

Resuming is rerunning: batches are formed from the input alone, so a rerun forms the same
batches; documents stored with the record's content are skipped before anything is extracted
(a record whose id is taken by other content is settled by ``on_conflict``, see
:mod:`pipelines.conflicts`; ``"replace"`` commits through ``Memory.upsert``), and passages
extracted by an interrupted run come from the extraction cache (written as each task finishes,
before the batch is committed). Every model call sees the same inputs in the same company as in
an uninterrupted run, so the resumed store is identical to it, and identical whatever the
worker count or runner.

A passage whose extraction failed (an unusable model reply, :attr:`Extraction.failed
<graphmem.types.Extraction.failed>`) is never cached; its document is committed without that
passage's entities and facts, counted and listed in the report, or, in strict mode, the job
stops before its batch. Ctrl-C stops the job at once: extraction that can be cancelled (the LLM
extractor) is, queued work is dropped, nothing waits for running tasks, and the batches
committed so far stay (:class:`~pipelines.report.IngestInterrupted`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphmem.cache import CACHE_FILE, CachingExtractor, DiskCache
from graphmem.embed import Embedder
from graphmem.errors import StoreError
from graphmem.extract import Cancellable, Extractor
from graphmem.graph.builder import passage_input, prepare_document
from graphmem.memory import Memory
from graphmem.store.open import is_url, redacted
from graphmem.types import Document, Extraction
from pipelines.adapters import BackendExtractor, BatchExtractor, PrefetchEmbedder, TimedEmbedder
from pipelines.backends import make_backend, torch_threads
from pipelines.config import IngestConfig
from pipelines.conflicts import conflict_stop, sort_batch
from pipelines.progress import Progress
from pipelines.report import IngestError, IngestInterrupted, IngestReport, Tally, count_failures
from pipelines.sources import (
    BadRecord,
    InputFile,
    Record,
    count_records,
    expand_paths,
    iter_records,
)

__all__ = ["run_ingest"]

log = logging.getLogger(__name__)


def run_ingest(
    paths: Sequence[str | Path],
    store: str | Path,
    config: IngestConfig | None = None,
    *,
    extractor: Extractor | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Ingest ``paths`` (``.jsonl``, ``.json`` lists, directories of ``.txt``/``.md``) into the
    memory directory ``store``; returns what was done.

    ``extractor``: ``None`` or a :class:`~graphmem.extract.SpacyExtractor` runs spaCy in
    ``config.workers`` processes (or Ray actors); any other Extractor (e.g.
    ``graphmem.llm.LLMExtractor``) is called in this process with ``config.workers`` calls in
    flight. ``embedder``: share an already loaded embedder (local runner only; the Ray runner
    builds one from ``config.memory.embed`` in an actor).

    Rerunning after an interruption continues where the last run stopped. Extraction workers
    start with ``spawn``, so a script calling this must guard its entry point with
    ``if __name__ == "__main__":``.

    Raises:
        graphmem.InputError: a path does not exist or is of an unsupported type (before anything
            is read or written).
        IngestError: the job stopped early (strict mode met a bad record or a failed
            extraction, a model or the store failed); batches committed before stay committed,
            ``exc.report`` says what was done.
        IngestInterrupted: Ctrl-C (a KeyboardInterrupt carrying the report); batches committed
            before stay committed.
    """
    config = config if config is not None else IngestConfig()
    files = expand_paths(paths)
    if config.runner == "ray" and embedder is not None:
        raise ValueError(
            "the Ray runner loads its embedder in an actor from config.memory.embed; "
            "do not pass embedder="
        )
    location = store if is_url(store) else Path(store)
    job = _Job([str(p) for p in paths], files, location, config, extractor, embedder)
    return job.run()


@dataclass
class _Planned:
    """A batch prepared and sent to the models, waiting for its commit."""

    number: int
    records: int
    skipped: int
    added: int
    replaced: int
    docs: list[Document]
    ids: list[str]
    texts: list[str]
    owners: list[str]  # the document id of each passage in ``texts``
    inputs: list[str]
    extractions: list[Future[list[Extraction]]]
    vectors: Future[np.ndarray] | None


class _Job:
    def __init__(
        self,
        paths: list[str],
        files: list[InputFile],
        store: Path | str,
        config: IngestConfig,
        extractor: Extractor | None,
        embedder: Embedder | None,
    ):
        self.paths = paths
        self.files = files
        self.store_dir = store
        self.config = config
        self.extractor = extractor
        self.embedder = embedder
        self.tally = Tally()
        self.stopped: str | None = None
        self.in_flight: dict[str, str] = {}  # doc id -> content hash, batches not yet committed
        self._seconds_lock = threading.Lock()
        self._loading = False
        self.interrupted = False

    def run(self) -> IngestReport:
        start = time.perf_counter()
        cfg = self.config
        self.failed = False
        with contextlib.ExitStack() as stack:
            self._stack = stack
            self.backend = make_backend(cfg, self.extractor, self.embedder)
            stack.callback(lambda: self.backend.close(wait=not self.failed))
            self.models = TimedEmbedder(self.backend.embedder)
            self.writer_embedder = PrefetchEmbedder(self.models)
            source: Extractor = BackendExtractor(self.backend)
            self.batch_extractor = BatchExtractor(self.backend.extractor_name, source)
            mem = Memory(
                self.store_dir, cfg.memory, embedder=self.writer_embedder, extractor=self.batch_extractor
            )
            self.mem = stack.enter_context(mem)
            self.store = self.mem.store.scoped(cfg.namespace)  # all reads: this namespace's
            if self.mem.store.readonly:  # say so before the cache beside it fails to open
                raise StoreError(
                    f"{self.mem.store.location} is read-only ({self.mem.store.readonly_reason}): "
                    "cannot ingest into it"
                )
            self.cache: DiskCache | None = None
            cache_dir = cfg.cache_dir or (None if is_url(self.store_dir) else self.store_dir)
            if cfg.cache and cache_dir is None:
                log.info("no extraction cache: a PostgreSQL store has no directory (set cache_dir)")
            elif cfg.cache and cache_dir is not None:
                self.cache = DiskCache(Path(cache_dir) / CACHE_FILE)
                stack.callback(self.cache.close)
                source = CachingExtractor(source, self.cache)
            self.extract_source = self.batch_extractor.fallback = source
            self.dispatch = ThreadPoolExecutor(
                self.backend.concurrency, thread_name_prefix="extract"
            )
            stack.callback(
                lambda: self.dispatch.shutdown(wait=not self.interrupted, cancel_futures=True)
            )
            self.embedding = ThreadPoolExecutor(1, thread_name_prefix="embed")
            stack.callback(
                lambda: self.embedding.shutdown(wait=not self.interrupted, cancel_futures=True)
            )
            self.progress = stack.enter_context(
                Progress(cfg.progress, lambda: count_records(self.files))
            )
            try:
                self._loop()
            except Exception as exc:
                self.failed = True
                report = self._report(start, f"{type(exc).__name__}: {exc}")
                raise IngestError(
                    f"{exc} ({self.tally.batches} batches committed before)", report
                ) from exc
            except BaseException as exc:  # Ctrl-C: leave at once, without waiting for workers
                self.failed = self.interrupted = True
                if isinstance(self.extractor, Cancellable):
                    self.extractor.cancel()  # queued tasks are dropped by the shutdowns
                if isinstance(exc, KeyboardInterrupt):
                    raise IngestInterrupted(self._report(start, "interrupted")) from exc
                raise
            report = self._report(start, self.stopped)
        log.info("ingest finished: %s", report.summary().replace("\n", "; "))
        if self.stopped is not None:
            raise IngestError(self.stopped, report)
        return report

    # ---- the loop -----------------------------------------------------------------------------

    def _loop(self) -> None:
        batches = self._batches()
        pending: deque[_Planned] = deque()
        number = 0
        exhausted = False
        while True:
            while not exhausted and len(pending) <= self.config.prefetch:
                records = next(batches, None)
                plan = None if records is None else self._plan(number, records)
                if plan is None:
                    exhausted = True
                    break
                pending.append(plan)
                number += 1
            if not pending:
                return
            if not self._commit(pending.popleft()):
                return

    def _batches(self) -> Iterator[list[Record]]:
        """Batches of ``batch_size`` valid records, in input order. Strict mode ends at the
        first bad record, dropping the incomplete batch that holds it."""
        items = iter_records(self.files)
        batch: list[Record] = []
        while True:
            t0 = time.perf_counter()
            item = next(items, None)
            self._add_seconds("read", time.perf_counter() - t0)
            if item is None:
                break
            self.tally.records += 1
            if isinstance(item, BadRecord):
                if self._bad(item):
                    return
                continue
            self.tally.read += 1
            batch.append(item)
            if len(batch) == self.config.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _bad(self, bad: BadRecord, *, advance: bool = True) -> bool:
        """Count a bad record; True when the job must stop (strict mode). ``advance=False``
        for a record of a batch, which advances the progress bar when the batch commits."""
        self.tally.count_bad(str(bad), bad.unread, self.config.max_reported_bad)
        if advance:
            self.progress.advance(1)
        if self.config.strict:
            self.stopped = f"{bad} (strict mode: stopped before this record's batch)"
            return True
        return False

    def _plan(self, number: int, records: list[Record]) -> _Planned | None:
        """Skip documents stored unchanged, settle conflicts (:mod:`pipelines.conflicts`),
        chunk the documents to write, send them to the models. ``None`` when the job stops
        here (a conflict under ``on_conflict="error"``, or a bad record in strict mode)."""
        t0 = time.perf_counter()
        on_conflict = self.config.on_conflict
        batch = sort_batch(records, self.store, self.in_flight, on_conflict)
        for rec, reason in batch.conflicts:
            if on_conflict == "error":
                self.stopped = conflict_stop(rec, reason)
                return None
            if self._bad(BadRecord(rec.source, rec.line, reason), advance=False):
                return None
        chunking = self.config.memory.chunk
        prepared = [prepare_document(d, doc_id, chunking) for doc_id, d in batch.docs.items()]
        docs, seen = list(batch.docs.values()), batch.fingerprints
        texts = [p for d in prepared for p in d.passages]
        owners = [d.doc_id for d in prepared for _ in d.passages]
        inputs = [passage_input(d.title, p) for d in prepared for p in d.passages]
        self.in_flight.update(seen)
        self._add_seconds("prepare", time.perf_counter() - t0)
        if texts and not self._loading:
            self._start_models()
        step = self.config.extract_batch_size
        extractions = [
            self.dispatch.submit(self._extract, texts[i : i + step])
            for i in range(0, len(texts), step)
        ]
        vectors = self.embedding.submit(self.models.encode, inputs) if inputs else None
        return _Planned(
            number, len(records), batch.skipped, batch.added, batch.replaced, docs, list(seen),
            texts, owners, inputs, extractions, vectors,
        )

    def _start_models(self) -> None:
        """Start the backend here, in the job's thread (Ray ties its processes to the thread
        that starts it), and load the embedder in the background; only once there is work, so
        a rerun with nothing left to do loads no model."""
        self._loading = True
        t0 = time.perf_counter()
        if self.config.runner == "local" and self.config.embed_threads is not None:
            self._stack.enter_context(
                torch_threads(self.config.embed_threads, self.backend.embedder)
            )
        self.backend.start()
        self._add_seconds("load", time.perf_counter() - t0)
        self.embedding.submit(self._load)

    def _load(self) -> None:
        t0 = time.perf_counter()
        _ = self.models.dim  # loads the model (Ray: waits for the actor) before the first batch
        self._add_seconds("load", time.perf_counter() - t0)

    def _extract(self, texts: list[str]) -> list[Extraction]:
        t0 = time.perf_counter()
        try:
            return self.extract_source.extract_batch(texts)
        finally:
            self._add_seconds("extract", time.perf_counter() - t0)

    def _commit(self, plan: _Planned) -> bool:
        """Commit one batch; False when strict mode stops before it (a failed extraction)."""
        t0 = time.perf_counter()
        extractions = [e for f in plan.extractions for e in f.result()]
        vectors = plan.vectors.result() if plan.vectors is not None else None
        t1 = time.perf_counter()
        self._add_seconds("wait", t1 - t0)
        stop = count_failures(
            self.tally, plan.owners, extractions, self.config.strict, self.config.max_reported_bad
        )
        if stop is not None:  # strict mode: stop before this batch
            self.stopped = stop
            return False
        tally = self.tally
        if plan.docs:
            self.batch_extractor.load(dict(zip(plan.texts, extractions)))
            self.writer_embedder.load(plan.inputs, vectors)
            embedded_before = self.writer_embedder.seconds
            write = self.mem.upsert if self.config.on_conflict == "replace" else self.mem.add
            write(plan.docs, source=f"batch {plan.number}", namespace=self.config.namespace)
            elapsed = time.perf_counter() - t1
            build = self.mem.last_build
            self.batch_extractor.load({})
            self.writer_embedder.load([], None)
            self._add_seconds("synonyms", build.synonyms)
            inside = self.writer_embedder.seconds - embedded_before
            self._add_seconds("commit", max(0.0, elapsed - inside - build.synonyms))
            tally.count_batch(build.counts)
        for doc_id in plan.ids:
            self.in_flight.pop(doc_id, None)
        tally.added += plan.added
        tally.replaced += plan.replaced
        tally.skipped += plan.skipped
        self.progress.advance(plan.records, added=tally.added, skipped=tally.skipped, bad=tally.bad)
        log.info(
            "batch %d: %d documents added, %d replaced, %d skipped (%d passages)",
            *(plan.number, plan.added, plan.replaced, plan.skipped, len(plan.texts)),
        )
        return True

    # ---- bookkeeping --------------------------------------------------------------------------

    def _add_seconds(self, stage: str, seconds: float) -> None:
        with self._seconds_lock:
            self.tally.seconds[stage] += seconds

    def _report(self, start: float, error: str | None) -> IngestReport:
        t = self.tally
        seconds = dict(t.seconds)
        seconds["embed"] = self.models.seconds
        seconds["wall"] = time.perf_counter() - start
        seconds = {k: round(v, 3) for k, v in seconds.items()}
        cache = self.cache.stats() if self.cache is not None else {}
        usage = getattr(getattr(self.extractor, "client", None), "usage", None)
        usage = dict(usage.as_dict()) if hasattr(usage, "as_dict") else None
        return t.freeze(
            paths=tuple(self.paths),
            store_path=redacted(str(self.store_dir)),  # a directory path comes back unchanged
            config=self.config,
            extractor=self.backend.extractor_name,
            seconds=seconds,
            extraction_cache={k: v for k, v in cache.items() if k.startswith("extraction")},
            llm_usage=usage,
            store=dict(self.store.counts()),
            error=error,
        )
