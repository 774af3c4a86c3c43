"""The read-only views a :class:`graphmem.Memory` gives of what it stores: counts, documents,
namespaces, an entity's facts in time, the graph as networkx, a few nodes' neighbourhood and the
dense-retrieval baseline over its passage vectors.
A mixin of ``Memory``: it uses the memory's store, lock, namespace check and indexes."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphmem.facts import FactInfo, facts_about
from graphmem.graph.neighbours import Neighbourhood, neighbourhood
from graphmem.graph.view import undirected_view
from graphmem.retrieve.dense import dense_documents
from graphmem.retrieve.scope import build_scope
from graphmem.store.base import DocumentInfo, Store
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.validate import check_queries

if TYPE_CHECKING:
    from graphmem.embed import Embedder
    from graphmem.indexes import NamespaceIndexes
    from graphmem.llm.client import LLMClient

__all__ = ["MemoryViews"]


class MemoryViews:
    """Read-only views (see the module docstring)."""

    store: Store
    location: str
    embedder: Embedder
    _lock: threading.RLock
    _indexes: NamespaceIndexes
    _llm: LLMClient | None

    def _namespace(self, namespace: object, caller: str, *, must_exist: bool) -> Store:
        raise NotImplementedError

    def namespaces(self) -> list[str]:
        """The namespaces that hold documents, sorted."""
        with self._lock:
            return self.store.namespaces()

    def facts_about(
        self, name: str, *, namespace: str = DEFAULT_NAMESPACE, as_of: object = None
    ) -> list[FactInfo]:
        """The facts with entity ``name`` as subject or object, each with its validity
        intervals, whether it holds now (or at ``as_of``), what superseded it and the passages
        stating it (see :class:`graphmem.facts.FactInfo`). Unknown names give []."""
        store = self._namespace(namespace, "facts_about()", must_exist=True)
        with self._lock, self._indexes.snapshot(store.namespace) as (index, store):
            scope = build_scope(index, as_of=as_of, caller="facts_about()")
            return facts_about(index, store, name, scope.at)

    def stats(self, *, namespace: str | None = None) -> dict[str, Any]:
        """Row counts (documents, chunks, entities, facts, synonym_edges, ...) of the whole
        store, or of ``namespace``, plus the store's generation, embedder and path."""
        store = self.store if namespace is None else self._namespace(namespace, "stats()", must_exist=True)
        with self._lock:
            out: dict[str, Any] = dict(store.counts(every_namespace=namespace is None))
            out["namespaces"] = len(self.store.namespaces())
            out["generation"] = self.store.store_generation()
            out["embedder"] = self.store.meta("embedder_name") or self.embedder.name
            out["path"] = self.location
            if self._llm is not None:
                out["llm"] = self._llm.usage.as_dict()
            return out

    def documents(self, *, namespace: str = DEFAULT_NAMESPACE) -> list[DocumentInfo]:
        """Every document of ``namespace`` (id, title, passage count, metadata, time, when it
        was stored), oldest first."""
        store = self._namespace(namespace, "documents()", must_exist=False)
        with self._lock:
            return store.documents()

    def to_graph(self, *, namespace: str = DEFAULT_NAMESPACE) -> Any:
        """The stored graph of ``namespace`` as a directed ``networkx.MultiDiGraph`` with scalar
        attributes only (fact edges subject -> object with predicate and provenance, mention
        and synonym edges), ready for GraphML; see :mod:`graphmem.export`. Loads no model."""
        from graphmem.export import export_graph

        store = self._namespace(namespace, "to_graph()", must_exist=False)
        with self._lock:
            return export_graph(store)

    def to_networkx(self, *, namespace: str = DEFAULT_NAMESPACE) -> Any:
        """The knowledge graph of ``namespace`` as a ``networkx.Graph``.

        Nodes are ``"entity:<name>"`` (attributes ``kind="entity"``, ``label``, ``type``) and
        ``"passage:<chunk_id>"`` (``kind="passage"``, ``doc_id``, ``text``); edges carry
        ``kind`` (``fact``, ``mention`` or ``synonym``), ``weight`` and, for facts, ``predicates``.
        """
        store = self._namespace(namespace, "to_networkx()", must_exist=False)
        with self._lock, self._indexes.snapshot(store.namespace, model=False) as (index, store):
            return undirected_view(index, store)

    def neighbours(
        self, nodes: Sequence[str], *, limit: int = 25, namespace: str = DEFAULT_NAMESPACE
    ) -> Neighbourhood:
        """``nodes`` of ``namespace`` (ids as in :meth:`to_networkx`; unknown ones listed as
        ``missing``) with up to ``limit`` neighbours each and every edge among them, without
        building the whole graph: see :mod:`graphmem.graph.neighbours`. Loads no model."""
        store = self._namespace(namespace, "neighbours()", must_exist=True)
        with self._lock, self._indexes.snapshot(store.namespace, model=False) as (index, store):
            return neighbourhood(index, store, list(nodes), limit)

    def dense_ranking(
        self,
        queries: Sequence[str],
        top_k: int = 5,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        as_of: object = None,
        since: object = None,
        until: object = None,
        where: Mapping[str, Any] | None = None,
    ) -> list[list[str]]:
        """Ids of the ``top_k`` documents nearest each query by cosine alone, best first.

        The dense-retrieval baseline over exactly the passage vectors this memory stores (no
        graph, no PPR): a document scores as its best passage, ties go to the older passage.
        ``as_of``, ``since``, ``until`` and ``where`` restrict the passages as in :meth:`retrieve`.
        """
        check_queries("dense_ranking", queries, top_k)
        store = self._namespace(namespace, "dense_ranking()", must_exist=True)
        with self._lock, self._indexes.snapshot(store.namespace) as (index, store):
            scope = build_scope(
                index, as_of=as_of, since=since, until=until, where=where, caller="dense_ranking()"
            )
            if index.n_chunks == 0:
                return [[] for _ in queries]
            chunk_docs = self._indexes.chunk_docs(store.namespace, index, store)
            vectors = self.embedder.encode(list(queries))
            return dense_documents(index, chunk_docs, vectors, top_k, scope)
