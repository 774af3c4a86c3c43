"""Memory.trace: the hits of retrieve plus the walk behind them, per node, on a tiny memory."""

from __future__ import annotations

import dataclasses

import pytest
from test_export import ADA, BABBAGE

from graphmem import Document
from graphmem.types import SeedFact


@pytest.fixture
def mem(memory_factory):
    m = memory_factory()
    m.add([Document(ADA, id="ada", title="Ada"), Document(BABBAGE, id="babbage")])
    return m


def test_trace_scores_seeds_and_ranks(mem):
    q = "Where was Ada Lovelace born?"
    t = mem.trace(q, top_k=2, keep=3)
    assert dataclasses.is_dataclass(t) and t.query == q and t.mode == "ppr"
    assert t.hits == tuple(mem.retrieve(q, top_k=2))
    assert t.ranks == {"passage:ada#0": 1, "passage:babbage#0": 2}
    assert t.seed_entities == {"entity:ada lovelace": 1.0, "entity:london": 1.0}
    assert t.seed_passages == frozenset()
    assert t.seeds == {"entity:ada lovelace", "entity:london"}
    assert t.seed_facts == (SeedFact("Ada Lovelace", "born in", "London", 1.0),)
    # the 3 best entities (not the title entity "ada"), the passages (top 3 and every hit)
    assert t.scores == pytest.approx(
        {
            "entity:ada lovelace": 0.367595818815331,
            "entity:london": 1 / 3,
            "entity:charles babbage": 4 / 41,
            "passage:ada#0": 0.1689895470383275,
            "passage:babbage#0": 0.01626016260162601,
        },
        abs=1e-9,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.mode = "dense"  # type: ignore[misc]


def test_trace_keep_bounds_the_scored_nodes(mem):
    t = mem.trace("Who designed the Analytical Engine?", top_k=1, keep=1)
    assert t.ranks == {"passage:babbage#0": 1}
    assert t.seed_entities == {"entity:analytical engine": 1.0, "entity:charles babbage": 0.295308}
    # one best entity and passage, plus the other seed entity; the hit is the best passage
    assert set(t.scores) == {
        "entity:analytical engine", "entity:charles babbage", "passage:babbage#0"
    }


def test_trace_dense_and_empty(memory_factory):
    mem = memory_factory()
    assert mem.trace("anything?") == mem.trace("anything?")
    empty = mem.trace("anything?")
    assert (empty.mode, empty.hits, empty.scores, empty.seeds) == ("empty", (), {}, frozenset())
    mem.add(Document("Hello there, nice weather today.", id="w"))
    t = mem.trace("weather?", top_k=3)
    assert t.mode == "dense" and t.seed_entities == {} and t.seed_facts == ()
    assert t.ranks == {"passage:w#0": 1}
    assert set(t.scores) == {"passage:w#0"} and t.scores["passage:w#0"] > 0
    with pytest.raises(ValueError):
        mem.trace("   ")
