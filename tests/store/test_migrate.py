"""Stores of earlier schemas are upgraded in place on open: a version 1 store (before
namespaces and document times), and a version 2 store built before ``mentions.count`` was
dropped (both stores)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from dumps import tables
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
# what a version 1 column is filled from where the current store has no such column
SOURCE = {"mentions": "chunk_id, entity_id, 1"}


def _as_v1(source: Memory, target_dir) -> None:
    """Write the rows of a (default-namespace) store into a version 1 file."""
    target_dir.mkdir()
    c = sqlite3.connect(target_dir / STORE_FILE)
    c.executescript(V1_DDL)
    c.execute("ATTACH ? AS src", (str(source.path / STORE_FILE),))
    for table, cols in COLUMNS.items():
        c.execute(f"INSERT INTO main.{table}({cols}) SELECT {SOURCE.get(table, cols)} FROM src.{table}")
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
    assert [r[1] for r in c.execute("PRAGMA table_info(mentions)")] == ["chunk_id", "entity_id"]
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


# mentions as version 2 stores had it before ``count`` (1 in every row, never read) was dropped
V2_MENTIONS_WITH_COUNT = """
CREATE TABLE old_mentions (
    chunk_id  INTEGER NOT NULL REFERENCES chunks(id),
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    count     INTEGER NOT NULL,
    PRIMARY KEY (chunk_id, entity_id)
) WITHOUT ROWID;
INSERT INTO old_mentions SELECT chunk_id, entity_id, 1 FROM mentions;
DROP TABLE mentions;
ALTER TABLE old_mentions RENAME TO mentions;
CREATE INDEX mentions_entity ON mentions(entity_id);
"""


def _on_postgres(location: str, *statements: str) -> list[tuple]:
    from graphmem.store.postgres_schema import connect, parse_url, psycopg

    url = parse_url(location)
    conn = connect(url)
    try:
        sql = psycopg().sql
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(url.schema)))
        rows: list[tuple] = []
        for statement in statements:
            cur = conn.execute(statement)
            rows = cur.fetchall() if cur.description else []
        return rows
    finally:
        conn.close()


def _mention_columns(location: str) -> list[str]:
    if location.startswith("postgresql"):
        rows = _on_postgres(
            location,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'mentions' "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
        )
        return [r[0] for r in rows]
    with closing(sqlite3.connect(Path(location) / STORE_FILE)) as c:
        return [r[1] for r in c.execute("PRAGMA table_info(mentions)")]


def _put_back_mention_counts(location: str) -> None:
    """Make ``location`` the store an earlier version 2 wrote: ``mentions.count`` present,
    NOT NULL without a default (so a write naming no count fails until it is dropped)."""
    if location.startswith("postgresql"):
        _on_postgres(
            location,
            "ALTER TABLE mentions ADD COLUMN count integer NOT NULL DEFAULT 1",
            "ALTER TABLE mentions ALTER COLUMN count DROP DEFAULT",
        )
        return
    c = sqlite3.connect(Path(location) / STORE_FILE, isolation_level=None)
    c.executescript(V2_MENTIONS_WITH_COUNT)
    c.close()


def test_v2_store_with_mention_counts_reads_then_upgrades_on_a_writable_open(
    new_location, embedder, extractor
):
    location = new_location()
    q = "Where was Ada Lovelace born?"
    with Memory(location, embedder=embedder, extractor=extractor) as m:
        m.add(DOCS)
        rows = tables(m.store)
        hits = [(h.doc_id, h.score) for h in m.retrieve(q)]
    _put_back_mention_counts(location)
    assert _mention_columns(location) == ["chunk_id", "entity_id", "count"]
    read_only = MemoryConfig(store=StoreConfig(read_only=True))
    with Memory(location, read_only, embedder=embedder, extractor=extractor) as m:
        assert tables(m.store) == rows  # reads never named the column
        assert [(h.doc_id, h.score) for h in m.retrieve(q)] == hits
    assert _mention_columns(location) == ["chunk_id", "entity_id", "count"]  # left as it was
    with Memory(location, embedder=embedder, extractor=extractor) as m:
        assert _mention_columns(location) == ["chunk_id", "entity_id"]
        assert tables(m.store) == rows
        assert [(h.doc_id, h.score) for h in m.retrieve(q)] == hits
        m.add(["Ada Lovelace met Mary Somerville."])  # writes after the drop work
        assert m.stats()["documents"] == len(DOCS) + 1
        mentions = len(m.store.export_rows("mentions"))
    assert mentions > len(rows["mentions"])
    with Memory(location, embedder=embedder, extractor=extractor) as m:  # a no-op from now on
        assert len(m.store.export_rows("mentions")) == mentions
