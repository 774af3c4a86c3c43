"""Two writer processes whose adds overlap exactly (both build before either commits) and
whose entities are near-synonyms across the two adds, on both stores: the synonym edges, and
every other row, are those of the two adds one after the other (issue 15)."""

from __future__ import annotations

import multiprocessing as mp

from dumps import by_name
from races import NOVEL_SET, ROAD_SET, add_after_barrier

from graphmem import Memory


def test_overlapping_adds_link_synonyms_as_sequential_ones(new_location, embedder, extractor):
    location = new_location("shared")
    Memory(location).close()
    ctx = mp.get_context("spawn")
    out, barrier = ctx.Queue(), ctx.Barrier(2)
    procs = [
        ctx.Process(target=add_after_barrier, args=(location, docs, barrier, out))
        for docs in (NOVEL_SET, ROAD_SET)
    ]
    for p in procs:
        p.start()
    try:
        assert [out.get(timeout=180) for _ in procs] == [None, None]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    with Memory(new_location("sequential"), embedder=embedder, extractor=extractor) as seq:
        seq.add(list(NOVEL_SET))
        seq.add(list(ROAD_SET))
        want = by_name(seq.store)
    with Memory(location, embedder=embedder, extractor=extractor) as shared:
        got = by_name(shared.store)
    assert [s[:2] for s in got["synonyms"]] == [s[:2] for s in want["synonyms"]]
    assert len(want["synonyms"]) == 4
    assert got == want
