"""SQLite schema (DESIGN.md §3). Integer AUTOINCREMENT keys are never reused, so the in-memory
index can load "rows with id > last seen" to refresh incrementally.

Version 2 adds namespaces: documents, passages and entities belong to one namespace (facts,
provenance, mentions and synonym edges through their entities and passages), names and ids are
unique per namespace, and ``namespaces.generation`` tells a reader of one namespace whether *its*
rows changed, and ``namespaces.deleted_at`` whether any were removed: it holds the store
generation current when rows of the namespace were last deleted, or when its row was created
(see :meth:`graphmem.store.sqlite.SQLiteStore.deleted_at`), so that an index which saw
generation ``G`` knows that everything since was appended iff ``deleted_at < G``, without
scanning a table. It also adds ``documents.time``, the time a document states it was written (Unix
seconds, NULL when not given), and ``fact_conflicts``: a model's judgement, read from passage
``chunk_id``, that the passage's fact ``newer`` contradicts the earlier fact ``older`` (see
:mod:`graphmem.graph.conflicts`); a row lives exactly as long as that passage and both facts, so
validity derived from it stays derived from provenance. Version 1 stores are upgraded in place on first writable open
(:mod:`graphmem.store.migrate`)."""

from __future__ import annotations

SCHEMA_VERSION = 2
# PRAGMA application_id of every store this graphmem creates ("GrMm"): tells a graphmem file
# from another program's SQLite file without reading its tables.
APPLICATION_ID = 0x47724D6D
TABLES = (
    "meta",
    "namespaces",
    "documents",
    "chunks",
    "entities",
    "facts",
    "fact_sources",
    "mentions",
    "synonyms",
    "fact_conflicts",
)
# Every table's columns in schema order: what Store.export_rows returns and import_rows takes,
# the same for every store implementation (a copy between stores keeps every id).
COLUMNS = {
    "meta": ("key", "value"),
    "namespaces": ("name", "generation", "deleted_at"),
    "documents": ("id", "namespace", "doc_id", "content_hash", "title", "metadata", "added_at", "time"),
    "chunks": ("id", "namespace", "chunk_id", "doc", "position", "text", "embedding"),
    "entities": ("id", "namespace", "name", "label", "kind", "embedding"),
    "facts": ("id", "subject_id", "predicate", "object_id", "embedding"),
    "fact_sources": ("fact_id", "chunk_id"),
    "mentions": ("chunk_id", "entity_id"),
    "synonyms": ("a", "b", "score"),
    "fact_conflicts": ("older", "newer", "chunk_id"),
}
# The namespace of every call that names none.
DEFAULT_NAMESPACE = "default"
# Columns added to version 2 after its first stores were built (it was not released yet): table
# -> (column, definition). Added in place on the first writable open of a store lacking them.
LATE_COLUMNS = {"namespaces": ("deleted_at", "INTEGER NOT NULL DEFAULT 0")}
# Columns of version 2 dropped after its first stores were built: table -> column. Dropped in
# place on the first writable open of a store that has them; no read ever selected them, so a
# store opened read-only reads the same with or without them. ``mentions.count`` was written 1
# for every row (a passage's mention is a pair) and never read.
DROPPED_COLUMNS = {"mentions": "count"}

DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (
    name       TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace    TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title        TEXT,
    metadata     TEXT NOT NULL,
    added_at     REAL NOT NULL,
    time         REAL,
    UNIQUE (namespace, doc_id)
);
CREATE TABLE IF NOT EXISTS chunks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    chunk_id  TEXT NOT NULL,
    doc       INTEGER NOT NULL REFERENCES documents(id),
    position  INTEGER NOT NULL,
    text      TEXT NOT NULL,
    embedding BLOB NOT NULL,
    UNIQUE (namespace, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
CREATE TABLE IF NOT EXISTS entities (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    label     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    embedding BLOB NOT NULL,
    UNIQUE (namespace, name)
);
CREATE TABLE IF NOT EXISTS facts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id INTEGER NOT NULL REFERENCES entities(id),
    predicate  TEXT NOT NULL,
    object_id  INTEGER NOT NULL REFERENCES entities(id),
    embedding  BLOB NOT NULL,
    UNIQUE (subject_id, predicate, object_id)
);
CREATE INDEX IF NOT EXISTS facts_object ON facts(object_id);
CREATE TABLE IF NOT EXISTS fact_sources (
    fact_id  INTEGER NOT NULL REFERENCES facts(id),
    chunk_id INTEGER NOT NULL REFERENCES chunks(id),
    PRIMARY KEY (fact_id, chunk_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fact_sources_chunk ON fact_sources(chunk_id);
CREATE TABLE IF NOT EXISTS mentions (
    chunk_id  INTEGER NOT NULL REFERENCES chunks(id),
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    PRIMARY KEY (chunk_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_id);
CREATE TABLE IF NOT EXISTS synonyms (
    a     INTEGER NOT NULL REFERENCES entities(id),
    b     INTEGER NOT NULL REFERENCES entities(id),
    score REAL NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS synonyms_b ON synonyms(b);
CREATE TABLE IF NOT EXISTS fact_conflicts (
    older    INTEGER NOT NULL REFERENCES facts(id),
    newer    INTEGER NOT NULL REFERENCES facts(id),
    chunk_id INTEGER NOT NULL REFERENCES chunks(id),
    PRIMARY KEY (older, newer, chunk_id),
    CHECK (older != newer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fact_conflicts_newer ON fact_conflicts(newer);
CREATE INDEX IF NOT EXISTS fact_conflicts_chunk ON fact_conflicts(chunk_id);
"""
