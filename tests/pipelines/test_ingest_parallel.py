"""The same store whatever runs the models: in process, 1 or 2 worker processes, Ray actors."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import QUERIES, assert_no_duplicates, dump_store, make_corpus, write_jsonl

from graphmem import Memory, read_documents
from pipelines import IngestConfig, run_ingest

N_DOCS = 32
BATCH = 8


def top5(store: Path, embedder) -> list[list[tuple[str, float]]]:
    with Memory(store, embedder=embedder) as mem:
        return [
            [(h.chunk_id, round(h.score, 9)) for h in hits]
            for hits in mem.retrieve_many(QUERIES, 5)
        ]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "c.jsonl", make_corpus(N_DOCS))


@pytest.fixture
def reference(corpus, tmp_path, ingest) -> Path:
    """The store built in process (workers=0)."""
    store = tmp_path / "inline"
    report = ingest([corpus], store, batch_size=BATCH)
    assert (report.documents_added, report.batches) == (N_DOCS, N_DOCS // BATCH)
    return store


def test_in_process_job_equals_memory_add_batch_by_batch(
    corpus, reference, tmp_path, embedder, extractor
):
    docs = read_documents(corpus)
    with Memory(tmp_path / "plain", embedder=embedder, extractor=extractor) as mem:
        for start in range(0, len(docs), BATCH):
            mem.add(docs[start : start + BATCH])
    assert dump_store(tmp_path / "plain") == dump_store(reference)


def test_one_and_two_worker_processes_build_identical_stores(
    corpus, reference, tmp_path, ingest, embedder
):
    expected = dump_store(reference)
    for workers in (1, 2):
        store = tmp_path / f"w{workers}"
        report = ingest([corpus], store, batch_size=BATCH, workers=workers, extract_batch_size=5)
        assert (report.workers, report.documents_added) == (workers, N_DOCS)
        assert dump_store(store) == expected, f"workers={workers} differs from the in-process store"
        assert_no_duplicates(store)
    assert top5(tmp_path / "w2", embedder) == top5(reference, embedder)


def test_ray_runner_builds_the_same_store_as_the_local_runner(
    corpus, reference, tmp_path, embedder
):
    pytest.importorskip("ray", reason="the Ray runner needs `pip install graphmem[ray]`")
    store = tmp_path / "ray"
    config = IngestConfig(runner="ray", workers=1, batch_size=BATCH, progress=False)
    report = run_ingest([corpus], store, config)
    assert (report.runner, report.documents_added, report.batches) == (
        "ray",
        N_DOCS,
        N_DOCS // BATCH,
    )
    ours, theirs = dump_store(store), dump_store(reference)
    assert {t: len(r) for t, r in ours.items()} == {t: len(r) for t, r in theirs.items()}
    assert ours == theirs
    assert top5(store, embedder) == top5(reference, embedder)
