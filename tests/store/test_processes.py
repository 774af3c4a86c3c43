"""Concurrency across real processes: one writer adding and deleting while four readers query,
and two writers adding near-synonymous entities at once. Each process has its own models and
its own SQLite connection, as separate programs on one memory would."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

from races import NOVEL_SET, ROAD_SET, add_in_batches, reader_loop, text_for, writer_loop

from graphmem import Memory
from graphmem.memory import STORE_FILE
from graphmem.store.check import check_store


def consistency(store: Path) -> tuple[str, ...]:
    """What ``graphmem check`` finds wrong (integrity, orphans, unsupported rows): () is clean."""
    return check_store(store / STORE_FILE).problems


def test_one_writer_four_readers(tmp_path):
    store = tmp_path / "m"
    Memory(store).close()
    ctx = mp.get_context("spawn")
    # all five pass the barrier once their models are loaded: the queries overlap the writes
    out, start, stop = ctx.Queue(), ctx.Barrier(5), ctx.Event()
    readers = [
        ctx.Process(target=reader_loop, args=(str(store), start, stop, out)) for _ in range(4)
    ]
    writer = ctx.Process(target=writer_loop, args=(str(store), 8, start, out))
    for p in [*readers, writer]:
        p.start()
    try:
        kind, ops, alive, error = out.get(timeout=180)
        assert kind == "writer" and error is None, error
        stop.set()
        results = [out.get(timeout=60) for _ in readers]
    finally:
        stop.set()
        for p in [*readers, writer]:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert ops == 8
    assert [r[3] for r in results] == [None] * 4
    assert [r[2] for r in results] == [0] * 4  # no hit ever showed another passage's text
    assert all(r[1] > 0 for r in results)
    assert consistency(store) == ()
    with Memory(store) as mem:
        assert sorted(d.doc_id for d in mem.documents()) == alive
        c = sqlite3.connect(store / STORE_FILE)
        texts = dict(
            c.execute("SELECT d.doc_id, k.text FROM chunks k JOIN documents d ON d.id = k.doc")
        )
        c.close()
        assert texts == {d: text_for(d) for d in alive}


def dump_names(store: Path) -> dict[str, set]:
    c = sqlite3.connect(store / STORE_FILE)
    out = {
        "documents": set(c.execute("SELECT doc_id FROM documents")),
        "entities": set(c.execute("SELECT name, kind FROM entities")),
        "mentions": set(
            c.execute(
                "SELECT k.chunk_id, e.name FROM mentions m JOIN chunks k ON k.id = m.chunk_id "
                "JOIN entities e ON e.id = m.entity_id"
            )
        ),
        "synonyms": set(
            c.execute(
                "SELECT x.name, y.name FROM synonyms s JOIN entities x ON x.id = s.a "
                "JOIN entities y ON y.id = s.b"
            )
        ),
    }
    c.close()
    return {k: {tuple(sorted(r)) if k == "synonyms" else r for r in v} for k, v in out.items()}


def test_two_writer_processes_end_like_sequential_ones(tmp_path, embedder, extractor):
    """Item 5: two processes add near-synonymous entities at the same time; the synonym edges
    (and every other row) are those of the same adds run one after the other."""
    store = tmp_path / "m"
    Memory(store).close()
    ctx = mp.get_context("spawn")
    out, start = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=add_in_batches, args=(str(store), docs, start, out))
        for docs in (NOVEL_SET, ROAD_SET)
    ]
    for p in procs:
        p.start()
    try:
        start.set()
        assert [out.get(timeout=180) for _ in procs] == [None, None]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    with Memory(tmp_path / "seq", embedder=embedder, extractor=extractor) as seq:
        for d in [*NOVEL_SET, *ROAD_SET]:
            seq.add([d])
    got, want = dump_names(store), dump_names(tmp_path / "seq")
    assert len(want["synonyms"]) == 4
    assert got == want
    assert consistency(store) == ()
