"""Personalized PageRank: fast path vs plain reference, hand-solved examples, igraph, networkx."""

from __future__ import annotations

import random
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graphmem.graph.transition import Transition, build_transition
from graphmem.retrieve.ppr import (
    personalized_pagerank,
    personalized_pagerank_cg,
    personalized_pagerank_power,
)
from graphmem.retrieve.ppr_reference import adjacency_from_edges, personalized_pagerank_reference

Edge = tuple[int, int, float]


def fast(n: int, edges: list[Edge], reset: list[float], **kwargs: float) -> np.ndarray:
    """Fast path (elimination, then preconditioned CG) on an edge list, checked against the
    power iteration on every call (builds the transition each time; fine for tests)."""
    transition = build_transition(adjacency_from_edges(n, edges))
    x = personalized_pagerank(transition, np.asarray(reset, dtype=float), **kwargs)
    power = personalized_pagerank_power(transition, np.asarray(reset, dtype=float), **kwargs)
    assert l1(x, power) < 1e-9
    return x


def l1(a: object, b: object) -> float:
    return float(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).sum())


def random_case(seed: int) -> tuple[int, list[Edge], list[float]]:
    """A small weighted graph with isolated nodes, self-loops, parallel and zero-weight edges,
    and a sparse non-negative reset vector (never all zero)."""
    rng = random.Random(seed)
    n = rng.randint(2, 25)
    isolated = set(rng.sample(range(n), k=rng.randint(0, max(0, n // 4))))
    connected = [i for i in range(n) if i not in isolated] or [0]
    edges: list[Edge] = []
    for _ in range(rng.randint(0, 3 * n)):
        u, v = rng.choice(connected), rng.choice(connected)
        w = rng.choice([0.0, 1.0, rng.uniform(0.01, 5.0), rng.uniform(0.01, 5.0)])
        edges.append((u, v, w))
    if edges and rng.random() < 0.5:
        edges.append(edges[0])  # an exact parallel edge
    reset = [rng.random() if rng.random() < 0.4 else 0.0 for _ in range(n)]
    if not any(reset):
        reset[rng.randrange(n)] = 1.0
    return n, edges, reset


# ---------------------------------------------------------------------------------------------
# Worked examples, solved by hand.


def test_worked_example_path_with_isolated_node() -> None:
    # Path 0 -1.0- 1 -2.0- 2, node 3 isolated (dangling). reset (1, 0, 0, 0.5), normalized
    # r = (2/3, 0, 0, 1/3); damping d = 1/2. Out-weights: 1, 3, 2, 0.
    # Step probabilities: 0->1 (1); 1->0 (1/3), 1->2 (2/3); 2->1 (1).
    # Teleport mass c = (1 - d) + d * x3 = 1/2 + x3/2 goes to r:
    #   x3 = c/3            -> x3 = (1/2 + x3/2)/3 -> x3 = 1/5, c = 3/5
    #   x2 = d * (2/3) x1    = x1/3
    #   x1 = d * (x0 + x2)   -> 2 x1 = x0 + x1/3   -> x0 = 5 x1 / 3
    #   x0 = d * x1/3 + 2c/3 = x1/6 + 2/5          -> (5/3 - 1/6) x1 = 2/5 -> x1 = 4/15
    # so x = (4/9, 4/15, 4/45, 1/5) = (20, 12, 4, 9) / 45, which sums to 1.
    expected = [4 / 9, 4 / 15, 4 / 45, 1 / 5]
    edges = [(0, 1, 1.0), (1, 2, 2.0)]
    reset = [1.0, 0.0, 0.0, 0.5]
    assert l1(fast(4, edges, reset), expected) < 1e-9
    assert l1(personalized_pagerank_reference(4, edges, reset), expected) < 1e-9


def test_worked_example_self_loop_counts_once() -> None:
    # Edge 0 -1- 1 and a self-loop of weight 1 at node 1, reset on node 0, d = 1/2.
    # Out-weights 1 and 2 (loop counted once): 0->1 (1); 1->0 (1/2), 1->1 (1/2). No dangling.
    #   x1 = d (x0 + x1/2)        -> (3/4) x1 = x0/2 -> x1 = 2 x0 / 3
    #   x0 = d x1/2 + (1 - d)     = x0/6 + 1/2      -> x0 = 3/5, x1 = 2/5
    edges = [(0, 1, 1.0), (1, 1, 1.0)]
    assert l1(fast(2, edges, [1.0, 0.0]), [3 / 5, 2 / 5]) < 1e-9
    assert l1(personalized_pagerank_reference(2, edges, [1.0, 0.0]), [3 / 5, 2 / 5]) < 1e-9


# ---------------------------------------------------------------------------------------------
# Fast path vs reference.


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("damping", [0.15, 0.5, 0.85])
def test_fast_path_matches_reference(seed: int, damping: float) -> None:
    n, edges, reset = random_case(seed)
    got = fast(n, edges, reset, damping=damping, tol=1e-13, max_iter=2000)
    want = personalized_pagerank_reference(n, edges, reset, damping=damping, tol=1e-14)
    assert got.shape == (n,)
    assert l1(got, want) < 1e-9
    assert abs(got.sum() - 1.0) < 1e-12


# ---------------------------------------------------------------------------------------------
# Against igraph (PRPACK) and networkx.


def igraph_ppr(n: int, edges: list[Edge], reset: list[float], damping: float) -> list[float]:
    """igraph counts an undirected self-loop twice, so pass loops at half weight to match ours."""
    igraph = pytest.importorskip("igraph")
    g = igraph.Graph(n=n, edges=[(u, v) for u, v, _ in edges], directed=False)
    weights = [w / 2 if u == v else w for u, v, w in edges]
    return list(
        g.personalized_pagerank(
            weights=weights, damping=damping, reset=reset, directed=False, implementation="prpack"
        )
    )


def networkx_ppr(n: int, edges: list[Edge], reset: list[float], damping: float) -> list[float]:
    """networkx on a MultiGraph: parallel edges sum, self-loops count once, dangling -> reset."""
    g = nx.MultiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(edges)
    scores = nx.pagerank(
        g,
        alpha=damping,
        personalization=dict(enumerate(reset)),
        weight="weight",
        tol=1e-15,
        max_iter=10_000,
    )
    return [scores[i] for i in range(n)]


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("damping", [0.5, 0.85])
def test_agrees_with_igraph(seed: int, damping: float) -> None:
    n, edges, reset = random_case(seed)
    ours = fast(n, edges, reset, damping=damping, tol=1e-13, max_iter=2000)
    assert l1(ours, igraph_ppr(n, edges, reset, damping)) < 1e-8


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("damping", [0.5, 0.85])
def test_agrees_with_networkx(seed: int, damping: float) -> None:
    n, edges, reset = random_case(seed)
    ours = fast(n, edges, reset, damping=damping, tol=1e-13, max_iter=2000)
    assert l1(ours, networkx_ppr(n, edges, reset, damping)) < 1e-8


def test_dangling_mass_follows_reset_in_all_three() -> None:
    # Isolated node 3 gets x3 = 1/5 only if dangling mass jumps by the reset vector (a uniform
    # jump would give 4/21); see the worked example above.
    edges = [(0, 1, 1.0), (1, 2, 2.0)]
    reset = [1.0, 0.0, 0.0, 0.5]
    assert abs(fast(4, edges, reset)[3] - 1 / 5) < 1e-12
    assert abs(networkx_ppr(4, edges, reset, 0.5)[3] - 1 / 5) < 1e-9
    assert abs(igraph_ppr(4, edges, reset, 0.5)[3] - 1 / 5) < 1e-9


def test_igraph_counts_self_loops_twice() -> None:
    # Documents why igraph_ppr halves loop weights: with the full weight igraph sees out-weight 3
    # at node 1 and solves to (4/7, 3/7) instead of our (3/5, 2/5).
    igraph = pytest.importorskip("igraph")
    g = igraph.Graph(n=2, edges=[(0, 1), (1, 1)], directed=False)
    raw = g.personalized_pagerank(weights=[1.0, 1.0], damping=0.5, reset=[1, 0], directed=False)
    assert l1(raw, [4 / 7, 3 / 7]) < 1e-9
    assert l1(igraph_ppr(2, [(0, 1, 1.0), (1, 1, 1.0)], [1.0, 0.0], 0.5), [3 / 5, 2 / 5]) < 1e-9


# ---------------------------------------------------------------------------------------------
# Reset handling and output properties.


def test_all_zero_or_empty_reset_is_global_pagerank() -> None:
    n, edges, _ = random_case(7)
    uniform = fast(n, edges, [1.0] * n)
    assert l1(fast(n, edges, [0.0] * n), uniform) < 1e-12
    assert l1(fast(n, edges, []), uniform) < 1e-12
    ref = personalized_pagerank_reference(n, edges, [0.0] * n)
    assert l1(ref, uniform) < 1e-9
    assert l1(personalized_pagerank_reference(n, edges, []), uniform) < 1e-9
    assert l1(uniform, networkx_ppr(n, edges, [1.0] * n, 0.5)) < 1e-8


def test_reset_scale_does_not_matter_and_is_not_mutated() -> None:
    n, edges, reset = random_case(3)
    transition = build_transition(adjacency_from_edges(n, edges))
    r = np.asarray(reset)
    before = r.copy()
    a = personalized_pagerank(transition, r)
    b = personalized_pagerank(transition, r * 1e6)
    assert np.array_equal(r, before)
    assert l1(a, b) < 1e-12


def test_damping_zero_returns_normalized_reset() -> None:
    n, edges, reset = random_case(5)
    want = np.asarray(reset) / sum(reset)
    assert l1(fast(n, edges, reset, damping=0.0), want) < 1e-15
    assert l1(personalized_pagerank_reference(n, edges, reset, damping=0.0), want) < 1e-15


@pytest.mark.parametrize("seed", range(10))
def test_output_is_a_distribution(seed: int) -> None:
    n, edges, reset = random_case(seed)
    x = fast(n, edges, reset)
    assert x.dtype == np.float64
    assert np.all(x >= 0)
    assert abs(x.sum() - 1.0) < 1e-12


def test_graph_without_edges_returns_reset() -> None:
    assert l1(fast(3, [], [1.0, 0.0, 3.0]), [0.25, 0.0, 0.75]) < 1e-15
    assert fast(0, [], []).shape == (0,)
    assert personalized_pagerank_reference(0, [], []) == []


def test_zero_weight_edges_are_ignored() -> None:
    with_zero = fast(3, [(0, 1, 1.0), (1, 2, 0.0)], [0.0, 0.0, 1.0])
    without = fast(3, [(0, 1, 1.0)], [0.0, 0.0, 1.0])
    assert l1(with_zero, without) < 1e-15
    transition = build_transition(adjacency_from_edges(3, [(0, 1, 1.0), (1, 2, 0.0)]))
    assert transition.dangling.tolist() == [2]


def test_non_convergence_warns_and_returns_a_distribution() -> None:
    # A complete graph on 8 nodes: every degree is 7, so nothing is eliminated and the fast path
    # iterates on all of it (a sparse random case may be eliminated whole, which is exact).
    n = 8
    edges = [(u, v, 1.0 + (u * v) % 3) for u in range(n) for v in range(u + 1, n)]
    reset = [1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.2]
    transition = build_transition(adjacency_from_edges(n, edges))
    assert transition.elimination(0.99).n_core == n
    for method in (personalized_pagerank, personalized_pagerank_cg, personalized_pagerank_power):
        with pytest.warns(RuntimeWarning, match="did not converge"):
            x = method(transition, np.asarray(reset), damping=0.99, max_iter=2)
        assert abs(x.sum() - 1.0) < 1e-12


def test_defaults_converge_without_warning_on_a_chain() -> None:
    # A long path mixes slowly; at damping 0.5 the default 100 iterations are still plenty.
    edges = [(i, i + 1, 1.0) for i in range(199)]
    reset = [1.0] + [0.0] * 199
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = fast(200, edges, reset)
    assert l1(x, personalized_pagerank_reference(200, edges, reset)) < 1e-9


# ---------------------------------------------------------------------------------------------
# Transition and adjacency construction.


def test_adjacency_from_edges_conventions() -> None:
    a = adjacency_from_edges(3, [(0, 1, 1.0), (1, 0, 2.0), (2, 2, 5.0), (1, 2, 0.5)])
    assert isinstance(a, sp.csr_matrix)
    want = np.array([[0.0, 3.0, 0.0], [3.0, 0.0, 0.5], [0.0, 0.5, 5.0]])
    assert np.array_equal(a.toarray(), want)


def test_build_transition_structure() -> None:
    t = build_transition(adjacency_from_edges(4, [(0, 1, 1.0), (1, 2, 3.0), (2, 2, 1.0)]))
    assert isinstance(t, Transition)
    assert t.n == 4
    assert t.matrix.dtype == np.float64 and sp.issparse(t.matrix) and t.matrix.format == "csr"
    dense = t.matrix.toarray()
    np.testing.assert_allclose(dense.sum(axis=0), [1.0, 1.0, 1.0, 0.0])  # column-stochastic
    assert dense[1, 0] == 1.0 and dense[0, 1] == 0.25 and dense[2, 1] == 0.75
    assert dense[1, 2] == 0.75 and dense[2, 2] == 0.25
    assert t.dangling.tolist() == [3]
    assert t.dangling_mask.tolist() == [False, False, False, True]
    with pytest.raises(ValueError):
        t.matrix.data[0] = 2.0  # read-only, safe to share between queries


@pytest.mark.parametrize("fmt", ["coo", "csc", "lil", "dok", "array"])
def test_build_transition_accepts_any_sparse_format(fmt: str) -> None:
    n, edges, reset = random_case(2)
    a = adjacency_from_edges(n, edges)
    converted = sp.csr_array(a) if fmt == "array" else a.asformat(fmt)
    got = personalized_pagerank(build_transition(converted), np.asarray(reset))
    assert l1(got, fast(n, edges, reset)) < 1e-15


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (sp.csr_matrix(np.ones((2, 3))), "square"),
        (sp.csr_matrix(np.array([[0.0, -1.0], [-1.0, 0.0]])), "negative"),
        (sp.csr_matrix(np.array([[0.0, np.nan], [np.nan, 0.0]])), "NaN or infinite"),
        (sp.csr_matrix(np.array([[0.0, np.inf], [np.inf, 0.0]])), "NaN or infinite"),
        (sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]])), "symmetric"),
        (sp.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0]])), "symmetric"),
        (sp.csr_matrix(np.array([[1e308, 1e308], [1e308, 1e308]])), "overflow"),
    ],
)
def test_build_transition_rejects_bad_adjacency(matrix: sp.csr_matrix, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_transition(matrix)


def test_build_transition_rejects_dense_input() -> None:
    with pytest.raises(TypeError, match="sparse"):
        build_transition(np.eye(2))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ([(0, 3, 1.0)], "outside"),
        ([(-1, 0, 1.0)], "outside"),
        ([(0, 1, -2.0)], "negative weight"),
        ([(0, 1, float("nan"))], "NaN or infinite"),
        ([(0, 1.5, 1.0)], "must be"),
        ([(0, 1)], "must be"),
    ],
)
def test_bad_edges_rejected(edges: list[Edge], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        adjacency_from_edges(3, edges)
    with pytest.raises(ValueError, match=message):
        personalized_pagerank_reference(3, edges, [1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("reset", "message"),
    [
        ([1.0, 0.0], "length 2"),
        ([1.0, -0.5, 0.0], "negative"),
        ([1.0, float("nan"), 0.0], "NaN or infinite"),
        ([1.0, float("inf"), 0.0], "NaN or infinite"),
    ],
)
def test_bad_reset_rejected(reset: list[float], message: str) -> None:
    edges = [(0, 1, 1.0)]
    with pytest.raises(ValueError, match=message):
        fast(3, edges, reset)
    with pytest.raises(ValueError, match=message):
        personalized_pagerank_reference(3, edges, reset)


def test_two_dimensional_reset_rejected() -> None:
    transition = build_transition(adjacency_from_edges(2, [(0, 1, 1.0)]))
    with pytest.raises(ValueError, match="one-dimensional"):
        personalized_pagerank(transition, np.ones((2, 1)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"damping": 1.0}, "damping"),
        ({"damping": -0.1}, "damping"),
        ({"damping": float("nan")}, "damping"),
        ({"tol": 0.0}, "tol"),
        ({"tol": float("inf")}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
    ],
)
def test_bad_parameters_rejected(kwargs: dict[str, float], message: str) -> None:
    edges = [(0, 1, 1.0)]
    with pytest.raises(ValueError, match=message):
        fast(2, edges, [1.0, 0.0], **kwargs)
    with pytest.raises(ValueError, match=message):
        personalized_pagerank_reference(2, edges, [1.0, 0.0], **kwargs)


@pytest.mark.parametrize("seed", range(5))
def test_exactly_symmetric_shortcut_gives_the_same_transition(seed: int) -> None:
    """build_transition(exactly_symmetric=True), for an adjacency built as upper + upper.T,
    equals the checked path array for array (it skips the check and the transpose only)."""
    rng = np.random.default_rng(seed)
    n = 60
    upper = sp.random(n, n, density=0.05, random_state=rng, format="coo")
    upper.data = np.round(upper.data * 5, 2)  # repeated weights, like support counts
    upper = sp.triu(upper, k=0).tocsr()
    adjacency = (upper + upper.T).tocsr()
    checked = build_transition(adjacency)
    trusted = build_transition(adjacency, exactly_symmetric=True)
    for name in ("matrix", "symmetric"):
        a, b = getattr(checked, name), getattr(trusted, name)
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)
    for name in ("dangling", "dangling_mask", "sqrt_out", "order", "cg_indptr", "cg_indices"):
        assert np.array_equal(getattr(checked, name), getattr(trusted, name))
