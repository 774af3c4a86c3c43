"""Deferring the elimination build after a refresh (``RetrieveConfig.defer_elimination``): the
ski-rental rule on :class:`Transition`, the estimate carried from graph to graph, and retrieval
that solves by conjugate gradients until the build pays, to the same scores up to ``tol``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_ppr import l1, random_case

from graphmem.config import MemoryConfig, RetrieveConfig
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


def test_rule_defers_until_the_solves_cost_the_estimated_build() -> None:
    n, edges, _ = random_case(3)
    a = adjacency_from_edges(n, edges)
    cold = build_transition(a)
    assert cold.elimination_estimate_s is None and not cold.deferring(0.5)  # no estimate: build
    t = build_transition(a, elimination_estimate_s=0.010)
    assert t.deferring(0.5) and t.deferring(0.85)
    t.record_deferred(0.5, 0.004)
    t.record_deferred(0.5, 0.004)
    assert t.deferring(0.5)  # 8 ms spent of 10
    t.record_deferred(0.5, 0.004)
    assert not t.deferring(0.5)  # 12 ms: build now
    assert t.deferring(0.85)  # rent is counted per damping
    assert t.elimination_seconds() is None and not t.has_elimination(0.5)
    t.elimination(0.5)
    assert t.has_elimination(0.5) and t.elimination_seconds() > 0
    assert not t.deferring(0.5)


def test_estimate_scales_with_the_entries() -> None:
    n, edges, _ = random_case(5)
    a = adjacency_from_edges(n, edges)
    t = build_transition(a, elimination_estimate_s=0.02)
    grown = adjacency_from_edges(n, [*edges, (0, n - 1, 1.0)])
    assert t.estimate_for(grown) == pytest.approx(0.02 * grown.nnz / t.symmetric.nnz)
    t.elimination(0.5)  # once built, its measured time is what scales
    assert t.estimate_for(a) == pytest.approx(t.elimination_seconds() * a.nnz / t.symmetric.nnz)
    assert build_transition(a).estimate_for(a) is None


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
    assert t.elimination_estimate_s is not None and t.elimination_estimate_s > 0
    assert not t.has_elimination(damping)  # the refreshed graph solved by CG
    # the same scores as the eliminated solve, up to the solvers' tolerance
    reset = np.zeros(t.n)
    reset[:3] = 1.0
    cg = walk_scores(mem.index(), reset, config.retrieve)
    assert not t.has_elimination(damping)
    t.record_deferred(damping, t.elimination_estimate_s)  # the rent is paid: the next builds
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
