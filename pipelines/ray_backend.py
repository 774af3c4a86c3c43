"""The Ray runner: extraction and embedding in Ray actors, results streamed to the one writer.

Actors hold the models, so each loads its model once for the whole job:

* ``workers`` extraction actors (1 CPU each), each with a spaCy pipeline; tasks go to whichever
  actor is idle, so a slow task does not hold up the others;
* one embedding actor (``embed_threads`` CPUs and as many torch threads) with the
  sentence-transformers model; it embeds passages ahead of the writer and, for the writer, new
  entity names and facts.

The writer (``Memory.add`` in the job process) stays single: it receives every result and
commits in input order, so the store equals the local runner's. An extractor other than spaCy
(e.g. the LLM one, which is network-bound) runs in the job process; only embedding goes to Ray.

``ray`` is imported only here, when the runner is used (``pip install graphmem[ray]``). With no
``ray_address`` a local instance is started for the job (or one already initialised in this
process is used) and shut down at the end if the job started it. On a cluster every node needs
graphmem installed (or a ``runtime_env`` that provides it).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from graphmem.config import EmbedConfig, ExtractConfig
from graphmem.embed import Embedder
from graphmem.errors import MissingDependencyError
from graphmem.extract import Extractor, SpacyExtractor
from graphmem.types import Extraction
from pipelines.config import IngestConfig
from pipelines.workers import WorkerError, load_spacy_without_torch

__all__ = ["LOCAL_SYSTEM_CONFIG", "OBJECT_STORE_BYTES", "RayBackend"]

log = logging.getLogger(__name__)

#: Object store of a local instance: results are small (extractions, a batch of vectors), and
#: Ray's default (30% of RAM) would reserve gigabytes of shared memory for nothing.
OBJECT_STORE_BYTES = 256 * 1024 * 1024

#: System settings of a local instance. Ray runs its workers at niceness 15 so the driver stays
#: responsive; here the workers do all the work, and at 15 any other process on the machine
#: starves them (measured: the embedding actor 2.4x slower than the same model in the job
#: process while other jobs ran). A cluster's own settings are left alone.
LOCAL_SYSTEM_CONFIG = {"worker_niceness": 0}


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(
            "the Ray runner needs ray: pip install 'graphmem[ray]' (or pip install 'ray>=2.9')"
        ) from exc
    return ray


class _ExtractWorker:
    """Actor body: one spaCy pipeline, loaded when the actor starts."""

    def __init__(self, config: ExtractConfig):
        self.extractor = load_spacy_without_torch(config)

    def extract(self, texts: list[str]) -> list[Extraction]:
        return self.extractor.extract_batch(texts)


class _EmbedWorker:
    """Actor body: one sentence-transformers model, loaded when the actor starts."""

    def __init__(self, config: EmbedConfig, threads: int):
        import torch

        from graphmem.embed import SentenceTransformerEmbedder

        torch.set_num_threads(threads)
        self.embedder = SentenceTransformerEmbedder(config)
        self.embedder.encode(["warm up"])

    def dim(self) -> int:
        return self.embedder.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)


class _RayEmbedder:
    """The embedding actor as an :class:`~graphmem.embed.Embedder` for the job process."""

    def __init__(self, backend: RayBackend, config: EmbedConfig):
        self._backend = backend
        self.name: str = config.model
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._backend.call(self._backend.embed_actor().dim.remote()))
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        ref = self._backend.embed_actor().encode.remote(list(texts))
        return np.array(self._backend.call(ref), dtype=np.float32)  # a writable copy


class RayBackend:
    """Actors for one job, started on first use (a rerun with nothing left to do starts none)."""

    def __init__(self, config: IngestConfig, spacy_config: ExtractConfig, inline: Extractor | None):
        self._ray = import_ray()
        self._config = config
        self._spacy_config = spacy_config
        self._inline = inline
        self.extractor_name = (
            inline.name if inline is not None else SpacyExtractor(spacy_config).name
        )
        self.concurrency = max(1, config.workers)
        self.embedder: Embedder = _RayEmbedder(self, config.memory.embed)
        self._lock = threading.Lock()
        self._started = False
        self._owns_ray = False
        self._embed: Any = None
        self._actors: list[Any] = []
        self._idle: queue.Queue[Any] = queue.Queue()

    def start(self) -> None:
        """Start (or join) Ray and the actors. Must run in a thread that outlives the job:
        Ray's processes are tied to the thread that calls ``ray.init``."""
        with self._lock:
            if self._started:
                return
            ray, cfg = self._ray, self._config
            local = cfg.ray_address is None
            embed_cpus = cfg.embed_threads or ((os.cpu_count() or 1) if local else 1)
            if not ray.is_initialized():
                ray.init(
                    address=cfg.ray_address,
                    num_cpus=(cfg.ray_num_cpus or self.concurrency + embed_cpus) if local else None,
                    object_store_memory=OBJECT_STORE_BYTES if local else None,
                    _system_config=LOCAL_SYSTEM_CONFIG if local else None,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
                self._owns_ray = True
                log.info(
                    "ray: %s", "started a local instance" if local else f"joined {cfg.ray_address}"
                )
            cluster_cpus = int(ray.cluster_resources().get("CPU", 0))
            if cfg.embed_threads is None and cluster_cpus:
                embed_cpus = min(
                    embed_cpus, cluster_cpus
                )  # e.g. a smaller instance of the caller's
            wanted = embed_cpus + (self.concurrency if self._inline is None else 0)
            if wanted > cluster_cpus:
                log.warning(
                    "ray: the actors ask for %d CPUs, the cluster has %d; they wait until it has",
                    wanted,
                    cluster_cpus,
                )
            embed_actor = ray.remote(num_cpus=embed_cpus)(_EmbedWorker)
            self._embed = embed_actor.remote(cfg.memory.embed, embed_cpus)
            if self._inline is None:
                extract_actor = ray.remote(num_cpus=1)(_ExtractWorker)
                self._actors = [
                    extract_actor.remote(self._spacy_config) for _ in range(self.concurrency)
                ]
                for actor in self._actors:
                    self._idle.put(actor)
            self._started = True

    def embed_actor(self) -> Any:
        if not self._started:
            raise RuntimeError("RayBackend.start() must be called before the first task")
        return self._embed

    def call(self, ref: Any) -> Any:
        """``ray.get`` with Ray's failures turned into :class:`WorkerError`."""
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayError as exc:
            raise WorkerError(
                f"a Ray task failed: {exc}; committed batches are kept, rerun to continue"
            ) from exc

    def extract(self, texts: Sequence[str]) -> list[Extraction]:
        if self._inline is not None:
            return self._inline.extract_batch(texts)
        if not self._started:
            raise RuntimeError("RayBackend.start() must be called before the first task")
        actor = self._idle.get()
        try:
            return self.call(actor.extract.remote(list(texts)))
        finally:
            self._idle.put(actor)

    def close(self, *, wait: bool = True) -> None:
        with self._lock:
            if not self._started:
                return
            for actor in [*self._actors, self._embed]:
                try:
                    self._ray.kill(actor)
                except (ValueError, self._ray.exceptions.RayError) as exc:  # already gone
                    log.debug("ray.kill: %s", exc)
            self._actors, self._embed, self._started = [], None, False
            if self._owns_ray:
                self._ray.shutdown()
                self._owns_ray = False
