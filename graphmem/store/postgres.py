"""A store in PostgreSQL, so that many processes and machines share one memory (issue 15).

The same contract as :class:`graphmem.store.sqlite.SQLiteStore` (see :class:`Store`), on one
psycopg 3 connection per store object:

* Reads run in ``REPEATABLE READ READ ONLY`` transactions: every read inside
  :meth:`PostgresStore.snapshot` sees one commit, and readers never wait for writers (MVCC).
* Writes run in READ COMMITTED transactions that first lock the ``generation`` row of
  ``meta`` (``SELECT ... FOR UPDATE``, waiting at most ``StoreConfig.lock_timeout_s``): writers
  are serialized exactly as SQLite's ``BEGIN IMMEDIATE`` serializes them, so existence checks
  made inside :meth:`PostgresStore.writing` and the write they inform are one transaction, and
  every statement after the lock sees every earlier commit. Serializing writers is also what
  keeps the index's incremental refresh exact: identity values are drawn only under the lock,
  so ids grow in commit order and "rows above the last id seen" are all rows committed since.
* Deduplication is the unique constraints' (``ON CONFLICT DO NOTHING``) inside the write
  transaction; a document id another writer stored meanwhile fails the batch with
  :class:`ConflictError`, nothing written. Each write bumps ``meta.generation``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphmem.config import StoreConfig
from graphmem.errors import ConflictError, GraphMemError, StoreError
from graphmem.store import postgres_read as read
from graphmem.store import rows as table_rows
from graphmem.store.base import (
    ChunkRows,
    DeleteReport,
    DocumentInfo,
    EdgeRows,
    EntityRows,
    FactRows,
    PassageRecord,
    WriteBatch,
)
from graphmem.store.embedder_check import check_embedder
from graphmem.store.postgres_schema import connect, create_schema, parse_url, psycopg
from graphmem.store.postgres_write import (
    delete_rows,
    import_tables,
    write_rows,
)
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.store.shared_sql import alive_ids_query, counts, delete_namespace_rows, id_array

__all__ = ["PostgresStore"]

log = logging.getLogger(__name__)

_BUMP = "UPDATE meta SET value = (value::bigint + 1)::text WHERE key='generation'"


@dataclass
class _Session:
    """Connection state shared by a store and its namespace views."""

    conn: Any  # the psycopg connection (replaced when the server dropped it)
    mode: str | None = None  # "read" / "write" while a transaction is open
    dim: int | None = None


class PostgresStore:
    """A graph memory in the schema named by ``url`` (``postgresql://user@host/db?schema=s``,
    created when missing). Thread-safe: one connection, used by one thread at a time."""

    def __init__(self, url: str, config: StoreConfig | None = None):
        self.config = config if config is not None else StoreConfig()
        self.url = parse_url(url)
        self.location = self.url.shown
        self.schema = self.url.schema
        self.readonly = self.config.read_only
        self.readonly_reason = "opened read-only" if self.readonly else None
        self.namespace = DEFAULT_NAMESPACE
        conn = connect(self.url)
        try:
            create_schema(conn, self.url, readonly=self.readonly)
        except BaseException:
            conn.close()
            raise
        self._session = _Session(conn)
        self._lock = threading.RLock()

    def scoped(self, namespace: str) -> PostgresStore:
        """This store seen from ``namespace``: the same connection, lock and open transaction."""
        if namespace == self.namespace:
            return self
        view = object.__new__(PostgresStore)
        view.__dict__.update(self.__dict__)
        view.namespace = namespace
        return view

    @contextmanager
    def _mapped(self, doing: str) -> Iterator[None]:
        """psycopg errors as one-line StoreErrors naming the store (graphmem's own errors and
        constraint violations pass through: callers map those)."""
        pg = psycopg()
        try:
            yield
        except pg.errors.LockNotAvailable as exc:
            raise StoreError(
                f"{self.location}: another process held the write lock for more than "
                f"{self.config.lock_timeout_s:g} s; cannot {doing}, try again"
            ) from exc
        except (pg.errors.IntegrityError, GraphMemError):
            raise
        except pg.Error as exc:
            raise StoreError(f"{self.location}: cannot {doing}: {str(exc).strip()}") from exc

    @contextmanager
    def _txn(self, mode: str, doing: str) -> Iterator[Any]:
        """A read (REPEATABLE READ, read only) or write (the write lock taken first)
        transaction, or the one already open on this connection (a write joins an open write;
        a read joins either)."""
        with self._lock:
            if self._session.mode is not None:
                if mode == "write" and self._session.mode == "read":
                    raise RuntimeError("a write cannot run inside a read snapshot")
                with self._mapped(doing):
                    yield self._session.conn
                return
            if mode == "write" and self.readonly:
                raise StoreError(f"{self.location} is read-only ({self.readonly_reason}): cannot {doing}")
            if self._session.conn.broken:  # the server restarted or dropped us: reconnect
                log.warning("%s: connection lost; reconnecting", self.location)
                self._session.conn = connect(self.url)
                create_schema(self._session.conn, self.url, readonly=True)
            c = self._session.conn
            with self._mapped(doing):
                c.execute(
                    "BEGIN ISOLATION LEVEL READ COMMITTED"
                    if mode == "write"
                    else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                )
            self._session.mode = mode
            try:
                with self._mapped(doing):
                    if mode == "write":  # the write lock: see the module docstring
                        wait_ms = int(self.config.lock_timeout_s * 1000)
                        c.execute(f"SET LOCAL lock_timeout = {wait_ms}")
                        c.execute("SELECT value FROM meta WHERE key='generation' FOR UPDATE")
                    yield c
                    c.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            finally:
                self._session.mode = None

    def _rollback(self) -> None:
        """Roll back the open transaction; a connection that broke meanwhile is left to fail
        the next call (the server rolled the transaction back when it lost it)."""
        try:
            self._session.conn.execute("ROLLBACK")
        except psycopg().Error:
            log.warning("%s: rollback failed; the connection is gone", self.location)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Hold one read transaction: every read inside sees the same commit."""
        with self._txn("read", "read"):
            yield

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock: reads inside see the latest commit and nobody else can write
        until the block ends. Writes inside join it; it commits (or rolls back) at the end."""
        with self._txn("write", "write"):
            yield

    @contextmanager
    def transaction(self, bump: bool = True) -> Iterator[Any]:
        """One write transaction (joins :meth:`writing`); ``bump`` advances the generation and
        this namespace's (a namespace first written counts as a removal, as on SQLite)."""
        with self._txn("write", "write") as c:
            yield c
            if bump:
                c.execute(_BUMP)
                c.execute(
                    "INSERT INTO namespaces(name, generation, deleted_at) "
                    "SELECT %s, value::bigint, value::bigint - 1 FROM meta WHERE key='generation' "
                    "ON CONFLICT (name) DO UPDATE SET generation = excluded.generation",
                    (self.namespace,),
                )

    # ---- metadata -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._txn("read", "read its metadata") as c:
            row = c.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def generation(self) -> int:
        """This namespace's generation (0 for a namespace never written)."""
        with self._txn("read", "read its metadata") as c:
            row = c.execute(
                "SELECT generation FROM namespaces WHERE name = %s", (self.namespace,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def deleted_at(self) -> int:
        """The store generation when rows of this namespace were last removed (or its row
        created); see :meth:`graphmem.store.sqlite.SQLiteStore.deleted_at`."""
        with self._txn("read", "read its metadata") as c:
            row = c.execute(
                "SELECT deleted_at FROM namespaces WHERE name = %s", (self.namespace,)
            ).fetchone()
        return self.store_generation() if row is None else int(row[0])

    def store_generation(self) -> int:
        """The whole store's generation: it moves with every committed write."""
        return int(self.meta("generation") or 0)

    def namespaces(self) -> list[str]:
        """Names of the namespaces that hold documents, sorted (by code point, as SQLite)."""
        with self._txn("read", "list namespaces") as c:
            rows = c.execute("SELECT DISTINCT namespace FROM documents").fetchall()
        return sorted(r[0] for r in rows)

    def check_embedder(self, name: str, dim: int | None) -> None:
        """Record the embedder on first use; refuse a different one afterwards
        (:func:`graphmem.store.embedder_check.check_embedder`)."""

        def record(name: str, dim: int) -> None:
            with self.transaction(bump=False) as c:  # the first writer wins
                c.execute(
                    "INSERT INTO meta(key, value) VALUES ('embedder_name', %s), "
                    "('embedder_dim', %s) ON CONFLICT (key) DO NOTHING",
                    (name, str(dim)),
                )

        check_embedder(self, name, dim, record)
        if dim is not None:
            self._session.dim = dim

    @property
    def dim(self) -> int:
        if self._session.dim is None:
            stored = self.meta("embedder_dim")
            self._session.dim = int(stored) if stored is not None else 0
        return self._session.dim

    # ---- lookups before a write (inside :meth:`writing` they see the locked state) -------------

    def document_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        with self._txn("read", "look up documents") as c:
            rows = c.execute(
                "SELECT doc_id, content_hash FROM documents "
                "WHERE namespace = %s AND doc_id = ANY(%s)",
                (self.namespace, list(doc_ids)),
            ).fetchall()
        return dict(rows)

    def existing_entities(self, names: Sequence[str]) -> set[str]:
        with self._txn("read", "look up entities") as c:
            rows = c.execute(
                "SELECT name FROM entities WHERE namespace = %s AND name = ANY(%s)",
                (self.namespace, list(names)),
            ).fetchall()
        return {r[0] for r in rows}

    def existing_facts(self, keys: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        if not keys:
            return set()
        with self._txn("read", "look up facts") as c:
            rows = c.execute(
                "SELECT pr.s, pr.p, pr.o FROM unnest(%s::text[], %s::text[], %s::text[]) "
                "AS pr(s, p, o) "
                "JOIN entities es ON es.namespace = %s AND es.name = pr.s "
                "JOIN entities eo ON eo.namespace = es.namespace AND eo.name = pr.o "
                "JOIN facts f ON f.subject_id = es.id AND f.predicate = pr.p "
                "AND f.object_id = eo.id",
                ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], self.namespace),
            ).fetchall()
        return {(s, p, o) for s, p, o in rows}

    # ---- writes -------------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Apply a whole :class:`WriteBatch` in one transaction (joining :meth:`writing`)."""
        pg = psycopg()
        try:
            with self.transaction() as c:
                write_rows(c, batch, self.location, self.namespace)
        except pg.errors.IntegrityError as exc:
            ids = ", ".join(repr(d.doc_id) for d in batch.documents[:5])
            raise ConflictError(
                f"{self.location}: another writer stored one of the documents ({ids}, ...) "
                f"since they were checked; nothing was written, add them again "
                f"({str(exc).strip()})"
            ) from exc

    def delete_document(self, doc_id: str) -> DeleteReport:
        """Remove a document and everything only it supported; one transaction."""
        with self.transaction() as c:
            return delete_rows(c, doc_id, self.location, self.namespace)

    def delete_namespace(self, namespace: str) -> int:
        """Remove every row of ``namespace`` in one transaction; returns the documents removed."""
        with self.transaction(bump=False) as c:
            removed = delete_namespace_rows(c, namespace, self.location, "%s")
            c.execute(_BUMP)
            c.execute("DELETE FROM namespaces WHERE name = %s", (namespace,))
            return removed

    # ---- reads --------------------------------------------------------------------------------

    def counts(self, *, every_namespace: bool = False) -> dict[str, int]:
        """Row counts of this namespace, or of the whole store with ``every_namespace``."""
        with self._txn("read", "count rows") as c:
            return counts(c, None if every_namespace else self.namespace, "%s")

    def alive_ids(self, table: str) -> np.ndarray:
        """Ids of ``table``'s rows in this namespace, ascending."""
        q = alive_ids_query(table, "%s")
        with self._txn("read", f"read {table}") as c:
            rows = c.execute(q, (self.namespace,)).fetchall()
        return id_array(rows)

    def load_entities(self, after_id: int) -> EntityRows:
        with self._txn("read", "read entities") as c:
            return read.entities(c, self.namespace, after_id, self.dim)

    def load_facts(self, after_id: int) -> FactRows:
        with self._txn("read", "read facts") as c:
            return read.facts(c, self.namespace, after_id, self.dim)

    def load_chunks(self, after_id: int) -> ChunkRows:
        with self._txn("read", "read passages") as c:
            return read.chunks(c, self.namespace, after_id, self.dim)

    def load_edges(self, after_chunk: int = 0, after_entity: int = 0) -> EdgeRows:
        with self._txn("read", "read edges") as c:
            return read.edges(c, self.namespace, after_chunk, after_entity)

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, PassageRecord]:
        """Passage text and document metadata by internal chunk id (absent: not stored)."""
        with self._txn("read", "read passages") as c:
            return read.passages(c, self.namespace, chunk_ids)

    def document_chunk_ids(self, doc_ids: Sequence[str]) -> np.ndarray:
        """The internal ids of the passages of the stored documents among ``doc_ids``."""
        with self._txn("read", "list passages") as c:
            rows = c.execute(
                "SELECT k.id FROM chunks k JOIN documents d ON d.id = k.doc "
                "WHERE d.namespace = %s AND d.doc_id = ANY(%s) ORDER BY k.id",
                (self.namespace, list(dict.fromkeys(doc_ids))),
            ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def documents(self, doc_ids: Sequence[str] | None = None) -> list[DocumentInfo]:
        """Every document of this namespace, or those of ``doc_ids`` stored, oldest first."""
        with self._txn("read", "list documents") as c:
            return read.documents(c, self.namespace, doc_ids)

    def export_rows(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of ``table`` in the whole store, in key order (:mod:`graphmem.store.rows`)."""
        with self._txn("read", f"read {table}") as c:
            return table_rows.sorted_rows(table, c.execute(table_rows.select_all(table)).fetchall())

    def import_rows(self, tables: Mapping[str, Sequence[tuple[Any, ...]]]) -> None:
        """Insert whole tables, ids kept, into this empty store: one transaction."""
        with self.transaction(bump=False) as c:
            import_tables(c, tables, self.location)

    def close(self) -> None:
        with self._lock:
            self._session.conn.close()
