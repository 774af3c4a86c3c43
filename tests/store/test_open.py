"""Opening stores: readers never wait for a writer, foreign/damaged/read-only files give one-line
errors naming the file, and nothing is ever written to a file graphmem does not own."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphmem import Document, Memory, MemoryConfig, StoreConfig, StoreError
from graphmem.memory import STORE_FILE
from graphmem.store.schema import APPLICATION_ID

DOCS = [
    Document(
        id="ada", text="Ada Lovelace was born in London. Ada Lovelace wrote the first program."
    ),
    Document(id="babbage", text="Charles Babbage designed the Analytical Engine in London."),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphmem.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def built(memory_factory, tmp_path) -> Path:
    mem = memory_factory("built")
    mem.add(DOCS)
    mem.close()
    return tmp_path / "built"


@contextlib.contextmanager
def write_lock_held(store: Path):
    """Another process's open write transaction, as a batch ingestion holds it."""
    c = sqlite3.connect(store / STORE_FILE, isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    c.execute("UPDATE meta SET value = value WHERE key = 'generation'")
    try:
        yield
    finally:
        c.execute("ROLLBACK")
        c.close()


def test_new_store_carries_the_application_id(built):
    c = sqlite3.connect(built / STORE_FILE)
    assert c.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    c.close()


def test_readers_do_not_wait_for_a_writer(built, embedder, extractor):
    """Item 3: opening, stats and retrieval run while another connection holds the write lock."""
    with write_lock_held(built):
        t0 = time.perf_counter()
        with Memory(built, embedder=embedder, extractor=extractor) as mem:
            assert mem.stats()["documents"] == 2
            assert mem.retrieve("Where was Ada Lovelace born?", top_k=1)[0].doc_id == "ada"
        assert time.perf_counter() - t0 < 5
        run = cli("stats", "--store", str(built), "--json")
        assert run.returncode == 0 and '"documents": 2' in run.stdout


def test_a_writer_behind_the_lock_fails_clearly_after_its_timeout(built, embedder, extractor):
    cfg = MemoryConfig(store=StoreConfig(lock_timeout_s=0.3))
    with write_lock_held(built), Memory(built, cfg, embedder=embedder, extractor=extractor) as mem:
        with pytest.raises(StoreError) as err:
            mem.delete("ada")
        assert str(err.value) == (
            f"{built / STORE_FILE}: could not write: another process held the write lock for "
            "0.3 s (raise StoreConfig.lock_timeout_s to wait longer)"
        )
    with Memory(built, embedder=embedder, extractor=extractor) as mem:
        assert mem.stats()["documents"] == 2


def test_read_only_option_reads_and_refuses_writes(built, embedder, extractor):
    before = digest(built / STORE_FILE)
    cfg = MemoryConfig(store=StoreConfig(read_only=True))
    with Memory(built, cfg, embedder=embedder, extractor=extractor) as mem:
        assert mem.retrieve("Who designed the Analytical Engine?", top_k=1)[0].doc_id == "babbage"
        with pytest.raises(StoreError, match=r"is read-only \(opened read-only\): cannot write$"):
            mem.delete("ada")
        with pytest.raises(StoreError, match="is read-only"):
            mem.add(["Grace Hopper was born in New York."])
    assert digest(built / STORE_FILE) == before


@contextlib.contextmanager
def read_only_dir(path: Path):
    """The store directory made read-only for this process: permissions for a normal user; for
    root (whom permissions do not stop) a read-only bind mount."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [path, *path.iterdir()]}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, m in modes.items():
                p.chmod(m)
        return
    mounted = subprocess.run(
        ["mount", "--bind", str(path), str(path)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount read-only as root here: {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_read_only_store_opens_for_reading_and_refuses_writes_in_one_line(built):
    before = digest(built / STORE_FILE)
    with read_only_dir(built):
        stats = cli("stats", "--store", str(built), "--json")
        assert stats.returncode == 0, stats.stderr
        assert '"documents": 2' in stats.stdout
        deleted = cli("delete", "ada", "--store", str(built))
        assert deleted.returncode == 1
        assert deleted.stderr.strip().splitlines() == [
            f"error: {built / STORE_FILE} is read-only (the file is not writable): cannot write"
        ]
    assert digest(built / STORE_FILE) == before


def test_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path):
    """Item 10: another program's SQLite file named graphmem.sqlite is not adopted."""
    store = tmp_path / "foreign"
    store.mkdir()
    c = sqlite3.connect(store / STORE_FILE)
    c.execute("CREATE TABLE users(name TEXT)")
    c.execute("INSERT INTO users VALUES ('x')")
    c.commit()
    c.close()
    before = digest(store / STORE_FILE)
    message = (
        f"{store / STORE_FILE} is not a graphmem store (application id 0x0, tables: users); "
        "refusing to use it"
    )
    with pytest.raises(StoreError) as err:
        Memory(store)
    assert str(err.value) == message
    run = cli("stats", "--store", str(store))
    assert (run.returncode, run.stderr.strip()) == (1, f"error: {message}")
    assert digest(store / STORE_FILE) == before
    assert sorted(p.name for p in store.iterdir()) == [STORE_FILE]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is a directory, not a graphmem store file"),
        (
            lambda p: p.write_text("hello"),
            "is not an SQLite database (it does not start with the SQLite header)",
        ),
    ],
    ids=["directory", "text-file"],
)
def test_store_file_that_is_not_a_database(tmp_path, make, message):
    store = tmp_path / "s"
    store.mkdir()
    make(store / STORE_FILE)
    run = cli("stats", "--store", str(store))
    assert (run.returncode, run.stderr.strip()) == (1, f"error: {store / STORE_FILE} {message}")
    run = cli("delete", "x", "--store", str(store))
    assert (run.returncode, run.stderr.strip()) == (1, f"error: {store / STORE_FILE} {message}")


