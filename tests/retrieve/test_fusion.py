"""Ranking options: score and rank fusion, dense pin, hub damping, numeric-seed scale.

Vectorised versions against the plain references on random inputs, hand-worked examples, and
the seed adjustments on a tiny real memory (real spaCy and MiniLM)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from graphmem import Document
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.retrieve.fusion import (
    hub_factor,
    is_numeric_entity,
    ordinal_ranks,
    pin_dense_top,
    rrf_scores,
    score_fusion,
)
from graphmem.retrieve.fusion_reference import (
    pin_dense_top_reference,
    ranks_reference,
    rrf_reference,
    score_fusion_reference,
)
from graphmem.retrieve.retriever import entity_seeds


def test_worked_examples() -> None:
    ppr, dense = np.array([0.0, 2.0, 4.0]), np.array([1.0, 0.0, 0.5])
    assert score_fusion(ppr, dense, 0.5).tolist() == [0.5, 0.25, 0.75]
    assert score_fusion(ppr, dense, 1.0).tolist() == [0.0, 0.5, 1.0]
    assert ordinal_ranks(np.array([3.0, 1.0, 3.0])).tolist() == [1, 3, 2]  # tie: lower index
    got = rrf_scores(np.array([3.0, 1.0, 3.0]), np.array([0.0, 1.0, 2.0]), 0.5, 1.0)
    assert got.tolist() == pytest.approx([0.5 / 2 + 0.5 / 4, 0.5 / 4 + 0.5 / 3, 0.5 / 3 + 0.5 / 2])
    order, d = np.array([2, 0, 1]), np.array([0.9, 0.5, 0.6])
    assert pin_dense_top(order, d, 0.2).tolist() == [0, 2, 1]  # leads by 0.3 >= 0.2
    assert pin_dense_top(order, d, 0.4).tolist() == [2, 0, 1]  # 0.3 < 0.4: unchanged
    assert pin_dense_top(np.array([2, 1]), d, 0.2).tolist() == [0, 2]  # cut to len(order)
    assert pin_dense_top(order, d, math.inf).tolist() == [2, 0, 1]
    assert hub_factor(1) == 1.0 and hub_factor(0) == 1.0
    assert hub_factor(10) == pytest.approx(1.0 / (1.0 + math.log(10)))
    assert [is_numeric_entity(n, k) for n, k in [("1995", "NP"), ("may 1995", "DATE"),
            ("paris", "GPE"), ("two", "CARDINAL"), ("रामायण", "WORK_OF_ART")]] == [
        True, True, False, True, False]


@pytest.mark.parametrize("seed", range(40))
def test_fast_matches_reference(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 30)
    pool = [0.0, 0.25, 0.5, 1.0]  # repeated values: ties in both rankings

    def draw() -> list[float]:
        return [rng.choice(pool) if rng.random() < 0.5 else rng.random() for _ in range(n)]

    ppr, dense = draw(), draw()
    alpha, k = rng.random(), rng.choice([1.0, 60.0, rng.uniform(0.5, 100.0)])
    p, d = np.array(ppr), np.array(dense)
    assert ordinal_ranks(p).tolist() == ranks_reference(ppr)
    assert score_fusion(p, d, alpha).tolist() == pytest.approx(
        score_fusion_reference(ppr, dense, alpha), abs=1e-12
    )
    assert rrf_scores(p, d, alpha, k).tolist() == pytest.approx(
        rrf_reference(ppr, dense, alpha, k), abs=1e-12
    )
    order = rng.sample(range(n), rng.randint(0, n))
    margin = rng.choice([0.0, 0.1, 0.5, math.inf])
    assert pin_dense_top(np.array(order, dtype=np.int64), d, margin).tolist() == (
        pin_dense_top_reference(order, dense, margin)
    )


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="fusion must be"):
        RetrieveConfig(fusion="max")
    with pytest.raises(ValueError, match="fusion_alpha"):
        RetrieveConfig(fusion_alpha=1.5)
    with pytest.raises(ValueError, match="rrf_k"):
        RetrieveConfig(rrf_k=0)
    with pytest.raises(ValueError, match="numeric_seed_scale"):
        RetrieveConfig(numeric_seed_scale=-1)
    with pytest.raises(ValueError, match="fact_seed_scale"):
        RetrieveConfig(fact_seed_scale=-0.5)
    with pytest.raises(ValueError, match="noun_phrase_seed_scale"):
        RetrieveConfig(noun_phrase_seed_scale=-1)
    with pytest.raises(ValueError, match="pin_dense_margin"):
        RetrieveConfig(pin_dense_margin=-0.1)


DOCS = [
    Document("Mara Velk was born in Oslo in 1961.", title="Mara Velk", id="velk"),
    Document("Oslo hosted the winter games in 1952.", title="Oslo games", id="games"),
    Document("Tomas Brenn moved to Oslo.", title="Tomas Brenn", id="brenn"),
]


def test_seed_adjustments_on_a_real_graph(memory_factory) -> None:
    mem = memory_factory()
    mem.add(DOCS)
    index = mem.index()
    pos = {name: i for i, name in enumerate(index.entity_names)}
    oslo, year, velk = pos["oslo"], pos["1961"], pos["mara velk"]
    counts = index.entity_passage_counts
    assert (int(counts[oslo]), int(counts[year]), int(counts[velk])) == (3, 1, 1)
    assert index.entity_kinds[year] == "DATE"
    none = np.zeros(0, dtype=np.int64)
    linked = [oslo, year, velk]
    plain = entity_seeds(index, none, np.zeros(0), linked, 5)
    assert plain == {year: 1.0, velk: 1.0, oslo: 1.0 / 3}
    damped = entity_seeds(index, none, np.zeros(0), linked, 5, RetrieveConfig(hub_damping=True))
    assert damped == pytest.approx({year: 1.0, velk: 1.0, oslo: 1.0 / 3 / (1 + math.log(3))})
    scaled = entity_seeds(
        index, none, np.zeros(0), linked, 5, RetrieveConfig(numeric_seed_scale=0.1, hub_damping=False)
    )
    assert scaled == pytest.approx({velk: 1.0, oslo: 1.0 / 3, year: 0.1})
    assert entity_seeds(
        index, none, np.zeros(0), linked, 5, RetrieveConfig(numeric_seed_scale=0.0, hub_damping=False)
    ) == {velk: 1.0, oslo: 1.0 / 3}
    # a fact seed: (oslo, host, winter games) at score 1.0 seeds its one-passage noun phrase at 1.0
    [host] = [f for f in range(index.n_facts) if index.fact_predicates[f] == "host"]
    games = pos["winter games"]
    assert index.entity_kinds[games] == "NP"
    facts, scores = np.array([host]), np.array([1.0])
    assert entity_seeds(index, facts, scores, [], 5) == {games: 1.0, oslo: 1.0 / 3}
    assert entity_seeds(
        index, facts, scores, [], 5, RetrieveConfig(noun_phrase_seed_scale=0.25, hub_damping=False)
    ) == {oslo: 1.0 / 3, games: 0.25}
    # fact weights scaled; a query-linked name keeps 1 / passages
    assert entity_seeds(
        index, facts, scores, [velk], 5, RetrieveConfig(fact_seed_scale=0.2, hub_damping=False)
    ) == pytest.approx({velk: 1.0, games: 0.2, oslo: 0.2 / 3})


def test_fusion_reorders_real_retrieval(memory_factory) -> None:
    q = "Who was born in Oslo in 1961?"
    rankings = {}
    for name, cfg in {
        "plain": RetrieveConfig(),
        "dense-only score fusion": RetrieveConfig(fusion="score", fusion_alpha=0.0),
        "ppr-only score fusion": RetrieveConfig(fusion="score", fusion_alpha=1.0),
    }.items():
        mem = memory_factory(name.replace(" ", "-"), config=MemoryConfig(retrieve=cfg))
        mem.add(DOCS)
        rankings[name] = [h.doc_id for h in mem.retrieve(q, top_k=3)]
    dense = mem.dense_ranking([q], top_k=3)[0]
    assert rankings["dense-only score fusion"] == dense
    assert rankings["ppr-only score fusion"] == rankings["plain"]


@pytest.mark.parametrize(
    "q", ["Who was born in Oslo in 1961?", "Which games did Oslo host?", "Who moved to Oslo?"]
)
def test_pinned_hit_is_marked_and_scores_never_increase(memory_factory, q: str) -> None:
    walk = memory_factory("walk", config=MemoryConfig(retrieve=RetrieveConfig(pin_dense_margin=math.inf)))
    walk.add(DOCS)
    pinned = memory_factory("pin", config=MemoryConfig(retrieve=RetrieveConfig(pin_dense_margin=0.0)))
    pinned.add(DOCS)
    plain = walk.retrieve(q, top_k=3)
    hits = pinned.retrieve(q, top_k=3)
    assert hits[0].doc_id == pinned.dense_ranking([q], top_k=1)[0][0]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    moved = hits[0].doc_id != plain[0].doc_id
    assert [h.explanation.mode for h in hits] == ["pinned" if moved else "ppr", "ppr", "ppr"]
    assert [h.doc_id for h in hits if h.doc_id != hits[0].doc_id] == [
        h.doc_id for h in plain if h.doc_id != hits[0].doc_id
    ][:2]
