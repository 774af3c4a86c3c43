"""A version 1 store (before namespaces and document times) is upgraded in place on open."""

from __future__ import annotations

import sqlite3

import pytest
from test_memory import DOCS, dump

from graphmem import Memory, StoreError
from graphmem.config import MemoryConfig, StoreConfig
from graphmem.memory import STORE_FILE
from graphmem.store.schema import APPLICATION_ID

V1_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL, title TEXT, metadata TEXT NOT NULL, added_at REAL NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE,
    doc INTEGER NOT NULL REFERENCES documents(id), position INTEGER NOT NULL,
    text TEXT NOT NULL, embedding BLOB NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc);
CREATE TABLE entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, label TEXT NOT NULL,
    kind TEXT NOT NULL, embedding BLOB NOT NULL);
CREATE TABLE facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, subject_id INTEGER NOT NULL REFERENCES entities(id),
    predicate TEXT NOT NULL, object_id INTEGER NOT NULL REFERENCES entities(id),
    embedding BLOB NOT NULL, UNIQUE (subject_id, predicate, object_id));
CREATE INDEX facts_object ON facts(object_id);
CREATE TABLE fact_sources (
    fact_id INTEGER NOT NULL REFERENCES facts(id), chunk_id INTEGER NOT NULL REFERENCES chunks(id),
    PRIMARY KEY (fact_id, chunk_id)) WITHOUT ROWID;
CREATE INDEX fact_sources_chunk ON fact_sources(chunk_id);
CREATE TABLE mentions (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id), entity_id INTEGER NOT NULL REFERENCES entities(id),
    count INTEGER NOT NULL, PRIMARY KEY (chunk_id, entity_id)) WITHOUT ROWID;
CREATE INDEX mentions_entity ON mentions(entity_id);
CREATE TABLE synonyms (
    a INTEGER NOT NULL REFERENCES entities(id), b INTEGER NOT NULL REFERENCES entities(id),
    score REAL NOT NULL, PRIMARY KEY (a, b), CHECK (a < b)) WITHOUT ROWID;
CREATE INDEX synonyms_b ON synonyms(b);
"""
COLUMNS = {
    "meta": "key, value",
    "documents": "id, doc_id, content_hash, title, metadata, added_at",
    "chunks": "id, chunk_id, doc, position, text, embedding",
    "entities": "id, name, label, kind, embedding",
    "facts": "id, subject_id, predicate, object_id, embedding",
    "fact_sources": "fact_id, chunk_id",
    "mentions": "chunk_id, entity_id, count",
    "synonyms": "a, b, score",
}


def _as_v1(source: Memory, target_dir) -> None:
    """Write the rows of a (default-namespace) store into a version 1 file."""
    target_dir.mkdir()
    c = sqlite3.connect(target_dir / STORE_FILE)
    c.executescript(V1_DDL)
    c.execute("ATTACH ? AS src", (str(source.path / STORE_FILE),))
    for table, cols in COLUMNS.items():
        c.execute(f"INSERT INTO main.{table}({cols}) SELECT {cols} FROM src.{table}")
    c.execute("UPDATE main.meta SET value='1' WHERE key='schema_version'")
    c.execute("INSERT INTO main.sqlite_sequence SELECT name, seq + 5 FROM src.sqlite_sequence")
    c.execute(f"PRAGMA main.application_id = {APPLICATION_ID}")
    c.commit()
    c.close()


def test_v1_store_is_upgraded_with_ids_counters_and_results_kept(memory_factory, tmp_path):
    original = memory_factory("original")
    original.add(DOCS)
    _as_v1(original, tmp_path / "old")
    seq = dict(sqlite3.connect(tmp_path / "old" / STORE_FILE).execute("SELECT name, seq FROM sqlite_sequence"))
    upgraded = memory_factory("old")
    assert upgraded.store.meta("schema_version") == "2"
    assert dump(upgraded) == dump(original)
    assert upgraded.namespaces() == ["default"]
    c = sqlite3.connect(tmp_path / "old" / STORE_FILE)
    assert dict(c.execute("SELECT name, seq FROM sqlite_sequence")) == seq
    assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    assert c.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'v1_%'").fetchone() == (0,)
    q = "Where was Ada Lovelace born?"
    assert [(h.doc_id, h.score) for h in upgraded.retrieve(q)] == [
        (h.doc_id, h.score) for h in original.retrieve(q)
    ]
    upgraded.add(["Ada Lovelace met Mary Somerville."])  # writes after the upgrade work
    assert upgraded.stats()["documents"] == len(DOCS) + 1


def test_read_only_v1_store_is_refused_unchanged(memory_factory, tmp_path, embedder, extractor):
    original = memory_factory("original")
    original.add(DOCS)
    _as_v1(original, tmp_path / "old")
    before = (tmp_path / "old" / STORE_FILE).read_bytes()
    with pytest.raises(StoreError, match="has schema version 1 and opened read-only: open it once"):
        Memory(tmp_path / "old", MemoryConfig(store=StoreConfig(read_only=True)), embedder=embedder, extractor=extractor)
    assert (tmp_path / "old" / STORE_FILE).read_bytes() == before
