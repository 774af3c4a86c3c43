"""The local walk with the passage prior's tail folded back in (graphmem/retrieve/local_walk.py):
exact when the tail is flat, within the bound of the one approximation otherwise, the old
drop-the-tail behaviour when asked, and the query-independent solve done once per graph."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_ppr import l1, random_case

from graphmem.config import RetrieveConfig
from graphmem.graph.transition import build_transition
from graphmem.retrieve.local_walk import local_walk_scores, passage_background
from graphmem.retrieve.ppr_push import personalized_pagerank_push
from graphmem.retrieve.ppr_reference import adjacency_from_edges, personalized_pagerank_reference

D = 0.5
CONFIG = RetrieveConfig(local_ppr_min_nodes=1, local_ppr_passages=3, local_ppr_eps=1e-13, tol=1e-14,
                        max_iter=1000)


def _case(seed: int, flat: bool) -> tuple[int, list, np.ndarray, int]:
    """A random graph whose first third are entities; the reset seeds a few entities and gives
    every passage a prior, the 3 best well above the rest (equal when ``flat``)."""
    n, edges, _ = random_case(seed)
    n = max(n, 8)
    rng = random.Random(seed)
    n_e = n // 3
    reset = np.zeros(n)
    reset[rng.randrange(n_e)] = 1.0
    prior = [rng.uniform(0.0, 0.01) for _ in range(n - n_e)]
    if flat:
        prior = [0.004] * (n - n_e)
    for i in rng.sample(range(n - n_e), 3):
        prior[i] = rng.uniform(0.02, 0.05)
    reset[n_e:] = prior
    return n, edges, reset, n_e


@pytest.mark.parametrize("seed", range(30))
def test_a_flat_tail_gives_exact_ppr(seed: int) -> None:
    """With every tail passage at the tail's mean, the split is exact: only the push's eps and
    the solver's tolerance are left."""
    n, edges, reset, n_e = _case(seed, flat=True)
    t = build_transition(adjacency_from_edges(n, edges))
    exact = personalized_pagerank_reference(n, edges, reset.tolist(), damping=D, tol=1e-15)
    got = local_walk_scores(t, reset, n_e, CONFIG)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    assert l1(got, exact) < 1e-9


@pytest.mark.parametrize("seed", range(30))
def test_an_uneven_tail_stays_within_the_bound_of_its_restart_term(seed: int) -> None:
    """y(delta) is taken as delta: what it leaves out, sum over k >= 1 of (dP)^k delta, has L1 at
    most d / (1 - d) |delta|_1, so the normalised scores move by at most twice that over the
    exact sum; dropping the tail instead moves them by far more."""
    n, edges, reset, n_e = _case(seed, flat=False)
    t = build_transition(adjacency_from_edges(n, edges))
    exact = np.array(personalized_pagerank_reference(n, edges, reset.tolist(), damping=D, tol=1e-15))
    tail = np.argsort(reset[n_e:])[:-3]
    delta = reset[n_e:][tail] - reset[n_e:][tail].mean()
    y_sum = 1.0 / (1.0 - D + D * exact[t.dangling].sum()) * reset.sum()  # sum of y(reset)
    bound = 2 * D / (1 - D) * np.abs(delta).sum() / y_sum
    assert l1(local_walk_scores(t, reset, n_e, CONFIG), exact) <= bound + 1e-9


def test_without_the_tail_it_pushes_the_truncated_reset() -> None:
    n, edges, reset, n_e = _case(3, flat=False)
    t = build_transition(adjacency_from_edges(n, edges))
    kept = reset.copy()
    kept[n_e + np.argsort(reset[n_e:])[:-3]] = 0.0
    pushed = personalized_pagerank_push(t, kept, damping=D, eps=CONFIG.local_ppr_eps).scores
    want = pushed / pushed.sum()
    for got in (local_walk_scores(t, reset, n_e, CONFIG, tail=False),
                local_walk_scores(t, reset, n_e, RetrieveConfig(**{**CONFIG.__dict__,
                                                                    "local_ppr_tail": False}))):
        np.testing.assert_array_equal(got, want)


def test_the_background_is_solved_once_per_graph() -> None:
    n, edges, _, n_e = _case(5, flat=False)
    t = build_transition(adjacency_from_edges(n, edges))
    first = passage_background(t, n_e, CONFIG)
    assert passage_background(t, n_e, CONFIG) is first
    assert not first.flags.writeable
    ones = [0.0] * n_e + [1.0] * (n - n_e)  # y(1_P): its exact sum is |P| / (1 - d + d s)
    x = np.array(personalized_pagerank_reference(n, edges, ones, damping=D, tol=1e-15))
    np.testing.assert_allclose(first, x * (n - n_e) / (1 - D + D * x[t.dangling].sum()),
                               rtol=1e-9, atol=1e-12)
    other = build_transition(adjacency_from_edges(n, edges))
    assert passage_background(other, n_e, CONFIG) is not first


def test_retrieval_folds_the_tail_back_in(memory_factory) -> None:
    """Forced on with one pushed passage, retrieval still puts the two-hop passage where the
    exact walk does; asked about a past moment (a scope that zeroes passages) it drops the
    tail instead, and still answers."""
    from dataclasses import replace

    mem = memory_factory()
    mem.add([
        "Odile Varga wrote the novel The Salt Lantern in 1961.",
        "Odile Varga was born in Pellavon, a town in the Merrow valley.",
        "The Merrow valley is known for its slate quarries.",
        "Pellavon holds a lantern festival every winter.",
    ])
    q = "In which valley was the author of The Salt Lantern born?"
    exact = [h.doc_id for h in mem.retrieve(q, top_k=2)]
    local = RetrieveConfig(local_ppr_min_nodes=1, local_ppr_passages=1, local_ppr_eps=1e-9)
    mem.config = replace(mem.config, retrieve=local)
    assert [h.doc_id for h in mem.retrieve(q, top_k=2)] == exact
    assert [h.doc_id for h in mem.retrieve(q, top_k=2, as_of="2999-01-01")] == exact


def test_the_top_passages_are_the_full_selections() -> None:
    """The sampled threshold finds the same k largest as a selection over every value, and a
    sample that overshoots (large values only where it samples) falls back to that selection."""
    from graphmem.retrieve.local_walk import _top

    rng = np.random.default_rng(7)
    n, k = 100_000, 1_000
    for values in (rng.random(n), rng.random(n) ** 8, np.round(rng.random(n), 2)):
        got, total = _top(values, k)
        want = np.argpartition(values, -k)[-k:]
        assert got.size == k
        assert total == pytest.approx(values.sum(), rel=1e-12)
        kth = np.sort(values)[-k]  # ties at the k-th value may be either side
        assert set(got[values[got] > kth]) == set(want[values[want] > kth])
        assert np.all(values[got] >= kth)
    skewed = np.zeros(n)
    skewed[:: n // 8_192] = 1 + rng.random(skewed[:: n // 8_192].size)
    got, _ = _top(skewed, k)
    assert set(got) == set(np.argpartition(skewed, -k)[-k:])
