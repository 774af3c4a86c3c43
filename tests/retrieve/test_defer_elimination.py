"""Deferring the elimination build after a refresh (``RetrieveConfig.defer_elimination``): the
ski-rental rule (graphmem.graph.deferral), the costs carried from graph to graph, and retrieval
that solves by conjugate gradients until the build pays, to the same scores up to ``tol``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_ppr import l1, random_case

from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.graph.deferral import Deferral, EliminationCost
from graphmem.graph.transition import build_transition
from graphmem.retrieve.ppr import personalized_pagerank, personalized_pagerank_cg
from graphmem.retrieve.ppr_reference import adjacency_from_edges
from graphmem.retrieve.retriever import walk_scores

DOCS = [
    "Odile Varga wrote the novel The Salt Lantern in 1961.",
    "Odile Varga was born in Pellavon, a town in the Merrow valley.",
    "The Merrow valley is known for its slate quarries.",
]
QUESTION = "In which valley was the author of The Salt Lantern born?"


@pytest.fixture(autouse=True)
def _compiled_cg() -> None:
    """Load the CG kernel first: its one-off compile would count as rent and end the deferral
    (the rule times the solves; on these tiny graphs a warm solve takes microseconds)."""
    personalized_pagerank_cg(build_transition(adjacency_from_edges(2, [(0, 1, 1.0)])), np.ones(2))


def test_rule_defers_until_the_extra_cost_reaches_the_expected_build() -> None:
    d = Deferral()
    assert not d.deferring(0.5)  # nothing to go by (a cold open): build
    d = Deferral(EliminationCost(build_s=0.010, solve_s=0.001))
    assert d.deferring(0.5) and d.deferring(0.85)
    for _ in range(2):
        d.record_deferred(0.5, 0.004)  # 3 ms beyond an eliminated solve, each
    assert d.deferring(0.5)  # 6 ms of rent of 10
    d.record_deferred(0.5, 0.0005)  # faster than an eliminated solve: no rent
    assert d.deferring(0.5)
    d.record_deferred(0.5, 0.005)
    assert not d.deferring(0.5)  # 10 ms: build now
    assert d.deferring(0.85)  # rent is counted per damping
    d.record_built(0.85, 0.02)
    assert not d.deferring(0.85)  # built


def test_costs_carry_to_the_next_graph_scaled() -> None:
    d = Deferral(EliminationCost(0.02, 0.002))
    assert d.measured() == EliminationCost(0.02, 0.002, None, 0)  # only what was expected
    assert d.cost_for(2.0) == EliminationCost(0.04, 0.004, None, 0)
    d.record_deferred(0.5, 0.006)
    d.record_built(0.5, 0.03)
    d.record_solve(0.5, 0.001)
    d.record_solve(0.5, 0.003)
    assert d.measured() == EliminationCost(0.03, 0.002, 0.006, 3)
    assert d.cost_for(0.5) == EliminationCost(0.015, 0.001, 0.003, 3)  # counts do not scale
    assert Deferral().cost_for(1.0) is None


def test_a_graph_whose_last_one_answered_many_builds_at_once() -> None:
    # 9 solves at 4 ms more than eliminated ones (36 ms) would not pay a 40 ms build ...
    assert Deferral(EliminationCost(0.040, 0.001, 0.005, 9)).deferring(0.5)
    # ... 10 (40 ms) would: the next graph builds on its first solve
    assert not Deferral(EliminationCost(0.040, 0.001, 0.005, 10)).deferring(0.5)
    assert Deferral(EliminationCost(0.040, 0.001, None, 1000)).deferring(0.5)  # CG unmeasured


def test_transition_records_its_build() -> None:
    n, edges, _ = random_case(5)
    a = adjacency_from_edges(n, edges)
    t = build_transition(a, elimination_cost=EliminationCost(1.0))
    assert t.deferral.deferring(0.5) and not t.has_elimination(0.5)
    t.elimination(0.5)
    assert t.has_elimination(0.5) and not t.deferral.deferring(0.5)
    assert t.deferral.measured().build_s > 0 and t.deferral.measured().build_s != 1.0
    assert not build_transition(a).deferral.deferring(0.5)


def test_refreshed_graph_solves_without_the_build_until_it_pays(memory_factory) -> None:
    config = MemoryConfig(retrieve=RetrieveConfig(defer_elimination=True))
    mem = memory_factory(config=config)
    mem.add(DOCS[:2])
    mem.retrieve(QUESTION, top_k=3)
    index = mem.index()
    assert index.transition.has_elimination(config.retrieve.damping)  # cold: built at once
    mem.add(DOCS[2:])
    mem.retrieve(QUESTION, top_k=3)
    t = mem.index().transition
    damping = config.retrieve.damping
    assert t.deferral.expected is not None and t.deferral.expected.build_s > 0
    assert not t.has_elimination(damping)  # the refreshed graph solved by CG
    # the same scores as the eliminated solve, up to the solvers' tolerance
    reset = np.zeros(t.n)
    reset[:3] = 1.0
    cg = walk_scores(mem.index(), reset, config.retrieve)
    assert not t.has_elimination(damping)
    t.deferral.record_deferred(damping, 2 * t.deferral.expected.build_s)  # rent paid: build next
    eliminated = walk_scores(mem.index(), reset, config.retrieve)
    assert t.has_elimination(damping)
    exact = personalized_pagerank(t, reset, damping=damping, tol=1e-14)
    assert l1(cg, exact) < 1e-7 and l1(eliminated, exact) < 1e-7
    assert not np.array_equal(cg, eliminated)  # two solvers did run


def test_deferred_hits_match_a_fresh_memory_up_to_tol(memory_factory) -> None:
    config = MemoryConfig(retrieve=RetrieveConfig(defer_elimination=True))
    mem = memory_factory(config=config)
    mem.add(DOCS[:2])
    mem.retrieve(QUESTION, top_k=3)
    mem.add(DOCS[2:])
    got = mem.retrieve(QUESTION, top_k=3)
    assert not mem.index().transition.has_elimination(config.retrieve.damping)
    fresh = memory_factory("mem", config=replace(config, retrieve=RetrieveConfig()))
    want = fresh.retrieve(QUESTION, top_k=3)
    assert fresh.index().transition.has_elimination(config.retrieve.damping)
    assert [h.doc_id for h in got] == [h.doc_id for h in want]
    np.testing.assert_allclose([h.score for h in got], [h.score for h in want], rtol=1e-6)


def test_off_builds_on_every_graph(memory_factory) -> None:
    mem = memory_factory()
    assert mem.config.retrieve.defer_elimination is False
    mem.add(DOCS[:2])
    mem.retrieve(QUESTION, top_k=3)
    mem.add(DOCS[2:])
    mem.retrieve(QUESTION, top_k=3)
    assert mem.index().transition.has_elimination(mem.config.retrieve.damping)
