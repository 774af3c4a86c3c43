"""check_store on a real small store: healthy, then damaged with raw sqlite3 one way at a time.
Every check must leave the file's bytes as they were."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from graphmem import Document, Memory, StoreError
from graphmem.memory import STORE_FILE
from graphmem.store.check import CheckReport, check_store

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    Document(id="ada", title="Ada Lovelace",
             text="Ada Lovelace was born in London. Ada Lovelace wrote the first program."),
    Document(id="london", title="London", text="London is the capital of England."),
    Document(id="babbage", title="Charles Babbage",
             text="Charles Babbage designed the Analytical Engine. Babbage was born in London."),
]
TABLES = ("documents", "chunks", "entities", "facts", "fact_sources", "mentions", "synonyms",
          "fact_conflicts")


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder, extractor) -> tuple[Path, dict[str, int]]:
    """A healthy store file, built once, and its row counts as graphmem's own stats see them."""
    path = tmp_path_factory.mktemp("checkstore")
    with Memory(path, embedder=embedder, extractor=extractor) as mem:
        mem.add(DOCS)
        stats = mem.stats()
    stats["synonyms"] = stats.pop("synonym_edges")
    return path / STORE_FILE, {t: stats[t] for t in TABLES}


@pytest.fixture
def store(built, tmp_path) -> Path:
    """A private copy of the healthy store file to damage."""
    copy = tmp_path / STORE_FILE
    shutil.copyfile(built[0], copy)
    return copy


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage(path: Path, *statements: str) -> None:
    """Run SQL against the file with foreign keys and CHECK constraints off, then close it (so
    the change is checkpointed into the main file)."""
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA foreign_keys=OFF")
    c.execute("PRAGMA ignore_check_constraints=ON")
    for s in statements:
        c.execute(s)
    c.close()


def one(path: Path, sql: str) -> int:
    c = sqlite3.connect(path)
    try:
        return int(c.execute(sql).fetchone()[0])
    finally:
        c.close()


def checked(path: Path) -> CheckReport:
    """check_store, asserting the file's bytes did not change."""
    before = digest(path)
    report = check_store(path)
    assert digest(path) == before
    assert not path.with_name(path.name + "-wal").exists() or \
        path.with_name(path.name + "-wal").stat().st_size == 0
    return report


def test_a_healthy_store_passes_with_exact_counts(built, store):
    counts = built[1]
    assert (counts["documents"], counts["chunks"]) == (3, 3)
    assert counts["entities"] > 0 and counts["facts"] > 0 and counts["mentions"] > 0
    report = checked(store)
    assert report == CheckReport(path=store, ok=True, problems=(), counts=counts)
    assert report.to_json() == {"store": str(store), "ok": True, "problems": [], "counts": counts}


def test_the_schema_declares_every_reference_the_check_relies_on(store):
    """Orphans are found with PRAGMA foreign_key_check, so the schema must declare each one."""
    c = sqlite3.connect(store)
    declared = {(t, row[3], row[2]) for t in TABLES
                for row in c.execute(f"PRAGMA foreign_key_list({t})")}
    c.close()
    assert declared == {
        ("chunks", "doc", "documents"),
        ("facts", "subject_id", "entities"), ("facts", "object_id", "entities"),
        ("fact_sources", "fact_id", "facts"), ("fact_sources", "chunk_id", "chunks"),
        ("mentions", "chunk_id", "chunks"), ("mentions", "entity_id", "entities"),
        ("synonyms", "a", "entities"), ("synonyms", "b", "entities"),
        ("fact_conflicts", "older", "facts"), ("fact_conflicts", "newer", "facts"),
        ("fact_conflicts", "chunk_id", "chunks"),
    }


def test_a_deleted_chunk_leaves_orphans_that_are_named(built, store):
    counts = built[1]
    chunk = one(store, "SELECT id FROM chunks WHERE chunk_id = 'ada#0'")
    mentions = one(store, f"SELECT count(*) FROM mentions WHERE chunk_id = {chunk}")
    sources = one(store, f"SELECT count(*) FROM fact_sources WHERE chunk_id = {chunk}")
    assert mentions > 1 and sources > 1
    damage(store, f"DELETE FROM chunks WHERE id = {chunk}")
    report = checked(store)
    assert report.ok is False
    assert report.problems == (
        (f"fact_sources: {sources} of {counts['fact_sources']} rows point at a missing chunks "
        "row (fact_sources.chunk_id)"),
        (f"mentions: {mentions} of {counts['mentions']} rows point at a missing chunks row "
        "(mentions.chunk_id)"),
        "documents: 1 of 3 rows has no chunks (every document has at least one passage)",
    )
    assert report.counts == {**counts, "chunks": 2}


def test_a_fact_without_sources_is_unsupported(built, store):
    counts = built[1]
    fact = one(store, "SELECT fact_id FROM fact_sources GROUP BY fact_id HAVING count(*) = 1 "
                      "ORDER BY fact_id LIMIT 1")
    damage(store, f"DELETE FROM fact_sources WHERE fact_id = {fact}")
    assert checked(store).problems == (
        f"facts: 1 of {counts['facts']} rows has no fact_sources row (no passage supports it)",
    )


