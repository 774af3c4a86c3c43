"""SQL both stores run alike, written once with the parameter placeholder as an argument
(``"?"`` for SQLite, ``"%s"`` for psycopg). ``c`` is either store's connection inside its own
transaction: both ``execute(sql, params)`` and return a cursor (``fetchone``, ``rowcount``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphmem.errors import NotFoundError

__all__ = ["COUNTED", "ID_TABLES", "alive_ids_query", "counts", "delete_namespace_rows", "id_array"]

# The tables whose rows the in-memory index numbers by id (Store.alive_ids).
ID_TABLES = ("documents", "chunks", "entities", "facts")


COUNTED = (
    ("documents", "documents", "{ns}"),
    ("chunks", "chunks", "{ns}"),
    ("entities", "entities", "{ns}"),
    ("facts", "facts", "subject_id IN (SELECT id FROM entities WHERE {ns})"),
    ("synonym_edges", "synonyms", "a IN (SELECT id FROM entities WHERE {ns})"),
    ("mentions", "mentions", "chunk_id IN (SELECT id FROM chunks WHERE {ns})"),
    ("fact_sources", "fact_sources", "chunk_id IN (SELECT id FROM chunks WHERE {ns})"),
    ("fact_conflicts", "fact_conflicts", "chunk_id IN (SELECT id FROM chunks WHERE {ns})"),
)
"""What ``Store.counts`` reports: key, table, and the condition that puts a row in a namespace."""


def counts(c: Any, namespace: str | None, mark: str) -> dict[str, int]:
    """Row counts of ``namespace``, or of the whole store when it is None (one statement)."""
    parts = [
        f"(SELECT count(*) FROM {table}"
        + ("" if namespace is None else " WHERE " + where.format(ns=f"namespace = {mark}"))
        + ")"
        for _, table, where in COUNTED
    ]
    args = () if namespace is None else (namespace,) * len(COUNTED)
    row = c.execute("SELECT " + ", ".join(parts), args).fetchone()
    return {key: int(n) for (key, _, _), n in zip(COUNTED, row)}


def alive_ids_query(table: str, mark: str) -> str:
    """The statement listing the ids of ``table``'s rows in one namespace (its one parameter),
    ascending; facts belong to their subject's namespace. Raises ValueError for another table."""
    if table not in ID_TABLES:
        raise ValueError(f"unknown table {table!r}")
    if table == "facts":
        return (
            "SELECT f.id FROM facts f JOIN entities s ON s.id = f.subject_id "
            f"WHERE s.namespace = {mark} ORDER BY f.id"
        )
    return f"SELECT id FROM {table} WHERE namespace = {mark} ORDER BY id"


def id_array(rows: Sequence[Sequence[Any]]) -> np.ndarray:
    """The first value of each row, as int64."""
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def delete_namespace_rows(c: Any, namespace: str, where: str, mark: str) -> int:
    """Remove every row of ``namespace``, referring rows first; returns the number of documents
    removed. A namespace without documents raises NotFoundError naming ``where``."""
    ns = (namespace,)
    found = c.execute(f"SELECT 1 FROM documents WHERE namespace = {mark} LIMIT 1", ns).fetchone()
    if found is None:
        raise NotFoundError(f"no namespace {namespace!r} in {where}")
    chunks = f"SELECT id FROM chunks WHERE namespace = {mark}"
    entities = f"SELECT id FROM entities WHERE namespace = {mark}"
    c.execute(f"DELETE FROM fact_conflicts WHERE chunk_id IN ({chunks})", ns)
    c.execute(f"DELETE FROM fact_sources WHERE chunk_id IN ({chunks})", ns)
    c.execute(f"DELETE FROM mentions WHERE chunk_id IN ({chunks})", ns)
    c.execute(f"DELETE FROM synonyms WHERE a IN ({entities})", ns)
    c.execute(f"DELETE FROM facts WHERE subject_id IN ({entities})", ns)
    c.execute(f"DELETE FROM chunks WHERE namespace = {mark}", ns)
    c.execute(f"DELETE FROM entities WHERE namespace = {mark}", ns)
    return int(c.execute(f"DELETE FROM documents WHERE namespace = {mark}", ns).rowcount)
