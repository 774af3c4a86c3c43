"""The ingest job writing into PostgreSQL (``--store postgresql://...``): the same store as an
ingest into SQLite, and a job killed with SIGKILL then rerun ends equal to an uninterrupted one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dumps import by_name, tables, without_added_at
from ingest_helpers import QUERIES, make_corpus, write_jsonl

from graphmem import Memory
from graphmem.store.open import open_store

ROOT = Path(__file__).resolve().parents[2]


def _rows(location: str | Path) -> dict:
    store = open_store(location)
    try:
        return tables(store)
    finally:
        store.close()


def _named(location: str) -> dict:
    store = open_store(location)
    try:
        return by_name(store)
    finally:
        store.close()


def _documents(location: str) -> int:
    store = open_store(location)
    try:
        return store.counts()["documents"]
    finally:
        store.close()


def _top5(location: str | Path, embedder) -> list[list[tuple[str, float]]]:
    with Memory(location, embedder=embedder) as mem:
        return [[(h.chunk_id, h.score) for h in hits] for hits in mem.retrieve_many(QUERIES, 5)]


def test_ingest_into_postgres_equals_ingest_into_sqlite(tmp_path, ingest, pg_location, embedder):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(40))
    url = pg_location()
    ours = ingest([corpus], url, batch_size=16, cache_dir=tmp_path / "cache")
    theirs = ingest([corpus], tmp_path / "sqlite", batch_size=16)
    assert ours.store == theirs.store and ours.store["documents"] == 40
    assert ours.store_path == url and ours.documents_added == 40
    assert without_added_at(_rows(url)) == without_added_at(_rows(tmp_path / "sqlite"))
    assert _top5(url, embedder) == _top5(tmp_path / "sqlite", embedder)
    again = ingest([corpus], url, batch_size=16, cache_dir=tmp_path / "cache")
    assert (again.documents_added, again.documents_skipped) == (0, 40)


def _start(corpus: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pipelines", "ingest", str(corpus), "--store", url,
               "--batch-size", "10", "--workers", "1", "--no-progress"]
    with log.open("ab") as err:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


def test_killed_then_rerun_equals_an_uninterrupted_run(tmp_path, ingest, pg_location, embedder):
    n = 60
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(n))
    reference, url, log = pg_location("reference"), pg_location("killed"), tmp_path / "err.txt"
    ingest([corpus], reference, batch_size=10)
    proc = _start(corpus, url, log)
    deadline = time.monotonic() + 180
    while _documents_or_zero(url) < 10:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"ingestion ended or stalled before the kill:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = _documents(url)
    assert killed_at % 10 == 0 and 10 <= killed_at < n
    proc = _start(corpus, url, log)
    assert proc.wait(timeout=300) == 0, log.read_text()[-3000:]
    assert _named(url) == _named(reference)
    assert _documents(url) == n
    assert _top5(url, embedder) == _top5(reference, embedder)


def _documents_or_zero(url: str) -> int:
    """Committed documents; 0 while the job has not created the store yet."""
    try:
        return _documents(url)
    except Exception:  # noqa: BLE001 - the schema may be mid-creation by the job
        return 0


def test_ray_runner_into_postgres_equals_local_ingest_into_sqlite(tmp_path, ingest, pg_location):
    pytest.importorskip("ray", reason="the Ray runner needs `pip install graphmem[ray]`")
    from pipelines import IngestConfig, run_ingest

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(16))
    url = pg_location()
    config = IngestConfig(
        runner="ray", workers=1, batch_size=8, progress=False, cache_dir=tmp_path / "cache"
    )
    report = run_ingest([corpus], url, config)
    assert (report.runner, report.documents_added, report.batches) == ("ray", 16, 2)
    ingest([corpus], tmp_path / "sqlite", batch_size=8)
    assert without_added_at(_rows(url)) == without_added_at(_rows(tmp_path / "sqlite"))
