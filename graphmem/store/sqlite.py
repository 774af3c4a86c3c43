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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from graphmem.config import StoreConfig
from graphmem.errors import ConflictError, EmbedderMismatchError, StoreError
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
from graphmem.store.sqlite_file import mapped_errors, open_store
from graphmem.store.sqlite_write import delete_rows, write_rows

_TABLES = ("documents", "chunks", "entities", "facts")
_IN_LIMIT = 500  # stay well below SQLite's bound-parameter limit


def _matrix(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1).copy()


def _chunks(seq: Sequence, size: int = _IN_LIMIT) -> Iterator[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


class SQLiteStore:
    """A graph memory in one SQLite file. ``path`` may be ``":memory:"`` for throwaway stores.

    Thread-safe: one connection, used by one thread at a time. A store whose file, directory or
    file system is not writable (or ``config.read_only``) opens for reading; writes then raise
    :class:`StoreError` saying so, before anything is attempted.
    """

    def __init__(self, path: str | Path, config: StoreConfig | None = None):
        self.path = str(path)
        self.config = config if config is not None else StoreConfig()
        opened = open_store(
            self.path, readonly=self.config.read_only, lock_timeout_s=self.config.lock_timeout_s
        )
        self._conn = opened.conn
        self.readonly = opened.readonly
        self.readonly_reason = opened.reason
        self._mode: str | None = None  # "read" / "write" while a transaction is open
        self._lock = threading.RLock()
        self._checked = False  # quick_check passed once, before this handle's first write
        self._dim: int | None = None

    @contextmanager
    def _txn(self, mode: str, doing: str) -> Iterator[sqlite3.Connection]:
        """A read (``BEGIN``) or write (``BEGIN IMMEDIATE``) transaction, or the one already open
        on this handle (a write joins an open write; a read joins either)."""
        with self._lock:
            if self._mode is not None:
                if mode == "write" and self._mode == "read":
                    raise RuntimeError("a write cannot run inside a read snapshot")
                with mapped_errors(self.path, doing, self.config.lock_timeout_s):
                    yield self._conn
                return
            if mode == "write" and self.readonly:
                raise StoreError(f"{self.path} is read-only ({self.readonly_reason}): cannot {doing}")
            c = self._conn
            with mapped_errors(self.path, doing, self.config.lock_timeout_s):
                c.execute("BEGIN IMMEDIATE" if mode == "write" else "BEGIN")
            self._mode = mode
            try:
                with mapped_errors(self.path, doing, self.config.lock_timeout_s):
                    if mode == "write" and not self._checked:
                        self._quick_check()
                    yield c
                    c.execute("COMMIT")
            except BaseException:
                try:
                    c.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the transaction is already gone (e.g. a failed COMMIT rolled it back)
                raise
            finally:
                self._mode = None

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
        self._checked = True

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

    # ---- metadata -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._txn("read", "read its metadata") as c:
            row = c.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    def check_embedder(self, name: str, dim: int | None) -> None:
        """Record the embedder on first use; refuse a different one afterwards. ``dim=None``
        checks the name only (the model is not loaded yet)."""
        stored_name, stored_dim = self.meta("embedder_name"), self.meta("embedder_dim")
        if stored_name is not None and stored_name != name:
            raise EmbedderMismatchError(
                f"store {self.path} was built with embedder {stored_name!r} "
                f"(dim {stored_dim}); refusing to open it with {name!r}"
            )
        if dim is None:
            return
        if stored_dim is not None and int(stored_dim) != dim:
            raise EmbedderMismatchError(
                f"store {self.path} holds {stored_dim}-dim vectors from {stored_name!r}; "
                f"embedder {name!r} makes {dim}-dim vectors"
            )
        if (stored_name is None or stored_dim is None) and not self.readonly:
            with self.transaction(bump=False) as c:  # INSERT OR IGNORE: the first writer wins
                c.executemany(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                    [("embedder_name", name), ("embedder_dim", str(dim))],
                )
            if self.meta("embedder_name") != name:  # another process recorded another model
                self.check_embedder(name, dim)
        self._dim = dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            stored = self.meta("embedder_dim")
            self._dim = int(stored) if stored is not None else 0
        return self._dim

    # ---- lookups before a write (inside :meth:`writing` they see the locked state) -------------

    def document_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._txn("read", "look up documents") as c:
            for part in _chunks(list(doc_ids)):
                q = (
                    "SELECT doc_id, content_hash FROM documents "
                    f"WHERE doc_id IN ({','.join('?' * len(part))})"
                )
                out.update(c.execute(q, tuple(part)).fetchall())
        return out

    def existing_entities(self, names: Sequence[str]) -> set[str]:
        out: set[str] = set()
        with self._txn("read", "look up entities") as c:
            for part in _chunks(list(names)):
                q = f"SELECT name FROM entities WHERE name IN ({','.join('?' * len(part))})"
                out.update(r[0] for r in c.execute(q, tuple(part)))
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
                    "JOIN entities es ON es.name = pr.s JOIN entities eo ON eo.name = pr.o "
                    "JOIN facts f ON f.subject_id = es.id AND f.predicate = pr.p "
                    "AND f.object_id = eo.id"
                )
                out.update((s, p, o) for s, p, o in c.execute(q, [x for k in part for x in k]))
        return out

    # ---- writes -------------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Apply a whole :class:`WriteBatch` in one transaction (joining :meth:`writing`)."""
        try:
            with self.transaction() as c:
                write_rows(c, batch, self.path)
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
            return delete_rows(c, doc_id, self.path)

    # ---- reads --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        q = (
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks), "
            "(SELECT count(*) FROM entities), (SELECT count(*) FROM facts), "
            "(SELECT count(*) FROM synonyms), (SELECT count(*) FROM mentions), "
            "(SELECT count(*) FROM fact_sources)"
        )
        keys = ("documents", "chunks", "entities", "facts", "synonym_edges", "mentions", "fact_sources")
        with self._txn("read", "count rows") as c:
            return dict(zip(keys, c.execute(q).fetchone()))

    def alive_ids(self, table: str) -> np.ndarray:
        if table not in _TABLES:
            raise ValueError(f"unknown table {table!r}")
        with self._txn("read", f"read {table}") as c:
            rows = c.execute(f"SELECT id FROM {table} ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def load_entities(self, after_id: int) -> EntityRows:
        with self._txn("read", "read entities") as c:
            rows = c.execute(
                "SELECT id, name, label, kind, embedding FROM entities WHERE id > ? ORDER BY id",
                (after_id,),
            ).fetchall()
        return EntityRows(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            names=[r[1] for r in rows],
            labels=[r[2] for r in rows],
            kinds=[r[3] for r in rows],
            embeddings=_matrix([r[4] for r in rows], self.dim),
        )

    def load_facts(self, after_id: int) -> FactRows:
        with self._txn("read", "read facts") as c:
            rows = c.execute(
                "SELECT id, subject_id, predicate, object_id, embedding FROM facts WHERE id > ? "
                "ORDER BY id",
                (after_id,),
            ).fetchall()
        return FactRows(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            subject_ids=np.array([r[1] for r in rows], dtype=np.int64),
            predicates=[r[2] for r in rows],
            object_ids=np.array([r[3] for r in rows], dtype=np.int64),
            embeddings=_matrix([r[4] for r in rows], self.dim),
        )

    def load_chunks(self, after_id: int) -> ChunkRows:
        with self._txn("read", "read passages") as c:
            rows = c.execute(
                "SELECT id, embedding FROM chunks WHERE id > ? ORDER BY id", (after_id,)
            ).fetchall()
        return ChunkRows(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            embeddings=_matrix([r[1] for r in rows], self.dim),
        )

    def load_edges(self) -> EdgeRows:
        with self._txn("read", "read edges") as c:

            def pairs(q: str) -> np.ndarray:
                rows = c.execute(q).fetchall()
                return np.array(rows, dtype=np.int64).reshape(-1, 2)

            syn = c.execute("SELECT a, b, score FROM synonyms").fetchall()
            return EdgeRows(
                fact_sources=pairs("SELECT fact_id, chunk_id FROM fact_sources"),
                mentions=pairs("SELECT chunk_id, entity_id FROM mentions"),
                synonyms=np.array([(a, b) for a, b, _ in syn], dtype=np.int64).reshape(-1, 2),
                synonym_scores=np.array([s for _, _, s in syn], dtype=np.float64),
            )

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, PassageRecord]:
        """Passage text and document metadata by internal chunk id. Ids no longer stored (a
        document deleted since the caller's snapshot) are absent: callers pair by id."""
        found: dict[int, PassageRecord] = {}
        with self._txn("read", "read passages") as c:
            for part in _chunks([int(x) for x in chunk_ids]):
                q = (
                    "SELECT k.id, k.chunk_id, d.doc_id, k.text, d.title, d.metadata FROM chunks k "
                    f"JOIN documents d ON d.id = k.doc WHERE k.id IN ({','.join('?' * len(part))})"
                )
                for rid, cid, did, text, title, meta in c.execute(q, tuple(part)):
                    found[rid] = PassageRecord(cid, did, text, title, json.loads(meta))
        return found

    def documents(self, doc_ids: Sequence[str] | None = None) -> list[DocumentInfo]:
        """Every stored document (``doc_ids=None``) or those of ``doc_ids`` that are stored,
        oldest first, with its passage count. One read transaction."""
        q = (
            "SELECT d.id, d.doc_id, d.title, (SELECT count(*) FROM chunks k WHERE k.doc = d.id), "
            "d.metadata, d.content_hash, d.added_at FROM documents d"
        )
        with self._txn("read", "list documents") as c:
            if doc_ids is None:
                rows = c.execute(q + " ORDER BY d.id").fetchall()
            else:
                rows = []
                for part in _chunks(list(dict.fromkeys(doc_ids))):
                    where = f" WHERE d.doc_id IN ({','.join('?' * len(part))})"
                    rows.extend(c.execute(q + where, tuple(part)).fetchall())
                rows.sort()
        return [
            DocumentInfo(doc_id, title, n, json.loads(meta), digest, added)
            for _, doc_id, title, n, meta, digest, added in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
