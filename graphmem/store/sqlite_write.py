"""The SQL of the two write operations, run by :class:`SQLiteStore` inside its write transaction.

Rows are named, not numbered, in a :class:`WriteBatch`; names resolve to ids here, inside the
transaction. Every statement's row count is checked against what the batch asked for: a name
that does not resolve (an entity another writer deleted after the batch was built, if a caller
skipped :meth:`SQLiteStore.writing`) fails the whole transaction instead of silently dropping
the mentions and facts that refer to it.

Append-only edges: provenance and mention rows are written only for passages inserted by the
same batch, and synonym edges only when one end is an entity inserted by it; the statements
enforce this (a row naming an older passage fails the batch, a synonym edge between two older
entities is not written). Ids being never reused, every edge a write adds then sorts after the
edges already stored, which lets an index load just those (``SQLiteStore.load_edges``). Deletes
record the generation they happened at in ``namespaces.deleted_at``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence

import numpy as np

from graphmem.errors import NotFoundError, StoreError
from graphmem.store import rows as table_rows
from graphmem.store.base import DeleteReport, WriteBatch
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.store.shared_sql import counts


def blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _expect(path: str, what: str, wrote: int, wanted: int) -> None:
    if wrote != wanted:
        raise StoreError(
            f"{path}: wrote {wrote} of {wanted} {what}: rows they refer to are missing "
            "(the batch was built against an older state of the store); nothing was written"
        )


def _last_id(c: sqlite3.Connection, table: str) -> int:
    """The largest id ``table`` holds now (0 when empty): the rows a write inserts lie above."""
    row = c.execute(f"SELECT max(id) FROM {table}").fetchone()
    return int(row[0] or 0)


def _named_fact(t: str, s: int, p: int, o: int) -> str:
    """The condition that fact ``t`` (with entities ``ts``, ``to``) is the one named by the
    parameters numbered ``s``, ``p``, ``o`` (subject, predicate, object) in namespace ``?1``."""
    return (
        f"{t}s.namespace = ?1 AND {t}s.name = ?{s} AND {t}.predicate = ?{p} "
        f"AND {t}o.namespace = ?1 AND {t}o.name = ?{o} "
        f"AND {t}.subject_id = {t}s.id AND {t}.object_id = {t}o.id"
    )


# (namespace, older s, p, o, newer s, p, o, chunk id) -> one fact_conflicts row
_INSERT_CONFLICT = (
    "INSERT INTO fact_conflicts(older, newer, chunk_id) SELECT x.id, y.id, k.id "
    "FROM facts x, entities xs, entities xo, facts y, entities ys, entities yo, chunks k "
    f"WHERE {_named_fact('x', 2, 3, 4)} AND {_named_fact('y', 5, 6, 7)} "
    "AND k.namespace = ?1 AND k.chunk_id = ?8"
)


def write_rows(c: sqlite3.Connection, batch: WriteBatch, path: str, namespace: str) -> None:
    now = time.time()
    old_chunk, old_entity = _last_id(c, "chunks"), _last_id(c, "entities")
    c.executemany(
        "INSERT INTO documents(namespace, doc_id, content_hash, title, metadata, added_at, time) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                namespace,
                d.doc_id,
                d.content_hash,
                d.title,
                json.dumps(dict(d.metadata), ensure_ascii=False),
                now,
                d.time,
            )
            for d in batch.documents
        ],
    )
    cur = c.executemany(
        "INSERT INTO chunks(namespace, chunk_id, doc, position, text, embedding) "
        "SELECT namespace, ?, id, ?, ?, ? FROM documents WHERE namespace = ? AND doc_id = ?",
        [
            (k.chunk_id, k.position, k.text, blob(k.embedding), namespace, k.doc_id)
            for k in batch.chunks
        ],
    )
    _expect(path, "passages", cur.rowcount if batch.chunks else 0, len(batch.chunks))
    c.executemany(
        "INSERT OR IGNORE INTO entities(namespace, name, label, kind, embedding) "
        "VALUES (?, ?, ?, ?, ?)",
        [(namespace, e.name, e.label, e.kind, blob(e.embedding)) for e in batch.entities],
    )
    c.executemany(
        "INSERT OR IGNORE INTO facts(subject_id, predicate, object_id, embedding) "
        "SELECT s.id, ?, o.id, ? FROM entities s, entities o "
        "WHERE s.namespace = ? AND s.name = ? AND o.namespace = ? AND o.name = ?",
        [
            (f.predicate, blob(f.embedding), namespace, f.subject, namespace, f.object)
            for f in batch.facts
        ],
    )
    sources = list(dict.fromkeys(batch.fact_sources))
    cur = c.executemany(
        "INSERT INTO fact_sources(fact_id, chunk_id) "
        "SELECT f.id, k.id FROM facts f, entities s, entities o, chunks k "
        "WHERE s.namespace = ?1 AND s.name = ?2 AND f.predicate = ?3 AND o.namespace = ?1 "
        "AND o.name = ?4 AND f.subject_id = s.id AND f.object_id = o.id "
        "AND k.namespace = ?1 AND k.chunk_id = ?5 AND k.id > ?6",
        [(namespace, *row, old_chunk) for row in sources],
    )
    _expect(path, "fact provenance rows", cur.rowcount if sources else 0, len(sources))
    cur = c.executemany(
        "INSERT INTO mentions(chunk_id, entity_id) "
        "SELECT k.id, e.id FROM chunks k, entities e "
        "WHERE k.namespace = ?1 AND k.chunk_id = ?2 AND e.namespace = ?1 AND e.name = ?3 "
        "AND k.id > ?4",
        [(namespace, chunk, name, old_chunk) for chunk, name in batch.mentions],
    )
    _expect(path, "entity mentions", cur.rowcount if batch.mentions else 0, len(batch.mentions))
    c.executemany(
        "INSERT OR IGNORE INTO synonyms(a, b, score) "
        "SELECT min(x.id, y.id), max(x.id, y.id), ?1 FROM entities x, entities y "
        "WHERE x.namespace = ?2 AND x.name = ?3 AND y.namespace = ?2 AND y.name = ?4 "
        "AND x.id != y.id AND max(x.id, y.id) > ?5",
        [(s, namespace, a, b, old_entity) for a, b, s in batch.synonyms],
    )
    conflicts = list(dict.fromkeys(batch.conflicts))
    cur = c.executemany(
        _INSERT_CONFLICT,
        [(namespace, *older, *newer, chunk) for older, newer, chunk in conflicts],
    )
    _expect(path, "fact conflicts", cur.rowcount if conflicts else 0, len(conflicts))


def delete_rows(c: sqlite3.Connection, doc_id: str, path: str, namespace: str) -> DeleteReport:
    """Remove a document, its passages and provenance (with the conflicts judged from its
    passages), then every fact, entity and synonym edge that no remaining passage supports (and
    the conflicts naming such a fact)."""
    row = c.execute(
        "SELECT id FROM documents WHERE namespace = ? AND doc_id = ?", (namespace, doc_id)
    ).fetchone()
    if row is None:
        where = "" if namespace == DEFAULT_NAMESPACE else f" namespace {namespace!r} of"
        raise NotFoundError(f"no document with id {doc_id!r} in{where} {path}")
    doc = row[0]
    c.execute(  # before the generation moves: see SQLiteStore.deleted_at
        "UPDATE namespaces SET deleted_at = "
        "(SELECT CAST(value AS INTEGER) FROM meta WHERE key='generation') WHERE name = ?",
        (namespace,),
    )
    for t in ("gone_chunks", "cand_facts", "cand_entities"):
        c.execute(f"CREATE TEMP TABLE IF NOT EXISTS {t}(id INTEGER PRIMARY KEY)")
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
    c.execute("DELETE FROM fact_conflicts WHERE chunk_id IN (SELECT id FROM gone_chunks)")
    c.execute("DELETE FROM fact_sources WHERE chunk_id IN (SELECT id FROM gone_chunks)")
    c.execute("DELETE FROM mentions WHERE chunk_id IN (SELECT id FROM gone_chunks)")
    # the candidates still stated stay; the rest go, with the conflicts that name them
    c.execute(
        "DELETE FROM cand_facts "
        "WHERE EXISTS (SELECT 1 FROM fact_sources s WHERE s.fact_id = cand_facts.id)"
    )
    c.execute(
        "DELETE FROM fact_conflicts WHERE older IN (SELECT id FROM cand_facts) "
        "OR newer IN (SELECT id FROM cand_facts)"
    )
    n_chunks = c.execute("DELETE FROM chunks WHERE doc = ?", (doc,)).rowcount
    c.execute("DELETE FROM documents WHERE id = ?", (doc,))
    n_facts = c.execute("DELETE FROM facts WHERE id IN (SELECT id FROM cand_facts)").rowcount
    c.execute(
        "DELETE FROM cand_entities WHERE id IN (SELECT entity_id FROM mentions) "
        "OR id IN (SELECT subject_id FROM facts) OR id IN (SELECT object_id FROM facts)"
    )
    n_syn = c.execute(
        "DELETE FROM synonyms WHERE a IN (SELECT id FROM cand_entities) "
        "OR b IN (SELECT id FROM cand_entities)"
    ).rowcount
    n_ent = c.execute("DELETE FROM entities WHERE id IN (SELECT id FROM cand_entities)").rowcount
    return DeleteReport(doc_id, n_chunks, n_facts, n_ent, n_syn)


def import_tables(c: sqlite3.Connection, tables: Mapping[str, Sequence[tuple]], where: str) -> None:
    """Insert whole tables, ids kept, into an empty store (see :mod:`graphmem.store.rows`)."""
    table_rows.check_import(where, tables, counts(c, None, "?"))
    for table in table_rows.IMPORT_ORDER:
        got = list(tables.get(table, ()))
        if table == "meta":
            got = [r for r in got if r[0] not in table_rows.KEPT_META]
            c.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", got)
        else:
            c.executemany(table_rows.insert(table, "?"), got)
