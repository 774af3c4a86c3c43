"""The in-memory index of each namespace a :class:`graphmem.Memory` reads, kept at its store
generation. One namespace's index holds only its rows, so a query's cost follows the size of
its namespace, not of the store, and a write to one namespace never makes another reload."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graphmem.config import MemoryConfig
from graphmem.embed import Embedder
from graphmem.graph.ann_files import AnnFiles
from graphmem.graph.index import GraphIndex
from graphmem.store.base import Store

__all__ = ["NamespaceIndexes"]


class NamespaceIndexes:
    """Indexes by namespace over one store. Not thread-safe: the memory's lock guards it."""

    def __init__(
        self, store: Store, embedder: Embedder, config: MemoryConfig, ann_dir: Path | None = None
    ):
        self.store = store
        self.ann_dir = ann_dir  # where namespaces' ANN graphs are kept (None: not kept)
        self.embedder = embedder
        self.config = config
        self._dim_checked = False
        self._indexes: dict[str, GraphIndex] = {}
        self._chunk_docs: dict[str, tuple[int, list[str]]] = {}

    def ready(self, namespace: str, *, model: bool = True) -> GraphIndex:
        """The namespace's index at its current generation (loads or refreshes as needed).

        ``model=False`` is for reads that embed nothing (the graph export): a store that has
        recorded its vector dimension then opens without loading the embedding model; the
        model's dimension is checked against the store's before anything is embedded."""
        if not self._dim_checked and (model or not self.store.dim):
            self.store.check_embedder(self.embedder.name, self.embedder.dim)
            self._dim_checked = True
        index = self._indexes.get(namespace)
        if index is None:
            dim = self.store.dim or self.embedder.dim
            index = GraphIndex(dim, self.config.graph, self.config.temporal, self._files(namespace))
            self._indexes[namespace] = index
        index.refresh(self.store.scoped(namespace))
        return index

    @contextmanager
    def snapshot(self, namespace: str, *, model: bool = True) -> Iterator[tuple[GraphIndex, Store]]:
        """The namespace's index refreshed inside one store snapshot that stays open for the
        block, and the namespace's store view, so the passages read there match the index.
        Readiness is checked first, outside: the first call may record the embedder in the
        store, a write a read snapshot cannot hold."""
        self.ready(namespace, model=model)
        store = self.store.scoped(namespace)
        with store.snapshot():
            yield self.ready(namespace, model=model), store

    def chunk_docs(self, namespace: str, index: GraphIndex, store: Store) -> list[str]:
        """The document id of each passage of ``index`` (cached per generation)."""
        cached = self._chunk_docs.get(namespace)
        if cached is None or cached[0] != index.generation:
            records = store.passages([int(i) for i in index.chunks.ids])
            cached = (index.generation, [records[int(i)].doc_id for i in index.chunks.ids])
            self._chunk_docs[namespace] = cached
        return cached[1]

    def _files(self, namespace: str) -> AnnFiles | None:
        if self.ann_dir is None:
            return None
        return AnnFiles(
            self.ann_dir,
            namespace,
            self.store.meta("embedder_name") or self.embedder.name,
            writable=not self.store.readonly,
        )

    def forget(self, namespace: str) -> None:
        """Drop a namespace's index and its saved ANN graphs (after the namespace was deleted)."""
        files = self._files(namespace)
        if files is not None:
            files.remove()
        self._indexes.pop(namespace, None)
        self._chunk_docs.pop(namespace, None)
