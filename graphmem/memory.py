"""The facade users hold: :class:`Memory` wires store, index, extractor, embedder and retriever."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphmem.closing import Closing
from graphmem.config import MemoryConfig
from graphmem.embed import Embedder, make_embedder
from graphmem.errors import GraphMemError
from graphmem.extract import Extractor, SpacyExtractor
from graphmem.graph.ann_files import ANN_DIR
from graphmem.graph.builder import BuildTimings
from graphmem.graph.index import GraphIndex
from graphmem.graph.update import for_update
from graphmem.hits import hits_for, recognized_facts
from graphmem.indexes import NamespaceIndexes
from graphmem.memory_views import MemoryViews
from graphmem.retrieve.mentions import QueryMentions, fuzzy_mentions
from graphmem.retrieve.retriever import rank_passages, wants_lexical
from graphmem.retrieve.scope import build_scope
from graphmem.store.base import DeleteReport, Store
from graphmem.store.open import STORE_FILE, is_url, open_store, redacted
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.trace import Trace, trace_query
from graphmem.types import Answer, Document, Hit
from graphmem.validate import check_namespace, check_queries
from graphmem.writes import Writer

if TYPE_CHECKING:
    from graphmem.conversation import Turn
    from graphmem.llm.client import LLMClient

log = logging.getLogger(__name__)

__all__ = ["LLM_CACHE_FILE", "STORE_FILE", "Memory"]

LLM_CACHE_FILE = "llm_cache.sqlite"


class Memory(MemoryViews, Closing):
    """A graph memory in a directory (created when missing), or in PostgreSQL.

    >>> with Memory("./mem") as mem:                                     # doctest: +SKIP
    ...     mem.add(["Ada Lovelace was born in London."])
    ...     mem.retrieve("Where was Ada Lovelace born?", top_k=3)

    ``path`` is a memory directory or a ``postgresql://user@host:5432/db?schema=name`` URL
    (the ``postgres`` extra; see :func:`graphmem.store.open.open_store`); ``store`` passes an
    opened store instead (the memory closes it). ``path`` is the directory (None for a URL or a
    passed store: the LLM's responses are then not cached on disk); ``location`` names the
    store in messages, without a password.

    Models load lazily: opening a memory to read ``stats()`` does not import torch or spaCy.
    ``embedder`` and ``extractor`` may be passed in to share loaded models between memories.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        config: MemoryConfig | None = None,
        *,
        store: Store | None = None,
        embedder: Embedder | None = None,
        extractor: Extractor | None = None,
        llm: LLMClient | None = None,
    ):
        config = config if config is not None else MemoryConfig()
        self.config = config
        if (path is None) == (store is None):
            raise TypeError("Memory() takes a path (directory or postgresql:// URL) or store=")
        if store is not None:
            self.path: Path | None = None
            self.store: Store = store
            self.location = store.location
        elif is_url(path):  # type: ignore[arg-type]
            self.path = None
            self.location = redacted(str(path))
            self.store = open_store(str(path), config.store)
        else:
            self.path = Path(path)  # type: ignore[arg-type]
            self.store = open_store(self.path, config.store)
            self.location = str(self.path)
        self.embedder: Embedder = embedder or make_embedder(config.embed)
        self._extractor = extractor
        self._llm = llm
        self._llm_owned = False  # True when this memory created the client (and closes it)
        self._lock = threading.RLock()
        ann_dir = self.path / ANN_DIR if self.path is not None and config.retrieve.save_ann else None
        self._indexes = NamespaceIndexes(self.store, self.embedder, config, ann_dir)
        self.last_build = BuildTimings()
        try:
            self.store.check_embedder(self.embedder.name, None)
        except BaseException:
            self.store.close()
            raise

    # ---- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()
        if self._llm is not None and self._llm_owned:
            self._llm.close()

    @property
    def llm(self) -> LLMClient | None:
        """The model client when ``config.llm`` is set (or one was passed in), else None."""
        if self._llm is None and self.config.llm is not None:
            from graphmem.llm.client import LLMClient

            cache = None if self.path is None else self.path / LLM_CACHE_FILE
            self._llm = LLMClient(self.config.llm, cache_path=cache)
            self._llm_owned = True
        return self._llm

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = SpacyExtractor(self.config.extract)
        return self._extractor

    def index(self, namespace: str = DEFAULT_NAMESPACE, *, model: bool = True) -> GraphIndex:
        """The in-memory retrieval index of ``namespace`` at the store's current generation
        (loaded or refreshed as needed), for analysis, benchmarks and explorers; treat it as
        read-only. ``model=False`` does not load the embedding model when the store records
        its vector dimension."""
        store = self._namespace(namespace, "index()", must_exist=False)
        with self._lock:
            return self._indexes.ready(store.namespace, model=model)

    def _namespace(self, namespace: object, caller: str, *, must_exist: bool) -> Store:
        """The store view of a valid namespace name; reading one that holds no documents (other
        than the default) is a NotFoundError naming it."""
        ns = check_namespace(namespace, caller)
        store = self.store.scoped(ns)
        if must_exist and ns != DEFAULT_NAMESPACE and store.generation() == 0:
            from graphmem.errors import NotFoundError

            raise NotFoundError(f"{caller}: no namespace {ns!r} in {self.location}")
        return store

    # ---- writes -------------------------------------------------------------------------------

    def add(
        self,
        items: Iterable[str | Document] | str | Document,
        *,
        source: str = "add()",
        namespace: str = DEFAULT_NAMESPACE,
    ) -> list[str]:
        """Add documents; returns their ids in input order.

        ``items`` is an iterable of texts and :class:`Document` s, or a single one of either:
        ``add("Hello")`` adds one document (a string is never taken as an iterable of
        characters) and returns a list of one id.

        One transaction for the whole call: on any error (bad item, model failure, interrupted
        write) nothing of the call is stored. Documents already stored with the same text are
        skipped; the same id with different text raises :class:`graphmem.ConflictError`.
        Everything goes into ``namespace``, which nothing of another namespace ever sees.
        """
        if isinstance(items, (str, Document)):
            items = [items]
        with self._lock:
            ids, self.last_build = self._writer(namespace, source).add(items, source)
            return ids

    def update(
        self, doc_id: str, item: str | Document, *, namespace: str = DEFAULT_NAMESPACE
    ) -> None:
        """Replace stored document ``doc_id`` with ``item`` (a text, or a Document whose id is
        unset or ``doc_id``): one transaction, leaving exactly what ``delete(doc_id)`` then
        ``add`` would leave. The model work runs unlocked; the delete and the write of the new
        version commit together, so an error or crash in between leaves the old version.
        Unchanged content (text, title, metadata) writes nothing. An id that is not stored
        raises :class:`graphmem.NotFoundError` naming it; bad input raises InputError."""
        self._upsert([for_update(doc_id, item)], "update()", namespace, must_exist=True)

    def upsert(
        self,
        items: Iterable[str | Document] | str | Document,
        *,
        source: str = "upsert()",
        namespace: str = DEFAULT_NAMESPACE,
    ) -> list[str]:
        """Add the documents that are new, replace those stored with other content (text,
        title or metadata), skip those stored unchanged; returns every item's id in input
        order. One transaction, equal to deleting the replaced documents and then adding the
        items; an id given twice counts with its last item."""
        if isinstance(items, (str, Document)):
            items = [items]
        return self._upsert(items, source, namespace, must_exist=False)

    def _upsert(
        self, items: Iterable[object], source: str, namespace: str, *, must_exist: bool
    ) -> list[str]:
        with self._lock:
            writer = self._writer(namespace, source)
            ids, self.last_build = writer.upsert(items, source, must_exist=must_exist)
            return ids

    def _writer(self, namespace: str, source: str) -> Writer:
        store = self._namespace(namespace, source, must_exist=False)
        ready = partial(self._indexes.ready, store.namespace)
        configured = self._llm is not None or self.config.llm is not None
        judge = configured and self.config.temporal.llm_judge
        llm = (lambda: self.llm) if judge else None  # made on first use
        return Writer(store, ready, self.embedder, self.extractor, self.config, llm)

    def add_conversation(
        self,
        turns: Iterable[Turn],
        *,
        namespace: str = DEFAULT_NAMESPACE,
        session_time: object = None,
        window: int | None = None,
    ) -> list[str]:
        """Add chat turns as passages (each turn with the ``window`` turns before it, same
        session; see :mod:`graphmem.conversation`); returns the turns' document ids."""
        from graphmem import conversation

        return conversation.add_conversation(
            self, turns, namespace=namespace, session_time=session_time,
            window=conversation.DEFAULT_WINDOW if window is None else window,
        )

    def delete(self, doc_id: str, *, namespace: str = DEFAULT_NAMESPACE) -> DeleteReport:
        """Remove a document and everything only it supported. Unknown id: NotFoundError."""
        store = self._namespace(namespace, "delete()", must_exist=False)
        with self._lock:
            return store.delete_document(doc_id)

    def delete_namespace(self, namespace: str) -> int:
        """Remove a namespace and everything in it (one transaction); returns the number of
        documents removed. A namespace holding nothing raises NotFoundError."""
        ns = check_namespace(namespace, "delete_namespace()")
        with self._lock:
            removed = self.store.delete_namespace(ns)
            self._indexes.forget(ns)
            return removed

    # ---- reads --------------------------------------------------------------------------------

    def retrieve(
        self,
        query: str,
        top_k: int = 5,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        as_of: object = None,
        since: object = None,
        until: object = None,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """The ``top_k`` passages of ``namespace`` for ``query``, best first, each with an
        explanation and its time.

        Asked now (no ``as_of``), superseded facts do not seed the walk and passages that state
        only outdated facts are demoted (:class:`graphmem.config.TemporalConfig`). ``as_of``
        (a datetime, date or ISO-8601 string) answers as the memory stood then: only passages
        dated at or before it, facts valid then. ``since``/``until`` keep passages dated in
        that range (inclusive), ``where`` those whose document metadata has the given values
        (a list: any of them); a key no document has is an InputError."""
        check_queries("retrieve", [query], top_k)  # errors name retrieve(), not retrieve_many()
        return self.retrieve_many(
            [query], top_k, namespace=namespace, as_of=as_of, since=since, until=until,
            where=where, caller="retrieve()",
        )[0]

    def retrieve_many(
        self,
        queries: Sequence[str],
        top_k: int = 5,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        as_of: object = None,
        since: object = None,
        until: object = None,
        where: Mapping[str, Any] | None = None,
        caller: str = "retrieve_many()",
    ) -> list[list[Hit]]:
        """:meth:`retrieve` for several queries, embedding them in one batch."""
        check_queries(caller.removesuffix("()"), queries, top_k)
        store = self._namespace(namespace, caller, must_exist=True)
        with self._lock:
            vectors = self.embedder.encode(list(queries))
            # one snapshot from the index refresh to the passage texts: a write committed
            # meanwhile is seen by the next call, never half by this one
            with self._indexes.snapshot(store.namespace) as (index, store):
                scope = build_scope(
                    index, as_of=as_of, since=since, until=until, where=where,
                    outdated_scale=self.config.temporal.outdated_scale, caller=caller,
                )
                if index.n_chunks == 0:
                    return [[] for _ in queries]
                cfg = self.config.retrieve
                if wants_lexical(index, cfg):
                    index.enable_lexical(store)
                facts = recognized_facts(self.llm, index, queries, vectors, self.config.retrieve, scope)
                mentions = self._query_mentions(index, queries)
                return [
                    hits_for(
                        index,
                        store,
                        partial(rank_passages, index, q, v, cfg, facts=f, mentions=m, scope=scope),
                        top_k,
                    )
                    for q, v, f, m in zip(queries, vectors, facts, mentions)
                ]

    def _query_mentions(
        self, index: GraphIndex, queries: Sequence[str]
    ) -> Sequence[QueryMentions | None]:
        """The queries' mentions for fuzzy linking (nothing is parsed when it is off)."""
        return fuzzy_mentions(self.extractor, self.embedder, index, queries, self.config)

    def answer(
        self,
        question: str,
        top_k: int = 5,
        *,
        max_steps: int = 1,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Answer:
        """A short answer to ``question`` from the LLM, grounded in the ``top_k`` retrieved
        passages and citing them. ``max_steps > 1`` retrieves iteratively (IRCoT): each step's
        reasoning sentence becomes the next query. Needs ``config.llm`` (or an ``llm`` client)."""
        client = self.llm
        if client is None:
            raise GraphMemError(
                "answer() needs an LLM: set MemoryConfig(llm=LLMConfig(...)) or pass llm=LLMClient"
            )
        from graphmem.llm.qa import answer_question

        return answer_question(
            client,
            question,
            lambda q: self.retrieve(q, top_k=top_k, namespace=namespace),
            max_steps=max_steps,
        )

    def trace(
        self, query: str, top_k: int = 5, *, keep: int = 50, namespace: str = DEFAULT_NAMESPACE
    ) -> Trace:
        """:meth:`retrieve` explained per node: the hits, the PPR score of the ``keep`` best
        entities and passages, the seeds and the ranks (see :class:`graphmem.trace.Trace`), so
        explorers need no private state. Recomputes the walk: a few ms more than retrieve."""
        check_queries("trace", [query], top_k)
        store = self._namespace(namespace, "trace()", must_exist=True)
        with self._lock:
            vector = self.embedder.encode([query])[0]
            with self._indexes.snapshot(store.namespace) as (index, store):
                scope = build_scope(
                    index, outdated_scale=self.config.temporal.outdated_scale, caller="trace()"
                )
                facts = recognized_facts(
                    self.llm, index, [query], vector[None, :], self.config.retrieve, scope
                )[0]
                mentions = self._query_mentions(index, [query])[0]
                if wants_lexical(index, self.config.retrieve):
                    index.enable_lexical(store)
                return trace_query(
                    index, store, query, vector, self.config.retrieve, top_k, keep,
                    facts, mentions, scope,
                )

    def query_vector(self, query: str) -> np.ndarray:
        """The embedding a query is linked with (exposed for baselines and debugging)."""
        return self.embedder.encode([query])[0]

