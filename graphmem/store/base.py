"""The storage role: value types exchanged with a store, and the :class:`Store` protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from graphmem.store.schema import DEFAULT_NAMESPACE

# A fact named by its (subject, predicate, object) names.
Triple = tuple[str, str, str]


@dataclass(frozen=True)
class NewDocument:
    doc_id: str
    content_hash: str
    title: str | None
    metadata: Mapping[str, Any]
    time: float | None = None  # the time the document states (Unix seconds), None if not given


@dataclass(frozen=True)
class NewChunk:
    chunk_id: str
    doc_id: str
    position: int
    text: str
    embedding: np.ndarray


@dataclass(frozen=True)
class NewEntity:
    name: str
    label: str
    kind: str
    embedding: np.ndarray


@dataclass(frozen=True)
class NewFact:
    subject: str
    predicate: str
    object: str
    embedding: np.ndarray


@dataclass
class WriteBatch:
    """Everything one ``Memory.add`` call writes, applied by :meth:`Store.write` in one transaction.

    Entities and facts are named, not numbered: the store resolves names to ids inside the
    transaction, so rows another writer added meanwhile are reused rather than duplicated.
    ``fact_sources`` holds (subject, predicate, object, chunk_id); ``mentions`` holds
    (chunk_id, entity name); ``synonyms`` holds (name, name, cosine); ``conflicts``
    holds (older fact, newer fact, chunk_id), facts as (subject, predicate, object): the model
    judged that passage ``chunk_id``, which states the newer fact, contradicts the older one
    (:mod:`graphmem.graph.conflicts`). Everything is written into the namespace of the store it
    is given to (see :meth:`Store.scoped`).
    """

    documents: list[NewDocument] = field(default_factory=list)
    chunks: list[NewChunk] = field(default_factory=list)
    entities: list[NewEntity] = field(default_factory=list)
    facts: list[NewFact] = field(default_factory=list)
    fact_sources: list[tuple[str, str, str, str]] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)
    synonyms: list[tuple[str, str, float]] = field(default_factory=list)
    conflicts: list[tuple[Triple, Triple, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DeleteReport:
    """Rows removed by deleting one document."""

    doc_id: str
    chunks: int
    facts: int
    entities: int
    synonyms: int


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document as listed by :meth:`Store.documents`: what was given for it (title,
    metadata, the hash of its text, the time it states), its passage count, when it was stored
    (Unix seconds) and its namespace."""

    doc_id: str
    title: str | None
    passages: int
    metadata: Mapping[str, Any]
    content_hash: str
    added_at: float
    time: float | None = None
    namespace: str = DEFAULT_NAMESPACE


@dataclass(frozen=True)
class EntityRows:
    ids: np.ndarray
    names: list[str]
    labels: list[str]
    kinds: list[str]
    embeddings: np.ndarray


@dataclass(frozen=True)
class FactRows:
    ids: np.ndarray
    subject_ids: np.ndarray
    predicates: list[str]
    object_ids: np.ndarray
    embeddings: np.ndarray


@dataclass(frozen=True)
class ChunkRows:
    """Passages in id order. ``times`` is each passage's time (its document's stated time, else
    when the document was stored; Unix seconds), ``stated`` whether that time was stated, and
    ``metadata`` its document's metadata (shared objects per document)."""

    ids: np.ndarray
    embeddings: np.ndarray
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stated: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    metadata: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class EdgeRows:
    """Integer edge lists of the graph, or of the part added after some ids (cheap to load: no
    text, no vectors)."""

    fact_sources: np.ndarray  # (k, 2) fact id, chunk id
    mentions: np.ndarray  # (k, 2) chunk id, entity id
    synonyms: np.ndarray  # (k, 2) entity ids a < b
    synonym_scores: np.ndarray  # (k,)
    # (k, 2) older fact id, newer fact id: the judged contradictions (each pair once)
    conflicts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))


@dataclass(frozen=True)
class PassageRecord:
    chunk_id: str
    doc_id: str
    text: str
    title: str | None
    metadata: Mapping[str, Any]
    time: float = 0.0  # the passage's time as in ChunkRows.times


