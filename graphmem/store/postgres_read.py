"""The SQL of the reads of :class:`graphmem.store.postgres.PostgresStore`, run inside its
REPEATABLE READ read transaction: the PostgreSQL spelling of :mod:`graphmem.store.sqlite_read`,
returning exactly what it returns (the same rows, the same order), so that an index loaded from
either store is the same. Vectors are ``bytea`` read in binary and streamed into one matrix.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphmem.store.base import (
    ChunkRows,
    DocumentInfo,
    EdgeRows,
    EntityRows,
    FactRows,
    PassageRecord,
    rows_and_vectors,
)

__all__ = ["chunks", "documents", "edges", "entities", "facts", "passages"]


def _with_vectors(
    c: Any, table: str, after_id: int, dim: int, query: str, args: Sequence[Any]
) -> tuple[list[tuple[Any, ...]], np.ndarray]:
    """The rows of ``query`` (vector ``bytea`` last), fetched in binary and streamed by
    :func:`rows_and_vectors`, as :func:`graphmem.store.sqlite_read._with_vectors` does."""
    with c.cursor(binary=True) as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        (top,) = cur.fetchone()
        cur.execute(query, args)
        return rows_and_vectors(cur.fetchmany, max(0, int(top) - after_id), dim)


def _rows(c: Any, query: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    """All rows of ``query``, fetched in binary (``bytea`` arrives as bytes, no hex decoding)."""
    with c.cursor(binary=True) as cur:
        cur.execute(query, args)
        return cur.fetchall()


def _pairs(c: Any, query: str, args: Sequence[Any], width: int) -> np.ndarray:
    return np.array(_rows(c, query, args), dtype=np.int64).reshape(-1, width)


def entities(c: Any, namespace: str, after_id: int, dim: int) -> EntityRows:
    """Entities of ``namespace`` with id above ``after_id``, in id order."""
    rows, vectors = _with_vectors(
        c, "entities", after_id, dim,
        "SELECT id, name, label, kind, embedding FROM entities "
        "WHERE namespace = %s AND id > %s ORDER BY id",
        (namespace, after_id),
    )
    return EntityRows(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        names=[r[1] for r in rows],
        labels=[r[2] for r in rows],
        kinds=[r[3] for r in rows],
        embeddings=vectors,
    )


def facts(c: Any, namespace: str, after_id: int, dim: int) -> FactRows:
    """Facts of ``namespace`` (through their subject) with id above ``after_id``, in id order."""
    rows, vectors = _with_vectors(
        c, "facts", after_id, dim,
        "SELECT f.id, f.subject_id, f.predicate, f.object_id, f.embedding FROM facts f "
        "JOIN entities s ON s.id = f.subject_id WHERE s.namespace = %s AND f.id > %s "
        "ORDER BY f.id",
        (namespace, after_id),
    )
    return FactRows(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        subject_ids=np.array([r[1] for r in rows], dtype=np.int64),
        predicates=[r[2] for r in rows],
        object_ids=np.array([r[3] for r in rows], dtype=np.int64),
        embeddings=vectors,
    )


def chunks(c: Any, namespace: str, after_id: int, dim: int) -> ChunkRows:
    """Passages of ``namespace`` with id above ``after_id``, in id order, with their times."""
    rows, vectors = _with_vectors(
        c, "chunks", after_id, dim,
        "SELECT k.id, d.id, d.time, d.added_at, d.metadata, k.embedding FROM chunks k "
        "JOIN documents d ON d.id = k.doc WHERE k.namespace = %s AND k.id > %s ORDER BY k.id",
        (namespace, after_id),
    )
    metadata: dict[int, Any] = {}
    for r in rows:
        if r[1] not in metadata:
            metadata[r[1]] = json.loads(r[4])
    return ChunkRows(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        embeddings=vectors,
        times=np.array([r[3] if r[2] is None else r[2] for r in rows], dtype=np.float64),
        stated=np.array([r[2] is not None for r in rows], dtype=bool),
        metadata=[metadata[r[1]] for r in rows],
    )


def edges(c: Any, namespace: str, after_chunk: int, after_entity: int) -> EdgeRows:
    """Provenance and mention rows of passages with id above ``after_chunk``, and synonym edges
    whose larger entity id is above ``after_entity``, in the order of
    :func:`graphmem.store.sqlite_read.edges` (here by ORDER BY)."""
    by_chunk = (after_chunk, namespace)
    syn = _rows(
        c,
        "SELECT y.a, y.b, y.score FROM synonyms y JOIN entities e ON e.id = y.b "
        "WHERE y.b > %s AND e.namespace = %s ORDER BY y.b, y.a",
        (after_entity, namespace),
    )
    return EdgeRows(
        fact_sources=_pairs(
            c,
            "SELECT s.fact_id, s.chunk_id FROM chunks k JOIN fact_sources s ON s.chunk_id = k.id "
            "WHERE k.id > %s AND k.namespace = %s ORDER BY s.chunk_id, s.fact_id",
            by_chunk,
            2,
        ),
        mentions=_pairs(
            c,
            "SELECT m.chunk_id, m.entity_id FROM chunks k JOIN mentions m ON m.chunk_id = k.id "
            "WHERE k.id > %s AND k.namespace = %s ORDER BY m.chunk_id, m.entity_id",
            by_chunk,
            2,
        ),
        synonyms=np.array([(a, b) for a, b, _ in syn], dtype=np.int64).reshape(-1, 2),
        synonym_scores=np.array([s for _, _, s in syn], dtype=np.float64),
        conflicts=_pairs(
            c,
            "SELECT j.older, j.newer FROM chunks k JOIN fact_conflicts j ON j.chunk_id = k.id "
            "WHERE k.id > %s AND k.namespace = %s ORDER BY j.chunk_id, j.older, j.newer",
            by_chunk,
            2,
        ),
    )


def documents(c: Any, namespace: str, doc_ids: Sequence[str] | None) -> list[DocumentInfo]:
    """Documents of ``namespace`` (all, or those of ``doc_ids`` that are stored), oldest first."""
    q = (
        "SELECT d.id, d.doc_id, d.title, (SELECT count(*) FROM chunks k WHERE k.doc = d.id), "
        "d.metadata, d.content_hash, d.added_at, d.time FROM documents d WHERE d.namespace = %s"
    )
    if doc_ids is None:
        rows = c.execute(q + " ORDER BY d.id", (namespace,)).fetchall()
    else:
        wanted = list(dict.fromkeys(doc_ids))
        rows = c.execute(q + " AND d.doc_id = ANY(%s) ORDER BY d.id", (namespace, wanted)).fetchall()
    return [
        DocumentInfo(doc_id, title, int(n), json.loads(meta), digest, added, at, namespace)
        for _, doc_id, title, n, meta, digest, added, at in rows
    ]


def passages(c: Any, namespace: str, chunk_ids: Sequence[int]) -> dict[int, PassageRecord]:
    """Passage text and document metadata by internal id; ids not stored are absent."""
    found: dict[int, PassageRecord] = {}
    rows = c.execute(
        "SELECT k.id, k.chunk_id, d.doc_id, k.text, d.title, d.metadata, "
        "coalesce(d.time, d.added_at) FROM chunks k JOIN documents d ON d.id = k.doc "
        "WHERE k.namespace = %s AND k.id = ANY(%s)",
        (namespace, [int(x) for x in chunk_ids]),
    )
    for rid, cid, did, text, title, meta, at in rows:
        found[int(rid)] = PassageRecord(cid, did, text, title, json.loads(meta), at)
    return found
