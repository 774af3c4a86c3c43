"""The facade users hold: :class:`Memory` wires store, index, extractor, embedder and retriever."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphmem.closing import Closing
from graphmem.config import MemoryConfig
from graphmem.embed import Embedder, SentenceTransformerEmbedder
from graphmem.errors import GraphMemError, StoreError
from graphmem.extract import Extractor, SpacyExtractor
from graphmem.graph.builder import BuildTimings, build_content, prepare, resolve_batch
from graphmem.graph.index import GraphIndex
from graphmem.graph.neighbours import Neighbourhood, neighbourhood
from graphmem.graph.update import for_update, plan_upsert, resolve_upsert
from graphmem.graph.view import undirected_view
from graphmem.retrieve.mentions import QueryMentions, fuzzy_mentions
from graphmem.retrieve.retriever import (
    RankedPassage,
    candidate_facts,
    fact_triples,
    rank_passages,
)
from graphmem.store.base import DeleteReport, DocumentInfo
from graphmem.store.sqlite import SQLiteStore
from graphmem.trace import Trace, trace_query
from graphmem.types import Answer, Document, Hit
from graphmem.validate import check_queries

if TYPE_CHECKING:
    from graphmem.llm.client import LLMClient

log = logging.getLogger(__name__)

STORE_FILE = "graphmem.sqlite"
LLM_CACHE_FILE = "llm_cache.sqlite"


class Memory(Closing):
    """A graph memory in a directory (created when missing).

    >>> with Memory("./mem") as mem:                                     # doctest: +SKIP
    ...     mem.add(["Ada Lovelace was born in London."])
    ...     mem.retrieve("Where was Ada Lovelace born?", top_k=3)

    Models load lazily: opening a memory to read ``stats()`` does not import torch or spaCy.
    ``embedder`` and ``extractor`` may be passed in to share loaded models between memories.
    """

    def __init__(
        self,
        path: str | Path,
        config: MemoryConfig | None = None,
        *,
        embedder: Embedder | None = None,
        extractor: Extractor | None = None,
        llm: LLMClient | None = None,
    ):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"{self.path} is a file, not a memory directory")
        if not self.path.exists():
            try:
                self.path.mkdir(parents=True)
            except OSError as exc:
                raise StoreError(f"cannot create the memory directory {self.path}: {exc.strerror}") from exc
        config = config if config is not None else MemoryConfig()
        self.config = config
        self.store = SQLiteStore(self.path / STORE_FILE, config.store)
        self.embedder: Embedder = embedder or SentenceTransformerEmbedder(config.embed)
        self._extractor = extractor
        self._llm = llm
        self._llm_owned = False  # True when this memory created the client (and closes it)
        self._lock = threading.RLock()
        self._dim_checked = False
        self._index: GraphIndex | None = None
        self._chunk_docs: tuple[int, list[str]] | None = None  # (generation, doc id per chunk)
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

            self._llm = LLMClient(self.config.llm, cache_path=self.path / LLM_CACHE_FILE)
            self._llm_owned = True
        return self._llm

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = SpacyExtractor(self.config.extract)
        return self._extractor

    def _ready_index(self, *, model: bool = True) -> GraphIndex:
        """The index at the store's current generation (loads or refreshes as needed).

        ``model=False`` is for reads that embed nothing (the graph export): a store that has
        recorded its vector dimension then opens without loading the embedding model; the
        model's dimension is checked against the store's before anything is embedded."""
        if not self._dim_checked and (model or not self.store.dim):
            self.store.check_embedder(self.embedder.name, self.embedder.dim)
            self._dim_checked = True
        if self._index is None:
            self._index = GraphIndex(self.store.dim or self.embedder.dim, self.config.graph)
        self._index.refresh(self.store)
        return self._index

    @contextmanager
    def _snapshot_index(self, *, model: bool = True) -> Iterator[GraphIndex]:
        """The index refreshed inside one store snapshot that stays open for the block, so the
        passages read there match it. Readiness is checked first, outside: the first call may
        record the embedder in the store, a write a read snapshot cannot hold."""
        self._ready_index(model=model)
        with self.store.snapshot():
            yield self._ready_index(model=model)

    # ---- writes -------------------------------------------------------------------------------

    def add(
        self, items: Iterable[str | Document] | str | Document, *, source: str = "add()"
    ) -> list[str]:
        """Add documents; returns their ids in input order.

        ``items`` is an iterable of texts and :class:`Document` s, or a single one of either:
        ``add("Hello")`` adds one document (a string is never taken as an iterable of
        characters) and returns a list of one id.

        One transaction for the whole call: on any error (bad item, model failure, interrupted
        write) nothing of the call is stored. Documents already stored with the same text are
        skipped; the same id with different text raises :class:`graphmem.ConflictError`.
        """
        if isinstance(items, (str, Document)):
            items = [items]
        with self._lock:
            ids, docs = prepare(items, self.store, self.config.chunk, source)
            if not docs:
                return ids
            index = self._ready_index()
            self.last_build = timings = BuildTimings()
            content = build_content(
                docs, self.store, self.embedder, self.extractor, self.config.graph, timings
            )
            with self.store.writing():  # every check below and the write: one transaction
                batch = resolve_batch(
                    content, self.store, index, self.embedder, self.config.graph, timings, source
                )
                self.store.write(batch)
            log.info("added %d documents (%s)", len(batch.documents), timings.counts)
            return ids

    def update(self, doc_id: str, item: str | Document) -> None:
        """Replace stored document ``doc_id`` with ``item`` (a text, or a Document whose id is
        unset or ``doc_id``): one transaction, leaving exactly what ``delete(doc_id)`` then
        ``add`` would leave. The model work runs unlocked; the delete and the write of the new
        version commit together, so an error or crash in between leaves the old version.
        Unchanged content (text, title, metadata) writes nothing. An id that is not stored
        raises :class:`graphmem.NotFoundError` naming it; bad input raises InputError."""
        self._upsert([for_update(doc_id, item)], "update()", must_exist=True)

    def upsert(
        self, items: Iterable[str | Document] | str | Document, *, source: str = "upsert()"
    ) -> list[str]:
        """Add the documents that are new, replace those stored with other content (text,
        title or metadata), skip those stored unchanged; returns every item's id in input
        order. One transaction, equal to deleting the replaced documents and then adding the
        items; an id given twice counts with its last item."""
        if isinstance(items, (str, Document)):
            items = [items]
        return self._upsert(items, source, must_exist=False)

    def _upsert(self, items: Iterable[object], source: str, *, must_exist: bool) -> list[str]:
        with self._lock:
            plan = plan_upsert(items, self.store, self.config.chunk, source, must_exist=must_exist)
            if not plan.docs:
                return plan.ids
            index = self._ready_index()
            self.last_build = timings = BuildTimings()
            content = build_content(plan.docs, self.store, self.embedder, self.extractor,
                                    self.config.graph, timings, embed_new=not plan.replaces)
            with self.store.writing():  # the plan's checks, the deletes, the write: one transaction
                batch, deleted = resolve_upsert(
                    plan,
                    content,
                    self.store,
                    index,
                    self.embedder,
                    self.config.graph,
                    timings,
                    source,
                    must_exist=must_exist,
                )
                self.store.write(batch)
            log.info("%s: %d documents replaced (%s)", source, len(deleted), timings.counts)
            return plan.ids

    def delete(self, doc_id: str) -> DeleteReport:
        """Remove a document and everything only it supported. Unknown id: NotFoundError."""
        with self._lock:
            return self.store.delete_document(doc_id)

    # ---- reads --------------------------------------------------------------------------------

    def retrieve(self, query: str, top_k: int = 5) -> list[Hit]:
        """The ``top_k`` passages for ``query``, best first, each with an explanation."""
        check_queries("retrieve", [query], top_k)  # errors name retrieve(), not retrieve_many()
        return self.retrieve_many([query], top_k=top_k)[0]

    def retrieve_many(self, queries: Sequence[str], top_k: int = 5) -> list[list[Hit]]:
        """:meth:`retrieve` for several queries, embedding them in one batch."""
        check_queries("retrieve_many", queries, top_k)
        with self._lock:
            vectors = self.embedder.encode(list(queries))
            # one snapshot from the index refresh to the passage texts: a write committed
            # meanwhile is seen by the next call, never half by this one
            with self._snapshot_index() as index:
                if index.n_chunks == 0:
                    return [[] for _ in queries]
                cfg = self.config.retrieve
                facts = self._recognized_facts(index, queries, vectors)
                mentions = self._query_mentions(index, queries)
                return [
                    self._hits(
                        index, partial(rank_passages, index, q, v, cfg, facts=f, mentions=m), top_k
                    )
                    for q, v, f, m in zip(queries, vectors, facts, mentions)
                ]

    def _query_mentions(
        self, index: GraphIndex, queries: Sequence[str]
    ) -> Sequence[QueryMentions | None]:
        """The queries' mentions for fuzzy linking (nothing is parsed when it is off)."""
        return fuzzy_mentions(self.extractor, self.embedder, index, queries, self.config)

    def _recognized_facts(
        self, index: GraphIndex, queries: Sequence[str], vectors: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """HippoRAG 2's recognition memory: with an LLM, it keeps at most four of each query's
        ``linking_top_k`` linked facts. None per query without an LLM or when its reply was
        unusable: then facts are kept by score in the retriever."""
        client = self.llm
        if client is None or index.n_facts == 0:
            return [None] * len(queries)
        from graphmem.llm.qa import recognize_facts

        linked = [candidate_facts(index, v, self.config.retrieve) for v in vectors]
        kept = recognize_facts(client, queries, [fact_triples(index, ids) for ids, _ in linked])
        return [
            None if k is None else (ids[k], scores[k])
            for (ids, scores), k in zip(linked, kept)
        ]

    def answer(self, question: str, top_k: int = 5, *, max_steps: int = 1) -> Answer:
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
            client, question, lambda q: self.retrieve(q, top_k=top_k), max_steps=max_steps
        )

    def dense_ranking(self, queries: Sequence[str], top_k: int = 5) -> list[list[str]]:
        """Ids of the ``top_k`` documents nearest each query by cosine alone, best first.

        The dense-retrieval baseline over exactly the passage vectors this memory stores (no
        graph, no PPR): a document scores as its best passage, ties go to the older passage.
        Embeds the queries with this memory's embedder in one batch.
        """
        check_queries("dense_ranking", queries, top_k)
        with self._lock, self._snapshot_index() as index:
            if index.n_chunks == 0:
                return [[] for _ in queries]
            if self._chunk_docs is None or self._chunk_docs[0] != index.generation:
                records = self.store.passages([int(i) for i in index.chunks.ids])
                docs_of = [records[int(i)].doc_id for i in index.chunks.ids]
                self._chunk_docs = (index.generation, docs_of)
            chunk_docs = self._chunk_docs[1]
            # the retriever's one-core kernel, not numpy's BLAS: OpenBLAS threads spinning after a
            # product fought torch's threads and made each query several times slower
            from graphmem.retrieve._scoring import f32_scores  # numba: loaded on first use

            out: list[list[str]] = []
            for q in self.embedder.encode(list(queries)):
                row = f32_scores(index.chunks.vectors, np.ascontiguousarray(q, dtype=np.float32))
                docs: dict[str, None] = {}
                for c in np.argsort(-row, kind="stable").tolist():
                    docs.setdefault(chunk_docs[c], None)
                    if len(docs) == top_k:
                        break
                out.append(list(docs))
            return out

    def _hits(
        self, index: GraphIndex, rank: Callable[[int], list[RankedPassage]], top_k: int
    ) -> list[Hit]:
        """The ``top_k`` best ranked passages still stored, each paired with its own text by id.
        A passage deleted since the index was read is dropped and the next one fills its
        place (inside one snapshot none is, but the pairing never relies on that)."""
        want = top_k
        while True:
            ranked = rank(want)
            records = self.store.passages([int(index.chunks.ids[r.chunk]) for r in ranked])
            hits = [
                Hit(rec.doc_id, rec.chunk_id, rec.text, r.score, rec.metadata, r.explanation)
                for r in ranked
                if (rec := records.get(int(index.chunks.ids[r.chunk]))) is not None
            ]
            if len(hits) >= top_k or want >= index.n_chunks:
                return hits[:top_k]
            want = min(2 * want, index.n_chunks)

    def trace(self, query: str, top_k: int = 5, *, keep: int = 50) -> Trace:
        """:meth:`retrieve` explained per node: the hits, the PPR score of the ``keep`` best
        entities and passages, the seeds and the ranks (see :class:`graphmem.trace.Trace`), so
        explorers need no private state. Recomputes the walk: a few ms more than retrieve."""
        check_queries("trace", [query], top_k)
        with self._lock:
            vector = self.embedder.encode([query])[0]
            with self._snapshot_index() as index:
                facts = self._recognized_facts(index, [query], vector[None, :])[0]
                mentions = self._query_mentions(index, [query])[0]
                return trace_query(
                    index, self.store, query, vector, self.config.retrieve, top_k, keep,
                    facts, mentions,
                )

    def stats(self) -> dict[str, Any]:
        """Row counts plus store facts: documents, chunks, entities, facts, synonym_edges, ..."""
        with self._lock:
            out: dict[str, Any] = dict(self.store.counts())
            out["generation"] = self.store.generation()
            out["embedder"] = self.store.meta("embedder_name") or self.embedder.name
            out["path"] = str(self.path)
            if self._llm is not None:
                out["llm"] = self._llm.usage.as_dict()
            return out

    def documents(self) -> list[DocumentInfo]:
        """Every stored document (id, title, passage count, metadata, when it was stored),
        oldest first."""
        with self._lock:
            return self.store.documents()

    def to_graph(self) -> Any:
        """The stored graph as a directed ``networkx.MultiDiGraph`` with scalar attributes only
        (fact edges subject -> object with predicate and provenance, mention and synonym edges),
        ready for GraphML; see :mod:`graphmem.export`. Loads no model."""
        from graphmem.export import export_graph

        with self._lock:
            return export_graph(self.store)

    def to_networkx(self) -> Any:
        """The knowledge graph as a ``networkx.Graph``.

        Nodes are ``"entity:<name>"`` (attributes ``kind="entity"``, ``label``, ``type``) and
        ``"passage:<chunk_id>"`` (``kind="passage"``, ``doc_id``, ``text``); edges carry
        ``kind`` (``fact``, ``mention`` or ``synonym``), ``weight`` and, for facts, ``predicates``.
        """
        with self._lock, self._snapshot_index(model=False) as index:
            return undirected_view(index, self.store)

    def neighbours(self, nodes: Sequence[str], *, limit: int = 25) -> Neighbourhood:
        """``nodes`` (ids as in :meth:`to_networkx`; unknown ones listed as ``missing``) with up
        to ``limit`` neighbours each and every edge among them: see :mod:`graphmem.graph.neighbours`."""
        with self._lock, self._snapshot_index(model=False) as index:
            return neighbourhood(index, self.store, list(nodes), limit)

    def query_vector(self, query: str) -> np.ndarray:
        """The embedding a query is linked with (exposed for baselines and debugging)."""
        return self.embedder.encode([query])[0]

