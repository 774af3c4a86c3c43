"""The embedded default store: one SQLite file in WAL mode (DESIGN.md §3).

Writes run inside ``BEGIN IMMEDIATE`` transactions: a batch applies whole or not at all, and an
exception anywhere inside leaves the file as it was. Each commit bumps ``meta.generation``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from graphmem.errors import ConflictError, EmbedderMismatchError, NotFoundError, StoreError
from graphmem.store.base import (
    ChunkRows,
    DeleteReport,
    EdgeRows,
    EntityRows,
    FactRows,
    PassageRecord,
    WriteBatch,
)
from graphmem.store.schema import DDL, SCHEMA_VERSION

_TABLES = ("documents", "chunks", "entities", "facts")
BUSY_TIMEOUT_S = 120.0
_IN_LIMIT = 500  # stay well below SQLite's bound-parameter limit


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _matrix(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1).copy()


def _chunks(seq: Sequence, size: int = _IN_LIMIT) -> Iterator[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


class SQLiteStore:
    """A graph memory in one SQLite file. ``path`` may be ``":memory:"`` for throwaway stores."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        # Batch ingestion holds the write lock for seconds; wait for it rather than fail.
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
        )
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path} is not a usable graphmem store: {exc}") from exc
        self._dim: int | None = None

    def _init_schema(self) -> None:
        with self.transaction(bump=False) as c:
            for statement in DDL.split(";"):
                if statement.strip():
                    c.execute(statement)
            row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                c.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("generation", "0")],
                )
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {row[0]}, this graphmem reads {SCHEMA_VERSION}"
                )

    @contextmanager
    def transaction(self, bump: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any exception, generation bumped on commit."""
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
            if bump:
                c.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    # ---- metadata -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
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
        if stored_name is None or stored_dim is None:
            with self.transaction(bump=False) as c:
                c.executemany(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                    [("embedder_name", name), ("embedder_dim", str(dim))],
                )
        self._dim = dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            stored = self.meta("embedder_dim")
            self._dim = int(stored) if stored is not None else 0
        return self._dim

    # ---- lookups before a write ---------------------------------------------------------------

    def document_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(list(doc_ids)):
            q = f"SELECT doc_id, content_hash FROM documents WHERE doc_id IN ({','.join('?' * len(part))})"
            out.update(self._conn.execute(q, tuple(part)).fetchall())
        return out

    def existing_entities(self, names: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for part in _chunks(list(names)):
            q = f"SELECT name FROM entities WHERE name IN ({','.join('?' * len(part))})"
            out.update(r[0] for r in self._conn.execute(q, tuple(part)))
        return out

    def existing_facts(self, keys: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        if not keys:
            return set()
        c = self._conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS probe(s TEXT, p TEXT, o TEXT)")
        c.execute("DELETE FROM probe")
        c.executemany("INSERT INTO probe VALUES (?, ?, ?)", keys)
        rows = c.execute(
            "SELECT pr.s, pr.p, pr.o FROM probe pr "
            "JOIN entities es ON es.name = pr.s JOIN entities eo ON eo.name = pr.o "
            "JOIN facts f ON f.subject_id = es.id AND f.predicate = pr.p AND f.object_id = eo.id"
        ).fetchall()
        c.execute("DELETE FROM probe")
        return {(s, p, o) for s, p, o in rows}

    # ---- writes -------------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Apply a whole :class:`WriteBatch` in one transaction."""
        try:
            with self.transaction() as c:
                self._write_rows(c, batch)
        except sqlite3.IntegrityError as exc:
            ids = ", ".join(repr(d.doc_id) for d in batch.documents[:5])
            raise ConflictError(
                f"{self.path}: another writer stored one of the documents ({ids}, ...) since "
                f"they were checked; nothing was written, add them again ({exc})"
            ) from exc

    def _write_rows(self, c: sqlite3.Connection, batch: WriteBatch) -> None:
        now = time.time()
        c.executemany(
            "INSERT INTO documents(doc_id, content_hash, title, metadata, added_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (d.doc_id, d.content_hash, d.title, json.dumps(dict(d.metadata), ensure_ascii=False), now)
                for d in batch.documents
            ],
        )
        c.executemany(
            "INSERT INTO chunks(chunk_id, doc, position, text, embedding) "
            "SELECT ?, id, ?, ?, ? FROM documents WHERE doc_id = ?",
            [(k.chunk_id, k.position, k.text, _blob(k.embedding), k.doc_id) for k in batch.chunks],
        )
        c.executemany(
            "INSERT OR IGNORE INTO entities(name, label, kind, embedding) VALUES (?, ?, ?, ?)",
            [(e.name, e.label, e.kind, _blob(e.embedding)) for e in batch.entities],
        )
        c.executemany(
            "INSERT OR IGNORE INTO facts(subject_id, predicate, object_id, embedding) "
            "SELECT s.id, ?, o.id, ? FROM entities s, entities o WHERE s.name = ? AND o.name = ?",
            [(f.predicate, _blob(f.embedding), f.subject, f.object) for f in batch.facts],
        )
        c.executemany(
            "INSERT OR IGNORE INTO fact_sources(fact_id, chunk_id) "
            "SELECT f.id, k.id FROM facts f, entities s, entities o, chunks k "
            "WHERE s.name = ? AND f.predicate = ? AND o.name = ? "
            "AND f.subject_id = s.id AND f.object_id = o.id AND k.chunk_id = ?",
            batch.fact_sources,
        )
        c.executemany(
            "INSERT INTO mentions(chunk_id, entity_id, count) "
            "SELECT k.id, e.id, ? FROM chunks k, entities e WHERE k.chunk_id = ? AND e.name = ?",
            [(n, chunk, name) for chunk, name, n in batch.mentions],
        )
        c.executemany(
            "INSERT OR IGNORE INTO synonyms(a, b, score) "
            "SELECT min(x.id, y.id), max(x.id, y.id), ? FROM entities x, entities y "
            "WHERE x.name = ? AND y.name = ? AND x.id != y.id",
            [(s, a, b) for a, b, s in batch.synonyms],
        )

    def delete_document(self, doc_id: str) -> DeleteReport:
        """Remove a document, its passages and provenance, then every fact, entity and synonym
        edge that no remaining passage supports. One transaction; no recomputation."""
        with self.transaction() as c:
            row = c.execute("SELECT id FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no document with id {doc_id!r} in {self.path}")
            doc = row[0]
            c.execute("CREATE TEMP TABLE IF NOT EXISTS gone_chunks(id INTEGER PRIMARY KEY)")
            c.execute("CREATE TEMP TABLE IF NOT EXISTS cand_facts(id INTEGER PRIMARY KEY)")
            c.execute("CREATE TEMP TABLE IF NOT EXISTS cand_entities(id INTEGER PRIMARY KEY)")
            for t in ("gone_chunks", "cand_facts", "cand_entities"):
                c.execute(f"DELETE FROM {t}")
            c.execute("INSERT INTO gone_chunks SELECT id FROM chunks WHERE doc = ?", (doc,))
            c.execute(
                "INSERT OR IGNORE INTO cand_facts SELECT fact_id FROM fact_sources "
                "WHERE chunk_id IN (SELECT id FROM gone_chunks)"
            )
            c.execute(
                "INSERT OR IGNORE INTO cand_entities SELECT entity_id FROM mentions "
                "WHERE chunk_id IN (SELECT id FROM gone_chunks)"
            )
            c.execute("DELETE FROM fact_sources WHERE chunk_id IN (SELECT id FROM gone_chunks)")
            c.execute("DELETE FROM mentions WHERE chunk_id IN (SELECT id FROM gone_chunks)")
            n_chunks = c.execute("DELETE FROM chunks WHERE doc = ?", (doc,)).rowcount
            c.execute("DELETE FROM documents WHERE id = ?", (doc,))
            n_facts = c.execute(
                "DELETE FROM facts WHERE id IN (SELECT id FROM cand_facts) "
                "AND NOT EXISTS (SELECT 1 FROM fact_sources s WHERE s.fact_id = facts.id)"
            ).rowcount
            c.execute(
                "DELETE FROM cand_entities WHERE id IN (SELECT entity_id FROM mentions) "
                "OR id IN (SELECT subject_id FROM facts) OR id IN (SELECT object_id FROM facts)"
            )
            n_syn = c.execute(
                "DELETE FROM synonyms WHERE a IN (SELECT id FROM cand_entities) "
                "OR b IN (SELECT id FROM cand_entities)"
            ).rowcount
            n_ent = c.execute(
                "DELETE FROM entities WHERE id IN (SELECT id FROM cand_entities)"
            ).rowcount
        return DeleteReport(doc_id, n_chunks, n_facts, n_ent, n_syn)

    # ---- reads --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        q = (
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks), "
            "(SELECT count(*) FROM entities), (SELECT count(*) FROM facts), "
            "(SELECT count(*) FROM synonyms), (SELECT count(*) FROM mentions), "
            "(SELECT count(*) FROM fact_sources)"
        )
        keys = ("documents", "chunks", "entities", "facts", "synonym_edges", "mentions", "fact_sources")
        return dict(zip(keys, self._conn.execute(q).fetchone()))

    def alive_ids(self, table: str) -> np.ndarray:
        if table not in _TABLES:
            raise ValueError(f"unknown table {table!r}")
        rows = self._conn.execute(f"SELECT id FROM {table} ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def load_entities(self, after_id: int) -> EntityRows:
        rows = self._conn.execute(
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
        rows = self._conn.execute(
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
        rows = self._conn.execute(
            "SELECT id, embedding FROM chunks WHERE id > ? ORDER BY id", (after_id,)
        ).fetchall()
        return ChunkRows(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            embeddings=_matrix([r[1] for r in rows], self.dim),
        )

    def load_edges(self) -> EdgeRows:
        c = self._conn

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

    def passages(self, chunk_ids: Sequence[int]) -> list[PassageRecord]:
        """Passage text and document metadata for internal chunk ids, in the order given."""
        found: dict[int, PassageRecord] = {}
        for part in _chunks(list(chunk_ids)):
            q = (
                "SELECT k.id, k.chunk_id, d.doc_id, k.text, d.title, d.metadata FROM chunks k "
                f"JOIN documents d ON d.id = k.doc WHERE k.id IN ({','.join('?' * len(part))})"
            )
            for rid, cid, did, text, title, meta in self._conn.execute(q, tuple(int(x) for x in part)):
                found[rid] = PassageRecord(cid, did, text, title, json.loads(meta))
        return [found[int(i)] for i in chunk_ids if int(i) in found]

    def documents(self) -> list[tuple[str, str | None, int]]:
        """(doc_id, title, number of passages) for every stored document, oldest first."""
        return self._conn.execute(
            "SELECT d.doc_id, d.title, count(k.id) FROM documents d "
            "LEFT JOIN chunks k ON k.doc = d.id GROUP BY d.id ORDER BY d.id"
        ).fetchall()

    def close(self) -> None:
        self._conn.close()
