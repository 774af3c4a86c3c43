"""The SQL of the write operations of :class:`graphmem.store.postgres.PostgresStore`, run inside
its write transaction: the PostgreSQL spelling of :mod:`graphmem.store.sqlite_write`, with the
same rules (read that module's docstring): names resolve to ids here, every statement's row
count is checked against the batch, provenance and mention rows are written only for passages
the batch inserts, synonym edges only when one end is an entity it inserts. Deduplication is the
unique constraints' (``ON CONFLICT DO NOTHING``), inside the transaction, so rows another writer
committed are reused, never duplicated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphmem.errors import NotFoundError, StoreError
from graphmem.store import rows as table_rows
from graphmem.store.base import DeleteReport, WriteBatch
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.store.shared_sql import counts

__all__ = ["delete_rows", "import_tables", "write_rows"]


def blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _expect(where: str, what: str, wrote: int, wanted: int) -> None:
    if wrote != wanted:
        raise StoreError(
            f"{where}: wrote {wrote} of {wanted} {what}: rows they refer to are missing "
            "(the batch was built against an older state of the store); nothing was written"
        )


def _many(c: Any, query: str, rows: list[Any]) -> int:
    """Run ``query`` for every row (pipelined by psycopg); the rows it affected in total."""
    if not rows:
        return 0
    with c.cursor() as cur:
        cur.executemany(query, rows)
        return int(cur.rowcount)


def _last_id(c: Any, table: str) -> int:
    """The largest id ``table`` holds now (0 when empty): the rows a write inserts lie above."""
    return int(c.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])


def _named_fact(t: str, s: str, p: str, o: str) -> str:
    """The condition that fact ``t`` (with entities ``ts``, ``to``) is the one named by the
    parameters ``s``, ``p``, ``o`` in namespace ``%(ns)s``."""
    return (
        f"{t}s.namespace = %(ns)s AND {t}s.name = %({s})s AND {t}.predicate = %({p})s "
        f"AND {t}o.namespace = %(ns)s AND {t}o.name = %({o})s "
        f"AND {t}.subject_id = {t}s.id AND {t}.object_id = {t}o.id"
    )


_INSERT_CONFLICT = (
    "INSERT INTO fact_conflicts(older, newer, chunk_id) SELECT x.id, y.id, k.id "
    "FROM facts x, entities xs, entities xo, facts y, entities ys, entities yo, chunks k "
    f"WHERE {_named_fact('x', 'xs_', 'xp', 'xo_')} AND {_named_fact('y', 'ys_', 'yp', 'yo_')} "
    "AND k.namespace = %(ns)s AND k.chunk_id = %(chunk)s"
)


def write_rows(c: Any, batch: WriteBatch, where: str, namespace: str) -> None:
    """Insert ``batch`` into ``namespace``; ``where`` names the store in errors."""
    now = time.time()
    ns = namespace
    old_chunk, old_entity = _last_id(c, "chunks"), _last_id(c, "entities")
    _many(
        c,
        "INSERT INTO documents(namespace, doc_id, content_hash, title, metadata, added_at, time) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            (ns, d.doc_id, d.content_hash, d.title,
             json.dumps(dict(d.metadata), ensure_ascii=False), now, d.time)
            for d in batch.documents
        ],
    )
    wrote = _many(
        c,
        "INSERT INTO chunks(namespace, chunk_id, doc, position, text, embedding) "
        "SELECT namespace, %s, id, %s, %s, %s FROM documents WHERE namespace = %s AND doc_id = %s",
        [(k.chunk_id, k.position, k.text, blob(k.embedding), ns, k.doc_id) for k in batch.chunks],
    )
    _expect(where, "passages", wrote, len(batch.chunks))
    _many(
        c,
        "INSERT INTO entities(namespace, name, label, kind, embedding) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (namespace, name) DO NOTHING",
        [(ns, e.name, e.label, e.kind, blob(e.embedding)) for e in batch.entities],
    )
    _many(
        c,
        "INSERT INTO facts(subject_id, predicate, object_id, embedding) "
        "SELECT s.id, %s, o.id, %s FROM entities s, entities o "
        "WHERE s.namespace = %s AND s.name = %s AND o.namespace = %s AND o.name = %s "
        "ON CONFLICT (subject_id, predicate, object_id) DO NOTHING",
        [(f.predicate, blob(f.embedding), ns, f.subject, ns, f.object) for f in batch.facts],
    )
    sources = list(dict.fromkeys(batch.fact_sources))
    wrote = _many(
        c,
        "INSERT INTO fact_sources(fact_id, chunk_id) "
        "SELECT f.id, k.id FROM facts f, entities s, entities o, chunks k "
        "WHERE s.namespace = %(ns)s AND s.name = %(s)s AND f.predicate = %(p)s "
        "AND o.namespace = %(ns)s AND o.name = %(o)s AND f.subject_id = s.id "
        "AND f.object_id = o.id AND k.namespace = %(ns)s AND k.chunk_id = %(k)s "
        "AND k.id > %(old)s",
        [{"ns": ns, "s": s, "p": p, "o": o, "k": k, "old": old_chunk} for s, p, o, k in sources],
    )
    _expect(where, "fact provenance rows", wrote, len(sources))
    wrote = _many(
        c,
        "INSERT INTO mentions(chunk_id, entity_id) "
        "SELECT k.id, e.id FROM chunks k, entities e "
        "WHERE k.namespace = %(ns)s AND k.chunk_id = %(k)s AND e.namespace = %(ns)s "
        "AND e.name = %(e)s AND k.id > %(old)s",
        [{"ns": ns, "k": k, "e": e, "old": old_chunk} for k, e in batch.mentions],
    )
    _expect(where, "entity mentions", wrote, len(batch.mentions))
    _many(
        c,
        "INSERT INTO synonyms(a, b, score) "
        "SELECT least(x.id, y.id), greatest(x.id, y.id), %(s)s FROM entities x, entities y "
        "WHERE x.namespace = %(ns)s AND x.name = %(a)s AND y.namespace = %(ns)s "
        "AND y.name = %(b)s AND x.id != y.id AND greatest(x.id, y.id) > %(old)s "
        "ON CONFLICT (a, b) DO NOTHING",
        [{"s": s, "ns": ns, "a": a, "b": b, "old": old_entity} for a, b, s in batch.synonyms],
    )
    conflicts = list(dict.fromkeys(batch.conflicts))
    wrote = _many(
        c,
        _INSERT_CONFLICT,
        [
            {"ns": ns, "xs_": o[0], "xp": o[1], "xo_": o[2], "ys_": n[0], "yp": n[1],
             "yo_": n[2], "chunk": k}
            for o, n, k in conflicts
        ],
    )
    _expect(where, "fact conflicts", wrote, len(conflicts))


def _ids(c: Any, query: str, args: tuple[Any, ...]) -> list[int]:
    return [int(r[0]) for r in c.execute(query, args)]


def delete_rows(c: Any, doc_id: str, where: str, namespace: str) -> DeleteReport:
    """Remove a document, its passages and provenance (with the conflicts judged from its
    passages), then every fact, entity and synonym edge that no remaining passage supports (and
    the conflicts naming such a fact). Id lists travel as arrays (``= ANY(%s)``)."""
    row = c.execute(
        "SELECT id FROM documents WHERE namespace = %s AND doc_id = %s", (namespace, doc_id)
    ).fetchone()
    if row is None:
        in_ns = "" if namespace == DEFAULT_NAMESPACE else f" namespace {namespace!r} of"
        raise NotFoundError(f"no document with id {doc_id!r} in{in_ns} {where}")
    doc = int(row[0])
    c.execute(  # before the generation moves: see SQLiteStore.deleted_at
        "UPDATE namespaces SET deleted_at = "
        "(SELECT value::bigint FROM meta WHERE key='generation') WHERE name = %s",
        (namespace,),
    )
    gone = _ids(c, "SELECT id FROM chunks WHERE doc = %s", (doc,))
    cand_facts = _ids(c, "SELECT DISTINCT fact_id FROM fact_sources WHERE chunk_id = ANY(%s)", (gone,))
    cand_entities = _ids(
        c, "SELECT DISTINCT entity_id FROM mentions WHERE chunk_id = ANY(%s)", (gone,)
    )
    c.execute("DELETE FROM fact_conflicts WHERE chunk_id = ANY(%s)", (gone,))
    c.execute("DELETE FROM fact_sources WHERE chunk_id = ANY(%s)", (gone,))
    c.execute("DELETE FROM mentions WHERE chunk_id = ANY(%s)", (gone,))
    unsupported = _ids(
        c,
        "SELECT f FROM unnest(%s::bigint[]) AS f "
        "WHERE NOT EXISTS (SELECT 1 FROM fact_sources s WHERE s.fact_id = f)",
        (cand_facts,),
    )
    c.execute(
        "DELETE FROM fact_conflicts WHERE older = ANY(%s) OR newer = ANY(%s)",
        (unsupported, unsupported),
    )
    n_chunks = c.execute("DELETE FROM chunks WHERE doc = %s", (doc,)).rowcount
    c.execute("DELETE FROM documents WHERE id = %s", (doc,))
    n_facts = c.execute("DELETE FROM facts WHERE id = ANY(%s)", (unsupported,)).rowcount
    orphans = _ids(
        c,
        "SELECT e FROM unnest(%s::bigint[]) AS e "
        "WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = e) "
        "AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.subject_id = e) "
        "AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.object_id = e)",
        (cand_entities,),
    )
    n_syn = c.execute(
        "DELETE FROM synonyms WHERE a = ANY(%s) OR b = ANY(%s)", (orphans, orphans)
    ).rowcount
    n_ent = c.execute("DELETE FROM entities WHERE id = ANY(%s)", (orphans,)).rowcount
    return DeleteReport(doc_id, n_chunks, n_facts, n_ent, n_syn)


def import_tables(c: Any, tables: Mapping[str, Sequence[tuple[Any, ...]]], where: str) -> None:
    """Insert whole tables, ids kept, into an empty store (see :mod:`graphmem.store.rows`),
    then move each identity sequence past the largest id, so new rows get new ids."""
    table_rows.check_import(where, tables, counts(c, None, "%s"))
    for table in table_rows.IMPORT_ORDER:
        got = list(tables.get(table, ()))
        if table == "meta":
            got = [r for r in got if r[0] not in table_rows.KEPT_META]
            _many(c, "INSERT INTO meta(key, value) VALUES (%s, %s) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value", got)
        else:
            _many(c, table_rows.insert(table, "%s"), got)
    for table in ("documents", "chunks", "entities", "facts"):
        c.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
            "HAVING max(id) IS NOT NULL"
        )
