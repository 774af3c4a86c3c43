"""Upgrading a version 1 store (one namespace, no document times) to version 2 in place.

Version 2 changes the uniqueness of document ids, passage ids and entity names from "in the
store" to "in a namespace", which SQLite can only do by rebuilding those three tables. The
rebuild runs in one write transaction, keeps every integer id (facts, provenance, mentions and
synonym edges refer to them) and the AUTOINCREMENT counters (ids are never reused, which the
in-memory index relies on), puts every row in the default namespace and bumps the generation,
so that an index loaded before the upgrade reloads. A crash in the middle leaves version 1.

Version 2 stores built before its last changes get them on their first writable open, each
change one statement that other processes can race harmlessly (:func:`late_columns`:
:data:`~graphmem.store.schema.LATE_COLUMNS`, :data:`~graphmem.store.schema.DROPPED_COLUMNS`).
"""

from __future__ import annotations

import logging
import sqlite3

from graphmem.sqlite_db import run_script, transaction
from graphmem.store.schema import (
    DDL,
    DEFAULT_NAMESPACE,
    DROPPED_COLUMNS,
    LATE_COLUMNS,
    SCHEMA_VERSION,
)

log = logging.getLogger(__name__)

# table -> the version 1 columns copied (the new ones are namespace and, for documents, time)
_REBUILT = {
    "documents": "id, doc_id, content_hash, title, metadata, added_at",
    "chunks": "id, chunk_id, doc, position, text, embedding",
    "entities": "id, name, label, kind, embedding",
}


def upgrade_v1(conn: sqlite3.Connection, path: str) -> None:
    """Rebuild a version 1 store as version 2 (see the module docstring). The connection must
    be writable and outside a transaction."""
    log.warning("%s: upgrading the store from schema version 1 to %d", path, SCHEMA_VERSION)
    conn.execute("PRAGMA foreign_keys=OFF")  # the rebuilt tables are referenced by id
    conn.execute("PRAGMA legacy_alter_table=ON")  # keep references naming the new tables
    try:
        with transaction(conn, immediate=True):
            version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if version is not None and str(version[0]) == str(SCHEMA_VERSION):
                return  # another process upgraded it first: this transaction only read
            _rebuild(conn)
    finally:
        conn.execute("PRAGMA legacy_alter_table=OFF")
        conn.execute("PRAGMA foreign_keys=ON")


def _rebuild(conn: sqlite3.Connection) -> None:
    sequences = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    conn.execute("DROP INDEX IF EXISTS chunks_doc")
    for table in _REBUILT:
        conn.execute(f"ALTER TABLE {table} RENAME TO v1_{table}")
    run_script(conn, DDL)
    for table, columns in _REBUILT.items():
        conn.execute(
            f"INSERT INTO {table}(namespace, {columns}) SELECT ?, {columns} FROM v1_{table}",
            (DEFAULT_NAMESPACE,),
        )
    for table in ("chunks", "documents", "entities"):  # referencing tables first
        conn.execute(f"DROP TABLE v1_{table}")
    for table in _REBUILT:
        conn.execute("DELETE FROM sqlite_sequence WHERE name IN (?, ?)", (table, f"v1_{table}"))
        if table in sequences:
            conn.execute(
                "INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)", (table, sequences[table])
            )
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise sqlite3.IntegrityError(f"foreign keys broken by the upgrade: {problems[:3]}")
    generation = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
    conn.execute(
        "UPDATE meta SET value = ? WHERE key='generation'", (str(generation + 1),)
    )
    if conn.execute("SELECT count(*) FROM documents").fetchone()[0]:
        conn.execute(
            "INSERT INTO namespaces(name, generation, deleted_at) VALUES (?, ?, ?)",
            (DEFAULT_NAMESPACE, generation + 1, generation),
        )
    conn.execute(
        "UPDATE meta SET value = ? WHERE key='schema_version'", (str(SCHEMA_VERSION),)
    )


def late_columns(conn: sqlite3.Connection) -> None:
    """Add the version 2 columns that stores built before they existed lack
    (:data:`graphmem.store.schema.LATE_COLUMNS`; their defaults are right for old rows) and
    drop those removed since (:data:`graphmem.store.schema.DROPPED_COLUMNS`). The connection
    must be writable and outside a transaction; a no-op on an up-to-date store."""
    for table, (column, definition) in LATE_COLUMNS.items():
        _alter(conn, table, column, f"ADD COLUMN {column} {definition}", present=False)
    for table, column in DROPPED_COLUMNS.items():
        _alter(conn, table, column, f"DROP COLUMN {column}", present=True)


def _alter(conn: sqlite3.Connection, table: str, column: str, change: str, *, present: bool) -> None:
    """``ALTER TABLE table change`` when ``column`` is ``present`` (or absent): each change is
    one statement, so a process racing this one makes it first and this one's fails harmlessly."""
    if (column in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}) != present:
        return
    verb = "dropping column %s.%s from" if present else "adding column %s.%s to"
    log.warning(verb + " the store", table, column)
    try:
        conn.execute(f"ALTER TABLE {table} {change}")
    except sqlite3.OperationalError as exc:  # another process made the change first
        if ("no such column" if present else "duplicate column") not in str(exc):
            raise
