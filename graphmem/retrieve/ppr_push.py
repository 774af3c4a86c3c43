"""Personalized PageRank by local forward push: work bounded by the reset's neighbourhood, not by
the size of the graph.

Same definition and graph conventions as :mod:`graphmem.retrieve.ppr` (whose conjugate-gradient
solver touches every node and edge on every step, so its cost grows with the whole memory).
Forward push (Andersen, Chung and Lang, 2006) keeps an estimate ``p`` and a residual ``r``,
starting from ``p = 0, r = reset``, and repeatedly *pushes* a node ``u`` whose residual is
large for its weight, ``r[u] > eps · out(u)``: ``p[u] += (1 - d) r[u]``, each neighbour ``v``
gets ``d · r[u] · w(u, v) / out(u)`` of residual, and ``r[u] = 0`` (a dangling node sends its
``d · r[u]`` back along the reset, as the walk does). Each push keeps the invariant
``x = p + Σ_u r[u] · x_u`` (``x_u`` the PPR vector of a walk restarting at ``u``), so when no node
is left to push, every entry of ``p`` is at most ``Σ r`` below the exact score and the L1 error is
exactly the residual mass left, which is returned with the scores. The total work is at most
``Σ r_0 / ((1 - d) · eps)`` edge visits whatever the graph's size: a sparse reset (a few seed
entities and the best passages) stays local.

:func:`personalized_pagerank_push` is the compiled fast path, :func:`push_reference` its
plain-Python transcription (same queue order, the same additions), which the tests hold it
against.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from graphmem.graph.transition import Transition
from graphmem.retrieve.ppr import _normalized_reset as normalized_reset  # same package

__all__ = ["PushResult", "personalized_pagerank_push", "push_reference"]


class PushResult:
    """Scores from :func:`personalized_pagerank_push`: ``scores`` (float64 over every node, the
    pushed estimate, not renormalised: it sums to ``1 - residual``), ``residual`` (the mass left
    unpushed, which bounds the L1 distance to the exact vector) and ``pushes`` (nodes pushed:
    the work done)."""

    __slots__ = ("pushes", "residual", "scores")

    def __init__(self, scores: np.ndarray, residual: float, pushes: int):
        self.scores, self.residual, self.pushes = scores, residual, pushes


def personalized_pagerank_push(
    transition: Transition, reset: np.ndarray, *, damping: float = 0.5, eps: float = 1e-7
) -> PushResult:
    """PPR of ``reset`` (non-negative, length ``transition.n``, normalised here; all-zero means
    uniform) by forward push until no node has residual above ``eps`` times its total edge
    weight (1 for a dangling node). Raises ``ValueError`` for a malformed reset, ``damping``
    outside [0, 1) or ``eps`` not positive."""
    d, e = _check(damping, eps)
    n = transition.n
    r0 = normalized_reset(reset, n)
    if n == 0:
        return PushResult(r0, 0.0, 0)
    from graphmem.retrieve._ppr_push import forward_push  # numba: compiled on first use

    seeds = np.flatnonzero(r0)
    a = transition.adjacency
    scores, residual, pushes = forward_push(
        a.indptr, a.indices, a.data, transition.out, d, seeds, r0[seeds], e
    )
    return PushResult(scores, float(residual), int(pushes))


def push_reference(
    transition: Transition, reset: np.ndarray, *, damping: float = 0.5, eps: float = 1e-7
) -> PushResult:
    """The definition of :func:`personalized_pagerank_push` in plain Python (slow; for tests)."""
    d, e = _check(damping, eps)
    n = transition.n
    r0 = normalized_reset(reset, n)
    if n == 0:
        return PushResult(r0, 0.0, 0)
    a = transition.adjacency
    indptr, indices, weights, out = a.indptr.tolist(), a.indices.tolist(), a.data.tolist(), transition.out.tolist()
    seeds = [int(s) for s in np.flatnonzero(r0)]
    seed_mass = [float(r0[s]) for s in seeds]
    p, r = [0.0] * n, [0.0] * n
    queued = [False] * n
    queue: deque[int] = deque()

    def offer(v: int) -> None:
        if not queued[v] and r[v] > e * (out[v] if out[v] > 0 else 1.0):
            queued[v] = True
            queue.append(v)

    for s, m in zip(seeds, seed_mass):
        r[s] += m
    for s in seeds:
        offer(s)
    pushes = 0
    while queue:
        u = queue.popleft()
        queued[u] = False
        mass, r[u] = r[u], 0.0
        p[u] += (1.0 - d) * mass
        pushes += 1
        if out[u] > 0:
            share = d * mass / out[u]
            for k in range(indptr[u], indptr[u + 1]):
                v = indices[k]
                r[v] += share * weights[k]
                offer(v)
        else:  # dangling: the walk restarts along the reset
            for s, m in zip(seeds, seed_mass):
                r[s] += d * mass * m
            for s in seeds:
                offer(s)
    return PushResult(np.array(p), float(sum(r)), pushes)


def _check(damping: float, eps: float) -> tuple[float, float]:
    d, e = float(damping), float(eps)
    if not 0.0 <= d < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping!r}")
    if not e > 0.0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    return d, e
