"""The embedded default store: one SQLite file in WAL mode (DESIGN.md §3).

Reads never wait for writers: WAL gives every read transaction a snapshot of the last commit.
Each public read runs in one read transaction, and :meth:`SQLiteStore.snapshot` holds one
across several calls (the index refresh, a retrieval and its passage fetch), so they all see the
same commit. Writes run in ``BEGIN IMMEDIATE`` transactions: a batch applies whole or not at all.
:meth:`SQLiteStore.writing` holds the write lock across several calls, so a caller's existence
checks and its write are one transaction. Each write bumps ``meta.generation``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.config import StoreConfig
from graphmem.errors import ConflictError, StoreError
from graphmem.sqlite_db import transaction
from graphmem.store import rows as table_rows
from graphmem.store import sqlite_read
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
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.store.shared_sql import alive_ids_query, counts, delete_namespace_rows, id_array
from graphmem.store.sqlite_file import mapped_errors, open_store
from graphmem.store.sqlite_write import (
    delete_rows,
    import_tables,
    write_rows,
)

_IN_LIMIT = sqlite_read.IN_LIMIT


def _chunks(seq: Sequence, size: int = _IN_LIMIT) -> Iterator[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


@dataclass
class _Session:
    """Connection state shared by a store and its namespace views."""

    mode: str | None = None  # "read" / "write" while a transaction is open
    checked: bool = False  # quick_check passed once, before this handle's first write
    dim: int | None = None


class SQLiteStore:
    """A graph memory in one SQLite file. ``path`` may be ``":memory:"`` for throwaway stores.

    Thread-safe: one connection, used by one thread at a time. A store whose file, directory or
    file system is not writable (or ``config.read_only``) opens for reading; writes then raise
    :class:`StoreError` saying so, before anything is attempted.
    """

    def __init__(self, path: str | Path, config: StoreConfig | None = None):
        self.path = str(path)
        self.location = self.path
        self.config = config if config is not None else StoreConfig()
        opened = open_store(
            self.path, readonly=self.config.read_only, lock_timeout_s=self.config.lock_timeout_s
        )
        self._conn = opened.conn
        self.readonly = opened.readonly
        self.readonly_reason = opened.reason
        self.namespace = DEFAULT_NAMESPACE
        self._session = _Session()
        self._lock = threading.RLock()

    def scoped(self, namespace: str) -> SQLiteStore:
        """This store seen from ``namespace``: the same connection, lock and open transaction
        (so a snapshot or write spans views), reading and writing that namespace only."""
        if namespace == self.namespace:
            return self
        view = object.__new__(SQLiteStore)
        view.__dict__.update(self.__dict__)
        view.namespace = namespace
        return view

    @contextmanager
    def _txn(self, mode: str, doing: str) -> Iterator[sqlite3.Connection]:
        """A read (``BEGIN``) or write (``BEGIN IMMEDIATE``) transaction, or the one already open
        on this handle (a write joins an open write; a read joins either)."""
        with self._lock:
            if self._session.mode is not None:
                if mode == "write" and self._session.mode == "read":
                    raise RuntimeError("a write cannot run inside a read snapshot")
                with mapped_errors(self.path, doing, self.config.lock_timeout_s):
                    yield self._conn
                return
            if mode == "write" and self.readonly:
                raise StoreError(f"{self.path} is read-only ({self.readonly_reason}): cannot {doing}")
            mapped = mapped_errors(self.path, doing, self.config.lock_timeout_s)
            with mapped, transaction(self._conn, immediate=mode == "write") as c:
                self._session.mode = mode
                try:
                    if mode == "write" and not self._session.checked:
                        self._quick_check()
                    yield c
                finally:
                    self._session.mode = None

    def _quick_check(self) -> None:
        """Refuse to write into a damaged file. Run once per handle, under the write lock
        (measured: 0.35 s on a 249 MB store with the 2Wiki build's row counts,
        benchmarks/results/quick_check.json)."""
        rows = [r[0] for r in self._conn.execute("PRAGMA quick_check(5)")]
        if rows != ["ok"]:
            raise StoreError(
                f"{self.path} is damaged ({'; '.join(rows)}): refusing to write to it; "
                "`graphmem check` reports what is wrong"
            )
        self._session.checked = True

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Hold one read transaction: every read inside sees the same commit. Writers go on
        meanwhile (WAL); they just are not seen until the snapshot ends."""
        with self._txn("read", "read"):
            yield

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock: reads inside see the latest commit and nobody else can write
        until the block ends, so existence checks and the write they inform are one
        transaction. Writes inside join it; it commits (or rolls back) at the end."""
        with self._txn("write", "write"):
            yield

    @contextmanager
    def transaction(self, bump: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (joins :meth:`writing`); ``bump`` advances the generation."""
        with self._txn("write", "write") as c:
            yield c
            if bump:
                c.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
                # a new row (a namespace first written, or written again after its deletion)
                # counts as a removal: an index of the namespace's earlier rows must reload
                c.execute(
                    "INSERT INTO namespaces(name, generation, deleted_at) "
                    "SELECT ?, CAST(value AS INTEGER), CAST(value AS INTEGER) - 1 "
                    "FROM meta WHERE key='generation' "
                    "ON CONFLICT(name) DO UPDATE SET generation = excluded.generation",
                    (self.namespace,),
                )

    # ---- metadata -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._txn("read", "read its metadata") as c:
            row = c.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def generation(self) -> int:
        """This namespace's generation: the store generation of its last committed write
        (0 for a namespace never written)."""
        with self._txn("read", "read its metadata") as c:
            row = c.execute(
                "SELECT generation FROM namespaces WHERE name=?", (self.namespace,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def deleted_at(self) -> int:
        """The store generation when rows of this namespace were last removed (or its row
        created): an index refreshed at namespace generation ``G`` has seen every removal iff
        this is below ``G``. A namespace without a row, or a read-only store built before the
        column existed, reads as the store generation (a removal may have happened)."""
        with self._txn("read", "read its metadata") as c:
            try:
                row = c.execute(
                    "SELECT deleted_at FROM namespaces WHERE name=?", (self.namespace,)
                ).fetchone()
            except sqlite3.OperationalError:  # no such column: see schema.LATE_COLUMNS
                row = None
        return self.store_generation() if row is None else int(row[0])

    def store_generation(self) -> int:
        """The whole store's generation: it moves with every committed write."""
        return int(self.meta("generation") or 0)

    def namespaces(self) -> list[str]:
        """Names of the namespaces that hold documents, sorted."""
        with self._txn("read", "list namespaces") as c:
            return [r[0] for r in c.execute("SELECT DISTINCT namespace FROM documents ORDER BY 1")]

    def check_embedder(self, name: str, dim: int | None) -> None:
        """Record the embedder on first use; refuse a different one afterwards
        (:func:`graphmem.store.embedder_check.check_embedder`)."""

        def record(name: str, dim: int) -> None:
            with self.transaction(bump=False) as c:  # INSERT OR IGNORE: the first writer wins
                c.executemany(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                    [("embedder_name", name), ("embedder_dim", str(dim))],
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
        out: dict[str, str] = {}
        with self._txn("read", "look up documents") as c:
            for part in _chunks(list(doc_ids)):
                q = (
                    "SELECT doc_id, content_hash FROM documents "
                    f"WHERE namespace = ? AND doc_id IN ({','.join('?' * len(part))})"
                )
                out.update(c.execute(q, (self.namespace, *part)).fetchall())
        return out

    def existing_entities(self, names: Sequence[str]) -> set[str]:
        out: set[str] = set()
        with self._txn("read", "look up entities") as c:
            for part in _chunks(list(names)):
                q = (
                    "SELECT name FROM entities "
                    f"WHERE namespace = ? AND name IN ({','.join('?' * len(part))})"
                )
                out.update(r[0] for r in c.execute(q, (self.namespace, *part)))
        return out

    def existing_facts(self, keys: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        if not keys:
            return set()
        out: set[tuple[str, str, str]] = set()
        with self._txn("read", "look up facts") as c:
            # the keys as a VALUES list: a probe table would be a write, which reads must not do
            for part in _chunks(list(keys), _IN_LIMIT // 3):
                q = (
                    f"WITH probe(s, p, o) AS (VALUES {','.join(['(?, ?, ?)'] * len(part))}) "
                    "SELECT pr.s, pr.p, pr.o FROM probe pr "
                    "JOIN entities es ON es.namespace = ? AND es.name = pr.s "
                    "JOIN entities eo ON eo.namespace = es.namespace AND eo.name = pr.o "
                    "JOIN facts f ON f.subject_id = es.id AND f.predicate = pr.p "
                    "AND f.object_id = eo.id"
                )
                args = [x for k in part for x in k] + [self.namespace]
                out.update((s, p, o) for s, p, o in c.execute(q, args))
        return out

    # ---- writes -------------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Apply a whole :class:`WriteBatch` in one transaction (joining :meth:`writing`)."""
        try:
            with self.transaction() as c:
                write_rows(c, batch, self.path, self.namespace)
        except sqlite3.IntegrityError as exc:
            ids = ", ".join(repr(d.doc_id) for d in batch.documents[:5])
            raise ConflictError(
                f"{self.path}: another writer stored one of the documents ({ids}, ...) since "
                f"they were checked; nothing was written, add them again ({exc})"
            ) from exc

    def delete_document(self, doc_id: str) -> DeleteReport:
        """Remove a document, its passages and provenance, then every fact, entity and synonym
        edge that no remaining passage supports. One transaction; no recomputation."""
        with self.transaction() as c:
            return delete_rows(c, doc_id, self.path, self.namespace)

    def delete_namespace(self, namespace: str) -> int:
        """Remove every row of ``namespace`` in one transaction; returns the number of documents
        removed. A namespace without documents raises :class:`graphmem.NotFoundError`."""
        with self.transaction(bump=False) as c:
            removed = delete_namespace_rows(c, namespace, self.path, "?")
            # the store generation moves; the namespace's row goes, so its generation reads 0
            # (never written) and every reader's index of it reloads, empty
            c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")
            c.execute("DELETE FROM namespaces WHERE name = ?", (namespace,))
            return removed

    # ---- reads --------------------------------------------------------------------------------

    def counts(self, *, every_namespace: bool = False) -> dict[str, int]:
        """Row counts of this namespace, or of the whole store with ``every_namespace``."""
        with self._txn("read", "count rows") as c:
            return counts(c, None if every_namespace else self.namespace, "?")

    def alive_ids(self, table: str) -> np.ndarray:
        """Ids of ``table``'s rows in this namespace, ascending."""
        q = alive_ids_query(table, "?")
        with self._txn("read", f"read {table}") as c:
            rows = c.execute(q, (self.namespace,)).fetchall()
        return id_array(rows)

    def load_entities(self, after_id: int) -> EntityRows:
        with self._txn("read", "read entities") as c:
            return sqlite_read.entities(c, self.namespace, after_id, self.dim)

    def load_facts(self, after_id: int) -> FactRows:
        with self._txn("read", "read facts") as c:
            return sqlite_read.facts(c, self.namespace, after_id, self.dim)

    def load_chunks(self, after_id: int) -> ChunkRows:
        with self._txn("read", "read passages") as c:
            return sqlite_read.chunks(c, self.namespace, after_id, self.dim)

    def load_edges(self, after_chunk: int = 0, after_entity: int = 0) -> EdgeRows:
        """Provenance and mention rows of passages with id above ``after_chunk``, and synonym
        edges whose larger entity id is above ``after_entity`` (the defaults load every edge),
        sorted so that a load after some ids appends to an earlier load to give a full one
        (:func:`graphmem.store.sqlite_read.edges`)."""
        with self._txn("read", "read edges") as c:
            return sqlite_read.edges(c, self.namespace, after_chunk, after_entity)

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, PassageRecord]:
        """Passage text and document metadata by internal chunk id. Ids no longer stored (a
        document deleted since the caller's snapshot), or of another namespace, are absent:
        callers pair by id."""
        found: dict[int, PassageRecord] = {}
        with self._txn("read", "read passages") as c:
            for part in _chunks([int(x) for x in chunk_ids]):
                q = (
                    "SELECT k.id, k.chunk_id, d.doc_id, k.text, d.title, d.metadata, "
                    "coalesce(d.time, d.added_at) FROM chunks k JOIN documents d ON d.id = k.doc "
                    f"WHERE +k.namespace = ? AND k.id IN ({','.join('?' * len(part))})"
                )
                for rid, cid, did, text, title, meta, at in c.execute(q, (self.namespace, *part)):
                    found[rid] = PassageRecord(cid, did, text, title, json.loads(meta), at)
        return found

    def document_chunk_ids(self, doc_ids: Sequence[str]) -> np.ndarray:
        """The internal ids of the passages of the stored documents among ``doc_ids``,
        ascending (no text is read)."""
        out: list[int] = []
        with self._txn("read", "list passages") as c:
            for part in _chunks(list(dict.fromkeys(doc_ids))):
                q = (
                    "SELECT k.id FROM chunks k JOIN documents d ON d.id = k.doc "
                    f"WHERE d.namespace = ? AND d.doc_id IN ({','.join('?' * len(part))})"
                )
                out += [r[0] for r in c.execute(q, (self.namespace, *part))]
        return np.array(sorted(out), dtype=np.int64)

    def documents(self, doc_ids: Sequence[str] | None = None) -> list[DocumentInfo]:
        """Every document of this namespace (``doc_ids=None``) or those of ``doc_ids`` that are
        stored, oldest first, with its passage count. One read transaction."""
        with self._txn("read", "list documents") as c:
            return sqlite_read.documents(c, self.namespace, doc_ids)

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
            self._conn.close()
