"""Local forward push: the compiled kernel vs its plain-Python transcription, a hand-solved
example, the error bound against exact PPR, and the retriever's use of it."""

from __future__ import annotations

import numpy as np
import pytest
from test_ppr import l1, random_case

from graphmem.config import RetrieveConfig
from graphmem.graph.transition import build_transition
from graphmem.retrieve.ppr_push import personalized_pagerank_push, push_reference
from graphmem.retrieve.ppr_reference import adjacency_from_edges, personalized_pagerank_reference


def test_worked_example_two_nodes() -> None:
    """0 - 1, reset on 0, d = 0.5, eps = 0.1: push 0 (r = 1), 1 (0.5), 0 (0.25), 1 (0.125);
    then 0 holds 0.0625 < 0.1 · out(0). Exact PPR is (2/3, 1/3)."""
    t = build_transition(adjacency_from_edges(2, [(0, 1, 1.0)]))
    for push in (personalized_pagerank_push, push_reference):
        got = push(t, np.array([1.0, 0.0]), damping=0.5, eps=0.1)
        assert got.scores.tolist() == [0.625, 0.3125]
        assert (got.residual, got.pushes) == (0.0625, 4)
    exact = np.array([2 / 3, 1 / 3])
    assert l1(exact, [0.625, 0.3125]) == pytest.approx(0.0625, abs=1e-15)


@pytest.mark.parametrize("seed", range(40))
def test_kernel_equals_reference(seed: int) -> None:
    n, edges, reset = random_case(seed)
    t = build_transition(adjacency_from_edges(n, edges))
    for eps in (1e-2, 1e-5):
        fast = personalized_pagerank_push(t, np.array(reset), damping=0.5, eps=eps)
        ref = push_reference(t, np.array(reset), damping=0.5, eps=eps)
        assert fast.pushes == ref.pushes
        np.testing.assert_allclose(fast.scores, ref.scores, rtol=0, atol=1e-15)
        assert fast.residual == pytest.approx(ref.residual, abs=1e-15)


@pytest.mark.parametrize("seed", range(40))
def test_error_is_the_residual_left(seed: int) -> None:
    """Every score is below the exact one and the L1 gap is the residual mass left; at a tiny
    eps the push is exact PPR (isolated nodes and self-loops included)."""
    n, edges, reset = random_case(seed)
    t = build_transition(adjacency_from_edges(n, edges))
    exact = np.array(personalized_pagerank_reference(n, edges, reset, damping=0.5, tol=1e-15))
    coarse = personalized_pagerank_push(t, np.array(reset), damping=0.5, eps=1e-3)
    assert np.all(coarse.scores <= exact + 1e-12)
    assert l1(coarse.scores, exact) == pytest.approx(coarse.residual, abs=1e-9)
    fine = personalized_pagerank_push(t, np.array(reset), damping=0.5, eps=1e-13)
    assert l1(fine.scores, exact) < 1e-9


def test_work_stays_local() -> None:
    """Two components; a seed in the small one never pushes a node of the large one."""
    big = [(i, i + 1, 1.0) for i in range(3, 500)]
    t = build_transition(adjacency_from_edges(501, [(0, 1, 1.0), (1, 2, 1.0), *big]))
    reset = np.zeros(501)
    reset[0] = 1.0
    got = personalized_pagerank_push(t, reset, eps=1e-9)
    assert got.scores[3:].sum() == 0.0 and got.pushes < 200
    assert got.scores[:3].sum() == pytest.approx(1.0, abs=1e-8)


def test_bad_arguments_are_named() -> None:
    t = build_transition(adjacency_from_edges(2, [(0, 1, 1.0)]))
    with pytest.raises(ValueError, match="eps"):
        personalized_pagerank_push(t, np.array([1.0, 0.0]), eps=0.0)
    with pytest.raises(ValueError, match="damping"):
        personalized_pagerank_push(t, np.array([1.0, 0.0]), damping=1.0)
    with pytest.raises(ValueError, match="length"):
        personalized_pagerank_push(t, np.array([1.0]))
    with pytest.raises(ValueError, match="local_ppr_eps"):
        RetrieveConfig(local_ppr_eps=0.0)


def test_retrieval_through_the_local_walk(memory_factory) -> None:
    """Forced on (every graph is large enough), retrieval walks by push from the sparse reset
    and finds the same two-hop passage first as the exact walk."""
    from dataclasses import replace

    mem = memory_factory()
    mem.add([
        "Odile Varga wrote the novel The Salt Lantern in 1961.",
        "Odile Varga was born in Pellavon, a town in the Merrow valley.",
        "The Merrow valley is known for its slate quarries.",
    ])
    q = "In which valley was the author of The Salt Lantern born?"
    exact = mem.retrieve(q, top_k=3)
    mem.config = replace(mem.config, retrieve=RetrieveConfig(local_ppr_min_nodes=1, local_ppr_eps=1e-9))
    local = mem.retrieve(q, top_k=3)
    assert [h.doc_id for h in local] == [h.doc_id for h in exact]
    assert local[0].explanation.mode == exact[0].explanation.mode
    # another solver ran (scores differ in their last digits), to the same scores up to eps
    assert local[0].score != exact[0].score
    assert local[0].score == pytest.approx(exact[0].score, rel=1e-6)