def test_an_orphan_entity_is_unsupported(built, store):
    counts = built[1]
    damage(store, "INSERT INTO entities(namespace, name, label, kind, embedding) "
                  "SELECT 'default', 'zzz orphan', 'Zzz Orphan', 'PERSON', embedding "
                  "FROM entities LIMIT 1")
    report = checked(store)
    assert report.problems == (
        (f"entities: 1 of {counts['entities'] + 1} rows has no mention and is in no fact (a "
        "delete removes such entities)"),
    )


def test_a_truncated_embedding_is_named(built, store):
    dim = one(store, "SELECT value FROM meta WHERE key = 'embedder_dim'")
    damage(store, "UPDATE chunks SET embedding = substr(embedding, 1, 100) "
                  "WHERE chunk_id = 'london#0'")
    assert checked(store).problems == (
        (f"chunks: 1 of 3 rows has an embedding of the wrong size (expected {4 * dim} bytes = "
        f"4 × embedder_dim {dim}; found 100 bytes in 1 row)"),
    )


def test_an_entity_deleted_under_its_facts_and_mentions_is_named(built, store):
    counts = built[1]
    entity = one(store, "SELECT subject_id FROM facts GROUP BY subject_id "
                        "ORDER BY count(*) DESC, subject_id LIMIT 1")
    as_subject = one(store, f"SELECT count(*) FROM facts WHERE subject_id = {entity}")
    as_object = one(store, f"SELECT count(*) FROM facts WHERE object_id = {entity}")
    mentions = one(store, f"SELECT count(*) FROM mentions WHERE entity_id = {entity}")
    assert as_subject == 2 and as_object == 0 and mentions == 1  # the built store's shape
    damage(store, f"DELETE FROM entities WHERE id = {entity}")
    assert checked(store).problems == (
        f"facts: 2 of {counts['facts']} rows point at a missing entities row (facts.subject_id)",
        (f"mentions: 1 of {counts['mentions']} rows points at a missing entities row "
        "(mentions.entity_id)"),
    )


@pytest.mark.parametrize(
    ("statements", "problem"),
    [
        (["DELETE FROM meta WHERE key = 'generation'"], "meta: no generation row"),
        (["UPDATE meta SET value = 'many' WHERE key = 'generation'"],
         "meta: generation is 'many', not an integer"),
        (["DELETE FROM meta WHERE key = 'embedder_dim'"],
         ("meta: no embedder_dim row, so the embedding sizes of {embedded} rows cannot be "
         "checked")),
        (["DELETE FROM documents WHERE doc_id = 'london'"],
         "chunks: 1 of 3 rows points at a missing documents row (chunks.doc)"),
        (["INSERT INTO synonyms(a, b, score) SELECT min(id), max(id) + 1, 0.9 FROM entities"],
         "synonyms: 1 of 1 rows points at a missing entities row (synonyms.b)"),
        (["INSERT INTO synonyms(a, b, score) SELECT max(id), min(id), 0.9 FROM entities"],
         "synonyms: 1 of 1 rows has a >= b (an edge is stored once, smaller id first)"),
    ],
    ids=["no-generation", "bad-generation", "no-dim", "chunk-without-document",
         "synonym-of-missing-entity", "synonym-order"],
)
def test_other_damage_is_named(built, store, statements, problem):
    counts = built[1]
    assert counts["synonyms"] == 0  # the inserted edge is the only one
    damage(store, *statements)
    embedded = counts["chunks"] + counts["entities"] + counts["facts"]
    report = checked(store)
    assert report.problems == (problem.format(embedded=embedded),) and report.ok is False


