"""The "asked now" masks the index works out once per refresh equal the per-query computation
of an ``as_of`` after every passage, through adds, a supersession and its reversal by delete."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
from test_time_memory import BERLIN, HOBBY, LISBON, PARIS, QUESTION

from graphmem.retrieve.scope import build_scope

LATER = "2030-01-01"  # after every document's time


def _check(mem, *outdated):
    index = mem.index()
    now, later = build_scope(index), build_scope(index, as_of=LATER)
    assert np.array_equal(now.outdated, later.outdated)
    assert np.array_equal(now.valid_facts, later.valid_facts)
    # each document is one passage, dated by the document: the outdated ones by their dates
    got = sorted(
        datetime.fromtimestamp(t, timezone.utc).date().isoformat()
        for t in index.chunk_times[now.outdated]
    )
    assert got == sorted(d.time for d in outdated)
    a, b = mem.retrieve(QUESTION, top_k=4), mem.retrieve(QUESTION, top_k=4, as_of=LATER)
    assert [(h.doc_id, h.score) for h in a] == [(h.doc_id, h.score) for h in b]


def test_now_masks_follow_every_refresh(memory_factory):
    mem = memory_factory()
    mem.add([PARIS, HOBBY])
    _check(mem)
    mem.add([BERLIN])
    _check(mem, PARIS)
    mem.add([LISBON])
    _check(mem, PARIS, BERLIN)
    mem.delete("lisbon")
    _check(mem, PARIS)
