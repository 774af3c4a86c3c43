"""Crash safety: SIGKILL an ingestion mid-run, rerun it, and get the uninterrupted store."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_helpers import (
    QUERIES,
    assert_no_duplicates,
    doc_count,
    dump_store,
    make_corpus,
    write_jsonl,
)

from graphmem import Memory

try:  # only for checking that workers die with the job (dev extra)
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

ROOT = Path(__file__).resolve().parents[2]


def _start(
    corpus: Path, store: Path, batch: int, report: Path, *extra: str
) -> subprocess.Popen[bytes]:
    """``python -m pipelines ingest`` (plus ``extra`` options) in a subprocess; its stderr goes
    to ``report``'s directory (a file, not a pipe nobody reads while it runs)."""
    command = [sys.executable, "-m", "pipelines", "ingest", str(corpus), "--store", str(store)]
    command += ["--batch-size", str(batch), "--workers", "1", "--no-progress", *extra]
    command += ["--report", str(report)]
    with (report.parent / "stderr.txt").open("ab") as err:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


def _stderr(report: Path) -> str:
    return (report.parent / "stderr.txt").read_text(errors="replace")[-3000:]


def _kill(
    proc: subprocess.Popen[bytes],
    store: Path,
    report: Path,
    *,
    docs: int,
    then: float = 0.0,
    timeout: float = 120.0,
) -> int:
    """SIGKILL ``proc`` ``then`` seconds after the store holds at least ``docs`` documents;
    returns the committed document count. Checks that the job's worker processes exit after
    it."""
    start = time.monotonic()
    reached: float | None = None
    while True:
        if proc.poll() is not None:
            pytest.fail(f"ingestion ended ({proc.returncode}) before the kill:\n{_stderr(report)}")
        if reached is None and doc_count(store) >= docs:
            reached = time.monotonic()
        if reached is not None and time.monotonic() - reached >= then:
            break
        if time.monotonic() - start > timeout:
            proc.kill()
            pytest.fail(f"ingestion made no progress:\n{_stderr(report)}")
        time.sleep(0.02)
    children = psutil.Process(proc.pid).children(recursive=True) if psutil else []
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if psutil:
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"worker processes outlived the killed job: {alive}"
    return doc_count(store)


def _finish(corpus: Path, store: Path, batch: int, report: Path, *extra: str) -> dict:
    proc = _start(corpus, store, batch, report, *extra)
    assert proc.wait(timeout=300) == 0, _stderr(report)
    return json.loads(report.read_text(encoding="utf-8"))


def _top5(store: Path, embedder) -> list[list[str]]:
    with Memory(store, embedder=embedder) as mem:
        return [[h.chunk_id for h in hits] for hits in mem.retrieve_many(QUERIES, 5)]


def _check_same_store(store: Path, reference: Path, embedder) -> None:
    ours, theirs = dump_store(store), dump_store(reference)
    assert {t: len(r) for t, r in ours.items()} == {t: len(r) for t, r in theirs.items()}
    assert ours == theirs
    assert_no_duplicates(store)
    assert _top5(store, embedder) == _top5(reference, embedder)


def test_killed_twice_then_resumed_equals_an_uninterrupted_run(tmp_path, ingest, embedder):
    n, batch = 100, 10
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(n))
    reference = tmp_path / "reference"
    ingest([corpus], reference, batch_size=batch)

    store, report = tmp_path / "mem", tmp_path / "report.json"
    first = _kill(_start(corpus, store, batch, report), store, report, docs=batch)  # after batch 1
    assert first % batch == 0 and first < n
    second = _kill(
        _start(corpus, store, batch, report), store, report, docs=max(3 * batch, first + batch)
    )
    assert second % batch == 0 and first < second < n
    final = _finish(corpus, store, batch, report)
    assert (final["documents_added"], final["documents_skipped"]) == (n - second, second)
    assert (
        final["extraction_cache"]["extraction_misses"]
        + final["extraction_cache"]["extraction_hits"]
        == n - second
    )
    _check_same_store(store, reference, embedder)


def test_replacing_job_killed_then_resumed_equals_an_uninterrupted_run(tmp_path, ingest, embedder):
    """--on-conflict replace: every batch deletes old versions and writes new ones in its
    transaction; a kill leaves whole batches, and the rerun replaces only what is left."""
    n, batch = 40, 10
    old = make_corpus(n)
    changed = [{**r, "text": r["text"] + " It was rebuilt later."} for r in old[::2]]
    new = make_corpus(n + len(changed))[n:]
    edited = []  # each batch: 5 edited documents and 5 new ones (the document count grows)
    for b in range(0, len(changed), 5):
        edited += changed[b : b + 5] + new[b : b + 5]
    first = write_jsonl(tmp_path / "v1.jsonl", old)
    corpus = write_jsonl(tmp_path / "v2.jsonl", edited)
    reference = tmp_path / "reference"
    ingest([first], reference, batch_size=batch)
    ingest([corpus], reference, batch_size=batch, on_conflict="replace")

    store, report = tmp_path / "mem", tmp_path / "report.json"
    ingest([first], store, batch_size=batch)
    replace = ("--on-conflict", "replace")
    killed = _kill(_start(corpus, store, batch, report, *replace), store, report, docs=n + 5)
    assert n + 5 <= killed < n + len(new) and (killed - n) % 5 == 0  # whole batches only
    final = _finish(corpus, store, batch, report, *replace)
    assert final["documents_skipped"] == 2 * (killed - n)
    assert final["documents_replaced"] + final["documents_added"] == len(edited) - 2 * (killed - n)
    _check_same_store(store, reference, embedder)


@pytest.mark.slow
def test_killed_at_random_moments_then_resumed_equals_an_uninterrupted_run(
    tmp_path, ingest, embedder
):
    n, batch = 600, 25
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(n, seed=11))
    reference = tmp_path / "reference"
    ingest([corpus], reference, batch_size=batch)
    store, report = tmp_path / "mem", tmp_path / "report.json"
    rng = random.Random(5)
    # four kills, each a random moment (up to a second) after a random later batch committed
    thresholds = sorted(rng.sample(range(batch, n // 2, batch), 4))
    counts = []
    for docs in thresholds:
        proc = _start(corpus, store, batch, report)
        counts.append(_kill(proc, store, report, docs=docs, then=rng.uniform(0.0, 1.0)))
    assert counts == sorted(counts) and all(c % batch == 0 for c in counts)
    assert all(c >= t for c, t in zip(counts, thresholds))
    final = _finish(corpus, store, batch, report)
    assert final["documents_added"] == n - counts[-1]
    _check_same_store(store, reference, embedder)
