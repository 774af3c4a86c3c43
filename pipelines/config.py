"""Configuration of an ingestion job (frozen; every default documented with its reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from graphmem.config import MemoryConfig
from graphmem.validate import check_namespace

__all__ = ["ON_CONFLICT", "IngestConfig", "OnConflict", "Runner"]

Runner = Literal["local", "ray"]
#: What a job does with a record whose id is taken by other content (:mod:`pipelines.conflicts`).
OnConflict = Literal["error", "skip", "replace"]
ON_CONFLICT: tuple[OnConflict, ...] = ("error", "skip", "replace")


@dataclass(frozen=True)
class IngestConfig:
    """How :func:`pipelines.run_ingest` runs.

    * ``workers`` (1): extraction processes (local runner) or actors (Ray runner), each loading
      the spaCy model once. ``0`` extracts in the calling process (no start-up cost; useful for
      small jobs and tests). For an extractor other than spaCy (e.g. the LLM one), the number of
      extraction calls in flight at once, in threads of this process. On 2 cores the embedder,
      not spaCy, is the bottleneck: 2 workers measured the same 22.0 passages/s as 1
      (benchmarks/bench_ingest.py); more pays only with more cores.
    * ``batch_size`` (256): documents per committed batch, i.e. per store transaction. A killed
      job loses at most the batches not yet committed (their extractions stay cached). Large
      enough that per-batch costs (index refresh, synonym search, commit) stay small, small
      enough to show progress and resume finely.
    * ``prefetch`` (2): batches read, chunked and sent to extraction/embedding ahead of the one
      being committed, so the models stay busy while the writer links and commits (measured
      1.05x over ``prefetch=0`` on 2 cores). Memory grows with ``prefetch * batch_size``, never
      with the input.
    * ``extract_batch_size`` (32): passages per extraction task. Fixed, not derived from
      ``workers``, so every passage is extracted in the same company whatever the worker count.
    * ``runner`` ("local"): ``"local"`` (process pool) or ``"ray"`` (actors on a Ray cluster).
    * ``ray_address`` (None): an existing cluster (``"ray://host:10001"``, ``"auto"``); ``None``
      starts a local Ray instance for the job (or uses one already initialised in this process).
    * ``ray_num_cpus`` (None): CPUs a local Ray instance advertises; ``None`` = ``workers`` plus
      the embedding actor's CPUs. Logical slots for scheduling, not a hard limit.
    * ``embed_threads`` (None): torch threads of the embedder: in the job process for the local
      runner (set for the job, restored after it), in the embedding actor for Ray (which also
      asks Ray for that many CPUs). ``None``: torch's own default locally; for Ray, all CPUs of
      this machine on a local instance, 1 on a cluster (``ray_address`` set). Measured on 2
      cores, 600 passages, one spaCy worker: 2 threads 20.5 passages/s, 1 thread 16.2 on a quiet
      machine; under heavy load from other processes 1 thread was faster (torch's threads wait
      for each other when a core is taken).
    * ``strict`` (False): stop at the first bad record. Batches before the one holding it are
      committed, nothing after; :class:`pipelines.IngestError` is raised. Otherwise bad records
      are reported, counted and skipped.
    * ``on_conflict`` ("error"): a record whose id is already taken (stored, or earlier in the
      input) by other content: ``"error"`` stops the job before its batch (the job cannot tell
      an intended edit from two records colliding on one id, and guessing either way loses
      something), ``"skip"`` reports it as a bad record and keeps what is stored, ``"replace"``
      replaces the stored document (``Memory.upsert``). See :mod:`pipelines.conflicts`.
    * ``cache`` (True): keep extractions in an on-disk cache (keyed by passage text and
      extractor), written as each task finishes, so a rerun never extracts a passage twice.
    * ``cache_dir`` (None): directory of the cache file; ``None`` = the store directory.
    * ``progress`` (None): show a progress bar on stderr; ``None`` = only when stderr is a
      terminal.
    * ``memory``: the graphmem configuration (chunking, models, graph) of the store.
    * ``namespace`` ("default"): the namespace written to; stored documents, conflicts and
      resuming are all judged within it (another namespace's documents are never skipped,
      replaced or in conflict).
    * ``max_reported_bad`` (100): bad records, and ids of documents whose extraction failed,
      listed in the report (all are counted).
    """

    workers: int = 1
    batch_size: int = 256
    prefetch: int = 2
    extract_batch_size: int = 32
    runner: Runner = "local"
    ray_address: str | None = None
    ray_num_cpus: int | None = None
    embed_threads: int | None = None
    strict: bool = False
    on_conflict: OnConflict = "error"
    cache: bool = True
    cache_dir: Path | None = None
    progress: bool | None = None
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    max_reported_bad: int = 100
    namespace: str = "default"

    def __post_init__(self) -> None:
        checks = {
            "workers": self.workers >= 0,
            "batch_size": self.batch_size >= 1,
            "prefetch": self.prefetch >= 0,
            "extract_batch_size": self.extract_batch_size >= 1,
            "max_reported_bad": self.max_reported_bad >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                low = 0 if name in ("workers", "prefetch", "max_reported_bad") else 1
                raise ValueError(f"IngestConfig.{name} must be >= {low}, got {getattr(self, name)}")
        if self.on_conflict not in ON_CONFLICT:
            raise ValueError(
                f"IngestConfig.on_conflict must be one of {', '.join(ON_CONFLICT)}, "
                f"got {self.on_conflict!r}"
            )
        check_namespace(self.namespace, "IngestConfig.namespace")
        if self.runner not in ("local", "ray"):
            raise ValueError(f"IngestConfig.runner must be 'local' or 'ray', got {self.runner!r}")
        for name in ("ray_num_cpus", "embed_threads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"IngestConfig.{name} must be >= 1, got {value}")