def corrupt_middle_page(path: Path, table: str = "chunks") -> None:
    """Overwrite one page of ``table`` (chosen from the middle of its pages) with garbage."""
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = c.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        r[0]
        for r in c.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))
    ]
    c.close()
    with path.open("r+b") as f:
        f.seek((pages[len(pages) // 2] - 1) * page_size)
        f.write(b"\xa5" * page_size)


def test_damaged_store_gives_one_line_errors_and_is_never_written(built):
    """Item 11: a corrupted middle page. Reads that meet it and every write fail in one line
    naming the file; a write is refused before it changes a byte."""
    mem_file = built / STORE_FILE
    corrupt_middle_page(mem_file)
    before = digest(mem_file)
    deleted = cli("delete", "ada", "--store", str(built))
    assert deleted.returncode == 1
    lines = deleted.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {mem_file} is damaged (")
    assert "`graphmem check` reports what is wrong" in lines[0]
    queried = cli("query", "Where was Ada Lovelace born?", "--store", str(built))
    assert queried.returncode == 1
    lines = queried.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {mem_file} is damaged ("), lines
    page = built.parent / "graph.html"
    viewed = cli("viz", "--store", str(built), "-o", str(page))
    assert viewed.returncode == 1 and not page.exists()
    lines = viewed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {mem_file} is damaged ("), lines
    assert digest(mem_file) == before


def test_memory_path_that_is_a_file(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("not a directory")
    with pytest.raises(StoreError, match=f"^{target} is a file, not a memory directory$"):
        Memory(target)


def test_ingest_into_a_read_only_store_says_so(built, tmp_path):
    corpus = tmp_path / "more.jsonl"
    corpus.write_text('{"id": "grace", "text": "Grace Hopper was born in New York."}\n')
    before = digest(built / STORE_FILE)
    with read_only_dir(built):
        run = cli("ingest", str(corpus), "--store", str(built))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f"error: {built / STORE_FILE} is read-only (the file is not writable): cannot ingest into it"
    )
    assert digest(built / STORE_FILE) == before
