"""The eliminated PPR fast path: elimination structure on hand-solved graphs, the tolerance's
meaning, and agreement with the plain reference and the other solvers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphmem.graph.elimination import MAX_DEGREE
from graphmem.graph.transition import build_transition
from graphmem.retrieve.ppr import (
    personalized_pagerank,
    personalized_pagerank_cg,
    personalized_pagerank_power,
)
from graphmem.retrieve.ppr_reference import adjacency_from_edges, personalized_pagerank_reference

Edge = tuple[int, int, float]


def l1(a: object, b: object) -> float:
    return float(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).sum())


def random_graph(n: int, degree: int, seed: int) -> list[Edge]:
    """A connected-ish random graph: a ring (so every node has two neighbours) plus chords,
    weights mostly 1 as in a knowledge graph."""
    rng = np.random.default_rng(seed)
    edges: list[Edge] = [(i, (i + 1) % n, 1.0) for i in range(n)]
    for _ in range(n * (degree - 2) // 2):
        u, v = (int(x) for x in rng.integers(0, n, 2))
        edges.append((u, v, 1.0 if rng.random() < 0.9 else float(rng.integers(2, 5))))
    return edges


def test_worked_example_path_is_eliminated_whole() -> None:
    # The path 0 -1.0- 1 -2.0- 2 plus isolated node 3 of test_ppr's worked example, d = 1/2.
    # Out-weights 1, 3, 2; S01 = 1/sqrt(3), S12 = 2/sqrt(6); M = I - S/2 has unit diagonal.
    # Degree order is (1, 0, 2), isolated 3 last. Level 1 takes the independent degree-1 nodes
    # 0 and 2 (pivots 1), leaving node 1 alone with pivot
    #   1 - M10^2 - M12^2 = 1 - (1/(2 sqrt 3))^2 - (1/sqrt 6)^2 = 1 - 1/12 - 1/6 = 3/4,
    # which level 2 takes: nothing is left for the iterative solver, the solve is direct.
    edges = [(0, 1, 1.0), (1, 2, 2.0)]
    transition = build_transition(adjacency_from_edges(4, edges))
    e = transition.elimination(0.5)
    assert e.n_eliminated == 3 and e.n_core == 0
    assert e.nodes.tolist() == [0, 2, 1]
    assert e.pivot.tolist() == pytest.approx([1.0, 1.0, 0.75], abs=1e-15)
    assert e.lt_indptr.tolist() == [0, 1, 2, 2]
    assert e.lt_indices.tolist() == [2, 2]  # both point at node 1's position
    assert e.lt_data.tolist() == pytest.approx([-0.5 / math.sqrt(3), -1 / math.sqrt(6)], abs=1e-15)
    x = personalized_pagerank(transition, np.array([1.0, 0.0, 0.0, 0.5]), max_iter=1)
    assert l1(x, [4 / 9, 4 / 15, 4 / 45, 1 / 5]) < 1e-15


def test_worked_example_pendant_on_a_clique_leaves_the_clique_as_core() -> None:
    # K5 on nodes 0-4 (every degree 4 > MAX_DEGREE, so none is eliminated) and node 5 hanging
    # off node 0 (degree 1: eliminated, pivot 1). Out-weights: node 0 has 5, nodes 1-4 have 4,
    # node 5 has 1. Eliminating 5 changes only node 0's diagonal: 1 - (d S05)^2 with
    # S05 = 1/sqrt(5), i.e. 1 - 1/20 = 0.95 at d = 1/2; the core is the clique, node 0 first.
    assert MAX_DEGREE < 4
    edges = [(u, v, 1.0) for u in range(5) for v in range(u + 1, 5)] + [(0, 5, 1.0)]
    transition = build_transition(adjacency_from_edges(6, edges))
    e = transition.elimination(0.5)
    assert e.n_eliminated == 1 and e.n_core == 5
    assert e.nodes.tolist() == [5, 0, 1, 2, 3, 4]
    assert e.pivot.tolist() == [1.0]
    assert (e.core_scale**2).tolist() == pytest.approx([0.95, 1, 1, 1, 1], abs=1e-15)
    # K's entries: d S_ij / (scale_i scale_j), S_0j = 1/sqrt(20), S_ij = 1/4 otherwise
    k01 = 0.5 / math.sqrt(20) / math.sqrt(0.95)
    assert e.upper_data[:4].tolist() == pytest.approx([k01] * 4, abs=1e-15)
    assert e.upper_data[4:].tolist() == pytest.approx([0.125] * 6, abs=1e-15)
    reset = [1.0, 0.0, 0.0, 0.0, 0.0, 2.0]
    got = personalized_pagerank(transition, np.array(reset), tol=1e-14)
    want = personalized_pagerank_reference(6, edges, reset, tol=1e-15)
    assert l1(got, want) < 1e-13


@pytest.mark.parametrize("seed", range(6))
def test_mixed_graph_matches_reference_and_other_solvers(seed: int) -> None:
    n = 300
    edges = random_graph(n, 5, seed)
    transition = build_transition(adjacency_from_edges(n, edges))
    e = transition.elimination(0.5)
    assert e.n_eliminated > 0 and e.n_core > 0  # both halves of the solver are exercised
    rng = np.random.default_rng(seed)
    reset = np.where(rng.random(n) < 0.1, rng.random(n), 0.0)
    reset[0] = 1.0
    got = personalized_pagerank(transition, reset, tol=1e-13)
    want = personalized_pagerank_reference(n, edges, reset.tolist(), tol=1e-15)
    assert l1(got, want) < 1e-12
    assert l1(got, personalized_pagerank_cg(transition, reset, tol=1e-14, max_iter=500)) < 1e-12
    power = personalized_pagerank_power(transition, reset, tol=1e-15, max_iter=1000)
    assert l1(got, power) < 1e-12


@pytest.mark.parametrize("damping", [0.5, 0.85])
@pytest.mark.parametrize("tol", [1e-4, 1e-6, 1e-8, 1e-10])
def test_tol_bounds_the_l1_error(damping: float, tol: float) -> None:
    # tol is PRPACK's: |(I - dP)x - r|_1 / (1 - d) < tol bounds |x - x*|_1, so the normalized
    # scores are within 2 tol of the exact ones.
    n = 400
    edges = random_graph(n, 6, 11)
    transition = build_transition(adjacency_from_edges(n, edges))
    rng = np.random.default_rng(3)
    for _ in range(5):
        reset = np.where(rng.random(n) < 0.05, rng.random(n), 0.0)
        reset[int(rng.integers(n))] += 1.0
        exact = personalized_pagerank_power(
            transition, reset, damping=damping, tol=1e-15, max_iter=5000
        )
        got = personalized_pagerank(transition, reset, damping=damping, tol=tol)
        assert l1(got, exact) <= 2 * tol


def test_elimination_is_cached_per_damping_and_deterministic() -> None:
    edges = random_graph(120, 5, 1)
    transition = build_transition(adjacency_from_edges(120, edges))
    first = transition.elimination(0.5)
    assert transition.elimination(0.5) is first
    assert transition.elimination(0.85) is not first
    for d in (0.1, 0.2, 0.3):  # at most four are kept; the oldest goes first
        transition.elimination(d)
    assert transition.elimination(0.5) is not first
    again = build_transition(adjacency_from_edges(120, edges)).elimination(0.5)
    for name in ("nodes", "pivot", "lt_indices", "lt_data", "upper_data", "bound_weight"):
        assert np.array_equal(getattr(first, name), getattr(again, name)), name
