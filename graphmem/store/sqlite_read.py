"""The SQL of the index's loads, run by :class:`graphmem.store.sqlite.SQLiteStore` inside its
read transaction: rows of one namespace with ids above some id, and the edge lists.

Why "above some id": AUTOINCREMENT ids are never reused, so an index that holds every row up to
some id refreshes by loading the rows above it; and edge rows are only ever written together
with a new passage or entity (:mod:`graphmem.store.sqlite_write`), so the edges above the
index's last passage and entity ids are all the edges added since.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphmem.store.base import (
    ChunkRows,
    DocumentInfo,
    EdgeRows,
    EntityRows,
    FactRows,
    rows_and_vectors,
)


def _with_vectors(
    c: sqlite3.Connection, table: str, after_id: int, dim: int, query: str, args: Sequence[Any]
) -> tuple[list[tuple[Any, ...]], np.ndarray]:
    """The rows of ``query`` (vector blob last) streamed by :func:`rows_and_vectors`; the rows
    of ``table`` above ``after_id`` are at most its largest id minus ``after_id`` (in the same
    read transaction, and found from the rowid B-tree at once, unlike a count of the join)."""
    (top,) = c.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
    cur = c.execute(query, args)
    return rows_and_vectors(cur.fetchmany, max(0, int(top) - after_id), dim)


def _in_namespace(column: str, after_id: int) -> str:
    """The namespace test of a load of rows with ids above ``after_id``. A refresh loads the
    few rows added since the last one (``after_id > 0``): then the test is written ``+column``,
    which keeps SQLite from driving the query by the namespace index (a scan of every row of
    the namespace, measured 20-80 ms per table on the 2Wiki store) instead of the id range."""
    return f"+{column} = ?" if after_id > 0 else f"{column} = ?"


#: A full load walks the table in id order (and skips other namespaces' rows) once the
#: namespace holds at least this share of the table's ids; see :func:`_full_load_test`.
ROWID_SCAN_SHARE = 0.25


def _full_load_test(
    c: sqlite3.Connection, table: str, column: str, namespace: str, after_id: int
) -> str:
    """The namespace test of a load ordered by id from a table whose only namespace index is
    ``UNIQUE (namespace, name)``: driven by that index, SQLite sorted every row of the
    namespace, vector blobs included, in a temporary B-tree for ``ORDER BY id``. When the
    namespace holds most of the table, walking the rowid B-tree in order and skipping the other
    rows costs far less (cold load at 10^5 passages, one namespace: entities 0.85 -> 0.18 s,
    passages 1.34 -> 0.22 s). A namespace with a small share keeps the index, whose cost is its
    own rows. Refreshes (``after_id > 0``) always take the id range (:func:`_in_namespace`)."""
    if after_id > 0:
        return _in_namespace(column, after_id)
    (held,) = c.execute(f"SELECT count(*) FROM {table} WHERE namespace = ?", (namespace,)).fetchone()
    (top,) = c.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
    return f"+{column} = ?" if held >= ROWID_SCAN_SHARE * int(top) else f"{column} = ?"


def _sorted_pairs(pairs: np.ndarray, major: int) -> np.ndarray:
    """Rows of a (k, 2) id array ordered by column ``major``, then the other one."""
    order = np.lexsort((pairs[:, 1 - major], pairs[:, major]))
    return pairs[order]


def entities(c: sqlite3.Connection, namespace: str, after_id: int, dim: int) -> EntityRows:
    """Entities of ``namespace`` with id above ``after_id``, in id order."""
    rows, vectors = _with_vectors(
        c, "entities", after_id, dim,
        "SELECT id, name, label, kind, embedding FROM entities "
        f"WHERE {_full_load_test(c, 'entities', 'namespace', namespace, after_id)} "
        "AND id > ? ORDER BY id",
        (namespace, after_id),
    )
    return EntityRows(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        names=[r[1] for r in rows],
        labels=[r[2] for r in rows],
        kinds=[r[3] for r in rows],
        embeddings=vectors,
    )


def facts(c: sqlite3.Connection, namespace: str, after_id: int, dim: int) -> FactRows:
    """Facts of ``namespace`` (through their subject) with id above ``after_id``, in id order."""
    rows, vectors = _with_vectors(
        c, "facts", after_id, dim,
        "SELECT f.id, f.subject_id, f.predicate, f.object_id, f.embedding FROM facts f "
        "CROSS JOIN entities s ON s.id = f.subject_id "
        f"WHERE {_in_namespace('s.namespace', after_id)} AND f.id > ? ORDER BY f.id",
        (namespace, after_id),
    )
    return FactRows(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        subject_ids=np.array([r[1] for r in rows], dtype=np.int64),
        predicates=[r[2] for r in rows],
        object_ids=np.array([r[3] for r in rows], dtype=np.int64),
        embeddings=vectors,
    )


def chunks(c: sqlite3.Connection, namespace: str, after_id: int, dim: int) -> ChunkRows:
    """Passages of ``namespace`` with id above ``after_id``, in id order, with their times."""
    rows, vectors = _with_vectors(
        c, "chunks", after_id, dim,
        "SELECT k.id, d.id, d.time, d.added_at, d.metadata, k.embedding FROM chunks k "
        "JOIN documents d ON d.id = k.doc "
        f"WHERE {_full_load_test(c, 'chunks', 'k.namespace', namespace, after_id)} "
        "AND k.id > ? ORDER BY k.id",
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


def edges(c: sqlite3.Connection, namespace: str, after_chunk: int, after_entity: int) -> EdgeRows:
    """Provenance and mention rows of passages with id above ``after_chunk``, and synonym
    edges whose larger entity id is above ``after_entity`` (ids 0 load every edge).

    Rows come sorted by (chunk, fact), (chunk, entity) and (larger, smaller entity): since
    such rows are only ever written with a new passage or entity (see
    :mod:`graphmem.store.sqlite_write`), whose id is above every earlier one, the rows added
    after some ids sort after all the others, and appending them to an earlier load gives
    exactly what one full load returns. (Sorted here rather than by ORDER BY, which made
    SQLite sort the 107k mentions of the 2Wiki store in a temporary B-tree.)"""
    k_ns, e_ns = _in_namespace("k.namespace", after_chunk), _in_namespace("e.namespace", after_entity)

    def pairs(q: str, major: int) -> np.ndarray:
        rows = c.execute(q, (after_chunk, namespace)).fetchall()
        return _sorted_pairs(np.array(rows, dtype=np.int64).reshape(-1, 2), major)

    syn = c.execute(
        "SELECT y.a, y.b, y.score FROM synonyms y CROSS JOIN entities e ON e.id = y.b "
        f"WHERE y.b > ? AND {e_ns}",
        (after_entity, namespace),
    ).fetchall()
    syn_pairs = np.array([(a, b) for a, b, _ in syn], dtype=np.int64).reshape(-1, 2)
    order = np.lexsort((syn_pairs[:, 0], syn_pairs[:, 1]))
    judged = np.array(
        c.execute(
            "SELECT j.chunk_id, j.older, j.newer FROM chunks k "
            f"CROSS JOIN fact_conflicts j ON j.chunk_id = k.id WHERE k.id > ? AND {k_ns}",
            (after_chunk, namespace),
        ).fetchall(),
        dtype=np.int64,
    ).reshape(-1, 3)
    judged = judged[np.lexsort((judged[:, 2], judged[:, 1], judged[:, 0]))][:, 1:]
    return EdgeRows(
        fact_sources=pairs(
            "SELECT s.fact_id, s.chunk_id FROM chunks k "
            f"CROSS JOIN fact_sources s ON s.chunk_id = k.id WHERE k.id > ? AND {k_ns}",
            1,
        ),
        mentions=pairs(
            "SELECT m.chunk_id, m.entity_id FROM chunks k "
            f"CROSS JOIN mentions m ON m.chunk_id = k.id WHERE k.id > ? AND {k_ns}",
            0,
        ),
        synonyms=syn_pairs[order],
        synonym_scores=np.array([s for _, _, s in syn], dtype=np.float64)[order],
        conflicts=judged,  # judgements are written with the passage they were read from
    )


IN_LIMIT = 500  # ids per IN (...) list: well below SQLite's bound-parameter limit

def documents(
    c: sqlite3.Connection, namespace: str, doc_ids: Sequence[str] | None
) -> list[DocumentInfo]:
    """Documents of ``namespace`` (all, or those of ``doc_ids`` that are stored), oldest first."""
    q = (
        "SELECT d.id, d.doc_id, d.title, (SELECT count(*) FROM chunks k WHERE k.doc = d.id), "
        "d.metadata, d.content_hash, d.added_at, d.time FROM documents d WHERE d.namespace = ?"
    )
    if doc_ids is None:
        rows = c.execute(q + " ORDER BY d.id", (namespace,)).fetchall()
    else:
        rows = []
        wanted = list(dict.fromkeys(doc_ids))
        for i in range(0, len(wanted), IN_LIMIT):
            part = wanted[i : i + IN_LIMIT]
            where = f" AND d.doc_id IN ({','.join('?' * len(part))})"
            rows.extend(c.execute(q + where, (namespace, *part)).fetchall())
        rows.sort()
    return [
        DocumentInfo(doc_id, title, n, json.loads(meta), digest, added, at, namespace)
        for _, doc_id, title, n, meta, digest, added, at in rows
    ]
