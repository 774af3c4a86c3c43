"""SQLite schema (DESIGN.md §3). Integer AUTOINCREMENT keys are never reused, so the in-memory
index can load "rows with id > last seen" to refresh incrementally."""

from __future__ import annotations

SCHEMA_VERSION = 1
# PRAGMA application_id of every store this graphmem creates ("GrMm"): tells a graphmem file
# from another program's SQLite file without reading its tables.
APPLICATION_ID = 0x47724D6D
TABLES = (
    "meta", "documents", "chunks", "entities", "facts", "fact_sources", "mentions", "synonyms"
)

DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    title        TEXT,
    metadata     TEXT NOT NULL,
    added_at     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id  TEXT NOT NULL UNIQUE,
    doc       INTEGER NOT NULL REFERENCES documents(id),
    position  INTEGER NOT NULL,
    text      TEXT NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
CREATE TABLE IF NOT EXISTS entities (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name      TEXT NOT NULL UNIQUE,
    label     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    embedding BLOB NOT NULL
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
    count     INTEGER NOT NULL,
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
"""