class Store(Protocol):
    """Persistent graph storage. Every mutating call is one transaction: it applies whole or
    not at all. ``generation`` increases with every committed write so readers can tell when
    their cached view is stale, and ``deleted_at`` whether rows were removed since (if not, the
    rows with ids above those already loaded, and :meth:`load_edges` after those ids, are all
    that changed).

    Namespaces: a store object reads and writes one namespace (``namespace``); every name, id
    and row it sees belongs to it, and :meth:`generation` is that namespace's (it moves only when
    the namespace's rows change). :meth:`scoped` gives a view of another namespace sharing the
    connection and its transaction; :meth:`namespaces`, :meth:`delete_namespace` and
    ``counts(every_namespace=True)`` span the store.

    Concurrency contract: reads never wait for writers. :meth:`snapshot` makes the reads inside
    it see one commit; :meth:`writing` holds the write lock so that the lookups and the write
    inside it are one transaction (a write made inside joins it). :meth:`export_rows` and
    :meth:`import_rows` move whole tables, ids and all, between stores of any kind
    (:mod:`graphmem.store.copy`; columns as in :data:`graphmem.store.schema.COLUMNS`). A read-only store
    (``readonly``) raises :class:`graphmem.StoreError` on any write.

    Implementations: :class:`graphmem.store.sqlite.SQLiteStore` and
    :class:`graphmem.store.postgres.PostgresStore`; :func:`graphmem.store.open.open_store`
    picks one by location. Everything :class:`graphmem.Memory`, the ingest job, the server and
    the explorer call on a store is declared here, so either implementation serves them all;
    the contract tests (tests/store/test_contract.py) run against both."""

    location: str  # where the store is, for messages (a file path, or a URL without password)
    readonly: bool
    readonly_reason: str | None  # why, when readonly (for messages)
    namespace: str

    def scoped(self, namespace: str) -> Store: ...

    def namespaces(self) -> list[str]: ...

    def delete_namespace(self, namespace: str) -> int: ...

    def store_generation(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def snapshot(self) -> AbstractContextManager[None]: ...

    def writing(self) -> AbstractContextManager[None]: ...

    def meta(self, key: str) -> str | None: ...

    def generation(self) -> int: ...

    def deleted_at(self) -> int: ...

    def check_embedder(self, name: str, dim: int | None) -> None: ...

    def document_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]: ...

    def existing_entities(self, names: Sequence[str]) -> set[str]: ...

    def existing_facts(self, keys: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]: ...

    def write(self, batch: WriteBatch) -> None: ...

    def delete_document(self, doc_id: str) -> DeleteReport: ...

    def counts(self, *, every_namespace: bool = False) -> dict[str, int]: ...

    def alive_ids(self, table: str) -> np.ndarray: ...

    def load_entities(self, after_id: int) -> EntityRows: ...

    def load_facts(self, after_id: int) -> FactRows: ...

    def load_chunks(self, after_id: int) -> ChunkRows: ...

    def load_edges(self, after_chunk: int = 0, after_entity: int = 0) -> EdgeRows: ...

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, PassageRecord]: ...

    def document_chunk_ids(self, doc_ids: Sequence[str]) -> np.ndarray: ...

    def documents(self, doc_ids: Sequence[str] | None = None) -> list[DocumentInfo]: ...

    def export_rows(self, table: str) -> list[tuple[Any, ...]]: ...

    def import_rows(self, tables: Mapping[str, Sequence[tuple[Any, ...]]]) -> None: ...

    def close(self) -> None: ...


_BLOB_ROWS = 8192  # rows fetched and joined at a time by :func:`rows_and_vectors`


def rows_and_vectors(
    fetch: Callable[[int], Sequence[Sequence[Any]]], bound: int, dim: int
) -> tuple[list[tuple[Any, ...]], np.ndarray]:
    """Rows whose last column is a float32 vector blob, fetched ``_BLOB_ROWS`` at a time with
    ``fetch(n)`` (a cursor's ``fetchmany``): the other columns as tuples, and the vectors as one
    new, writable matrix.

    Why block by block: on the project's VM a first touch of fresh memory cost 5-13 ms per MB
    when measured, which was most of a 10^5-passage memory's cold open. ``fetchall()`` would
    keep every blob alive at once (as many bytes as the matrix, ~580 MB at 10^5 passages) and
    joining them all would touch the matrix's size twice more; here the blobs of one block
    reuse the memory of the last. ``bound`` is at least the number of rows (e.g. the largest
    id minus the ids skipped): the matrix is the head of a buffer made that large plus an
    eighth, never touched beyond the rows written (so not resident), which
    :class:`graphmem.graph.tables.Rows` adopts: the index's first append after a cold load
    then needs no copy of what it loaded."""
    head: list[tuple[Any, ...]] = []
    out: np.ndarray | None = None
    n = 0
    while block := fetch(_BLOB_ROWS):
        blobs = [r[-1] for r in block]
        head.extend(tuple(r[:-1]) for r in block)
        if out is None:
            width = len(blobs[0]) // 4
            rows = max(bound, len(block))
            out = np.empty((rows + rows // 8, width), dtype=np.float32)
        if n + len(block) > len(out):  # more rows than ``bound``: grow (a copy)
            grown = np.empty((2 * (n + len(block)), out.shape[1]), dtype=np.float32)
            grown[:n] = out[:n]
            out = grown
        out[n : n + len(block)] = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(
            len(block), -1
        )
        n += len(block)
    if out is None:
        return head, np.zeros((0, dim), dtype=np.float32)
    return head, out[:n]
