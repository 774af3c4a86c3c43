"""Whole-table rows as both stores export and import them (:meth:`Store.export_rows`,
:meth:`Store.import_rows`): the statements, and the checks an import makes. Rows keep their ids,
so a copy has the same ids, the same order of everything that is ordered by id, and therefore
the same retrieval results as its source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphmem.errors import InputError, StoreError
from graphmem.store.schema import COLUMNS

__all__ = ["IMPORT_ORDER", "KEPT_META", "KEYS", "check_import", "insert", "select_all", "sorted_rows"]

# Each table's primary key: the order rows are exported in.
KEYS = {
    "meta": ("key",),
    "namespaces": ("name",),
    "documents": ("id",),
    "chunks": ("id",),
    "entities": ("id",),
    "facts": ("id",),
    "fact_sources": ("fact_id", "chunk_id"),
    "mentions": ("chunk_id", "entity_id"),
    "synonyms": ("a", "b"),
    "fact_conflicts": ("older", "newer", "chunk_id"),
}
# Tables in an order that inserts every referenced row before the rows referring to it.
IMPORT_ORDER = tuple(COLUMNS)
# Keys of ``meta`` an import leaves to the target (its own schema version).
KEPT_META = frozenset({"schema_version"})


def select_all(table: str) -> str:
    """The statement exporting ``table`` (text keys are sorted by the caller: collations
    differ between databases, code points do not)."""
    if table not in COLUMNS:
        raise InputError(f"unknown table {table!r}; tables: {', '.join(COLUMNS)}", source="export_rows()")
    order = "" if table in ("meta", "namespaces") else f" ORDER BY {', '.join(KEYS[table])}"
    return f"SELECT {', '.join(COLUMNS[table])} FROM {table}{order}"


def sorted_rows(table: str, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``rows`` as tuples, in export order (bytes-like values as bytes)."""
    out = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]
    return sorted(out) if table in ("meta", "namespaces") else out


def check_import(
    where: str, tables: Mapping[str, Sequence[tuple[Any, ...]]], held: Mapping[str, int]
) -> None:
    """Refuse an import naming an unknown table or rows of the wrong width, or into a store
    that holds documents (``held``: its whole-store counts): a copy goes into an empty store."""
    for table, rows in tables.items():
        if table not in COLUMNS:
            raise InputError(f"unknown table {table!r}", source="import_rows()")
        width = len(COLUMNS[table])
        for i, row in enumerate(rows):
            if len(row) != width:
                raise InputError(
                    f"row {i} of {table} has {len(row)} values, the table has {width} columns",
                    source="import_rows()",
                )
    if any(held.values()):
        raise StoreError(f"{where} is not empty ({held['documents']} documents): import into a new store")


def insert(table: str, placeholder: str) -> str:
    """The INSERT of one row of ``table`` with ``placeholder`` (``?`` or ``%s``) per column."""
    cols = COLUMNS[table]
    return f"INSERT INTO {table}({', '.join(cols)}) VALUES ({', '.join([placeholder] * len(cols))})"