def test_a_corrupted_middle_page_is_reported_by_table(built, store):
    counts = built[1]
    c = sqlite3.connect(store)
    page_size = c.execute("PRAGMA page_size").fetchone()[0]
    pages = c.execute("PRAGMA page_count").fetchone()[0]
    root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'chunks'").fetchone()[0]
    c.close()
    assert 1 < root < pages
    with store.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(bytes(range(256)) * (page_size // 256))
    report = checked(store)
    assert report.ok is False
    assert report.problems == (
        "integrity_check: chunks: database disk image is malformed",
        "chunks: cannot be read: database disk image is malformed",
        "consistency checks skipped: not every table could be read",
    )
    assert report.counts == {t: n for t, n in counts.items() if t != "chunks"}


@pytest.mark.parametrize(
    ("btree", "offset", "problem"),
    [
        # byte 7 of a b-tree page header counts its fragmented free bytes
        ("documents", 7, ("integrity_check: Fragmentation of 0 bytes reported as {flipped} on "
                         "page {root} (documents)")),
        # the last byte of the page is inside the first key the index holds
        ("sqlite_autoindex_chunks_1", -1,
         "integrity_check: row 1 missing from index sqlite_autoindex_chunks_1"),
    ],
    ids=["page-header", "index-key"],
)
def test_integrity_messages_name_the_table_of_the_page(store, btree, offset, problem):
    c = sqlite3.connect(store)
    page_size = c.execute("PRAGMA page_size").fetchone()[0]
    root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (btree,)).fetchone()[0]
    c.close()
    at = (root - 1) * page_size + (offset % page_size)
    data = bytearray(store.read_bytes())
    data[at] ^= 0x09
    store.write_bytes(bytes(data))
    assert checked(store).problems == (problem.format(flipped=data[at], root=root),)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "{p} is a directory, not a graphmem store file"),
        (lambda p: p.write_text("just some notes\n", "utf-8"),
         "{p} is not an SQLite database (it does not start with the SQLite header)"),
        (lambda p: p.write_bytes(b""), "{p} is empty, not a graphmem store"),
        (lambda p: None, "{p} does not exist"),
    ],
    ids=["directory", "text-file", "empty-file", "missing"],
)
def test_what_is_not_a_store_file_is_one_line_error(tmp_path, make, message):
    path = tmp_path / STORE_FILE
    make(path)
    with pytest.raises(StoreError) as info:
        check_store(path)
    assert str(info.value) == message.format(p=path)


def test_a_store_whose_schema_page_is_corrupt_is_one_line_error(store):
    data = bytearray(store.read_bytes())
    data[100:300] = bytes(range(200))  # the b-tree header and cells of page 1, the schema
    store.write_bytes(bytes(data))
    before = digest(store)
    with pytest.raises(StoreError) as info:
        check_store(store)
    assert str(info.value) == (f"{store} cannot be opened as SQLite: database disk image is "
                               "malformed")
    assert digest(store) == before


def test_a_foreign_sqlite_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / STORE_FILE
    c = sqlite3.connect(path)
    c.executescript("CREATE TABLE birds(name TEXT); CREATE TABLE nests(bird TEXT);"
                    "INSERT INTO birds VALUES ('wren');")
    c.close()
    before = digest(path)
    with pytest.raises(StoreError) as info:
        check_store(path)
    assert str(info.value) == (f"{path} is not a graphmem store (application id 0x0, tables: "
                               "birds, nests); refusing to use it")
    assert digest(path) == before
    damage(path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
    with pytest.raises(StoreError, match=r"is not a graphmem store: its meta table has no "
                                         r"schema_version$"):
        check_store(path)
    damage(path, "INSERT INTO meta VALUES ('schema_version', '7')")
    with pytest.raises(StoreError, match=r"has schema version '7', this graphmem reads 2$"):
        check_store(path)


def test_check_reads_past_an_open_write_transaction(built, store):
    """A reader never waits for a writer, and sees only committed rows."""
    writer = sqlite3.connect(store, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO entities(namespace, name, label, kind, embedding) "
                   "VALUES ('default', 'pending', 'Pending', 'PERSON', x'00')")
    try:
        started = time.perf_counter()
        report = check_store(store)
        assert time.perf_counter() - started < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert report.ok and report.counts == built[1]


def _as_other_user(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with permissions that apply: as ``nobody`` when the tests run as root."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is not installed")
        prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*prefix, sys.executable, "-c", script, *args], check=False,
                          capture_output=True, text=True, env=env, timeout=60, cwd="/")


SCRIPT = """
import sys
from graphmem.errors import StoreError
from graphmem.store.check import check_store
try:
    r = check_store(sys.argv[1])
    print("ok" if r.ok else r.problems, r.counts["documents"])
except StoreError as exc:
    print("StoreError:", exc)
"""


def test_permissions_read_only_directory_and_unreadable_file(built, store):
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        ro = base / "ro"
        ro.mkdir()
        shutil.copyfile(store, ro / STORE_FILE)
        (ro / STORE_FILE).chmod(0o444)
        ro.chmod(0o555)
        before = digest(ro / STORE_FILE)
        done = _as_other_user(SCRIPT, str(ro / STORE_FILE))
        assert (done.stdout, done.stderr) == ("ok 3\n", "")
        assert sorted(os.listdir(ro)) == [STORE_FILE] and digest(ro / STORE_FILE) == before
        ro.chmod(0o755)
        (ro / (STORE_FILE + "-wal")).write_bytes(b"")
        ro.chmod(0o555)
        done = _as_other_user(SCRIPT, str(ro / STORE_FILE))
        assert done.stdout == (
            f"StoreError: {ro / STORE_FILE} cannot be read here: its directory is read-only and "
            "it has a -wal file that SQLite cannot share without a writable -shm; copy the store "
            "directory somewhere writable and use the copy\n")
        ro.chmod(0o755)
        (ro / (STORE_FILE + "-wal")).unlink()
        (ro / STORE_FILE).chmod(0o000)
        done = _as_other_user(SCRIPT, str(ro / STORE_FILE))
        assert done.stdout == f"StoreError: {ro / STORE_FILE} cannot be read: Permission denied\n"
