"""Personalized PageRank (PPR) on an undirected weighted graph, as pure functions.

Definition (the one igraph's PRPACK and networkx's ``pagerank`` use). A random walker at node
``u`` follows an edge with probability ``damping``, choosing neighbour ``v`` with probability
``w(u, v) / out(u)`` where ``out(u)`` is the total weight at ``u``; otherwise (probability
``1 - damping``) it jumps to a node drawn from the normalized reset vector ``r``. A dangling node
(``out(u) == 0``; in an undirected graph that is an isolated node, or one whose edges all weigh
zero) has nowhere to go, so its whole mass jumps according to ``r`` too. The result is the
stationary distribution ``x``::

    x = damping * P x + (1 - damping + damping * sum(x[dangling])) * r,   sum(x) = 1

with ``P[v, u] = w(u, v) / out(u)`` (column-stochastic except for zero dangling columns).

Graph conventions, shared by every function here: edges are undirected, ``(u, v, w)`` adds ``w``
in both directions; a self-loop ``(u, u, w)`` adds ``w`` once (the adjacency-matrix convention,
also networkx's); parallel edges add up. Note that igraph counts an undirected self-loop twice
(weight ``2w`` at ``u``), so to reproduce our numbers there, pass self-loops at half weight.

Four implementations of the same definition: :func:`personalized_pagerank`, the fast path
retrieval uses, which solves the linear system ``(I - damping·D^{-1/2} A D^{-1/2}) y = D^{-1/2} r``
(``x ∝ D^{1/2} y``) by eliminating low-degree nodes exactly and running conjugate gradients on
the rest (:mod:`graphmem.graph.elimination`, :mod:`graphmem.retrieve._ppr_elim`);
:func:`personalized_pagerank_cg`, the previous fast path (conjugate gradients over the whole
graph, :mod:`graphmem.retrieve._ppr_cg`), kept for comparison; and
:func:`personalized_pagerank_power`, a sparse-matrix power iteration that only the tests use.
All three run over a :class:`graphmem.graph.transition.Transition` precomputed once per graph
(at index refresh) and reused across queries. The fourth,
:func:`graphmem.retrieve.ppr_reference.personalized_pagerank_reference`, is a plain-Python
transcription of the definition that tests hold the others against.
"""

from __future__ import annotations

import math
import operator
import threading
import warnings

import numpy as np

from graphmem.graph.transition import Transition

__all__ = ["personalized_pagerank", "personalized_pagerank_cg", "personalized_pagerank_power"]


def _check_params(damping: float, tol: float, max_iter: int) -> tuple[float, float, int]:
    """Shared parameter checks; ``damping`` must be < 1 so the walk always converges."""
    try:
        d, t = float(damping), float(tol)
        iters = operator.index(max_iter)
    except (TypeError, ValueError):
        raise ValueError(
            f"damping and tol must be numbers and max_iter an integer, "
            f"got {damping!r}, {tol!r}, {max_iter!r}"
        ) from None
    if not 0.0 <= d < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping!r}")
    if not (t > 0 and math.isfinite(t)):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    if iters < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    return d, t, iters


_local = threading.local()


def _scratch(size: int) -> np.ndarray:
    """A per-thread float64 buffer of at least ``size`` entries, reused across queries (fresh
    arrays of this size cost page faults on every call)."""
    buf = getattr(_local, "buf", None)
    if buf is None or buf.size < size:
        buf = np.empty(size)
        _local.buf = buf
    return buf


def _warn_unconverged(solver: str, max_iter: int, measure: str, value: float, tol: float) -> None:
    """The RuntimeWarning every solver gives when ``max_iter`` steps left ``measure`` (its
    stopping quantity) at ``value``, still not below ``tol``; raised at the solver's caller."""
    warnings.warn(
        f"{solver} did not converge in {max_iter} iterations "
        f"({measure} {value:.3g} >= tol {tol:g}); returning the last iterate",
        RuntimeWarning,
        stacklevel=3,
    )


def _distribution(x: np.ndarray) -> np.ndarray:
    """``x`` (in place) clipped at 0 and scaled to sum to 1: a solver's round-off can leave
    -1e-17 on nodes the walk never reaches."""
    np.maximum(x, 0.0, out=x)
    x /= x.sum()
    return x


def _normalized_reset(reset: np.ndarray, n: int) -> np.ndarray:
    """Validate ``reset`` and scale it to sum 1; all-zero or empty means uniform (global PageRank).

    A fresh float64 array is returned; the caller's array is never modified.
    """
    r = np.array(reset, dtype=np.float64, copy=True)
    if r.ndim != 1:
        raise ValueError(f"reset must be one-dimensional, got shape {r.shape}")
    if n == 0 and r.size == 0:
        return r
    if r.size == 0:
        return np.full(n, 1.0 / n)
    if r.size != n:
        raise ValueError(f"reset has length {r.size} but the graph has {n} nodes")
    if not np.all(np.isfinite(r)):
        bad = int(np.flatnonzero(~np.isfinite(r))[0])
        raise ValueError(f"reset contains NaN or infinite entries (reset[{bad}] = {r[bad]})")
    if r.min() < 0:
        bad = int(np.argmin(r))
        raise ValueError(f"reset contains negative entries (reset[{bad}] = {r[bad]:g})")
    peak = r.max()
    if peak == 0:
        return np.full(n, 1.0 / n)
    r /= peak  # keeps the sum finite even for entries near the float64 maximum
    r /= r.sum()
    return r


def personalized_pagerank(
    transition: Transition,
    reset: np.ndarray,
    *,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """Personalized PageRank scores for one query (the fast path retrieval uses): float64 array
    summing to 1, solved as a linear system, not by iterating the walk.

    ``reset`` (length ``transition.n``, non-negative) is the teleport distribution up to scale; it
    is normalized here. An all-zero or empty ``reset`` means "no preference" and gives the uniform
    vector, i.e. global PageRank. ``damping`` is the probability of following an edge (HippoRAG 2
    uses 0.5). The walk's stationary vector is ``x ∝ D^{1/2} y`` with
    ``(I - damping·D^{-1/2} A D^{-1/2}) y = D^{-1/2} r``: the low-degree nodes are eliminated
    exactly (:mod:`graphmem.graph.elimination`, built once per graph and damping) and conjugate
    gradients with symmetric Gauss-Seidel preconditioning solve the remaining core for at most
    ``max_iter`` steps (:mod:`graphmem.retrieve._ppr_elim`).

    ``tol`` means what it means for igraph's PRPACK: iteration stops once
    ``|(I - damping·P) x - r|_1 / (1 - damping) < tol`` for the unnormalized ``x`` (``r`` summing
    to 1), a bound on ``|x - x*|_1``, so the returned scores are within ``2·tol`` of the exact
    ones in L1. If the bound is still above ``tol`` after ``max_iter`` steps, a
    ``RuntimeWarning`` is issued and the last iterate is returned. Raises ``ValueError`` for a
    malformed ``reset`` or out-of-range parameters.
    """
    damping, tol, max_iter = _check_params(damping, tol, max_iter)
    n = transition.n
    from graphmem.retrieve._ppr_elim import (
        elimination_solve,
        gather_reset,
        reset_summary,
        scatter_walk,
    )

    r = np.asarray(reset, dtype=np.float64)
    scale = 0.0
    if r.shape == (n,) and n and damping:  # the usual case, checked and scaled in one pass
        bad, peak, total = reset_summary(r)
        if bad < 0 and peak > 0 and math.isfinite(total):
            scale = 1.0 / total
    if not scale:  # anything else: validated (or made uniform) by the general path
        r = _normalized_reset(reset, n)
        if n == 0 or damping == 0.0:
            return r
        scale = 1.0
    e = transition.elimination(damping)
    work = _scratch(e.nodes.size + 6 * e.n_core)
    z = work[: e.nodes.size]
    gather_reset(r, scale, e.nodes, e.sqrt_out, z)
    _, err = elimination_solve(
        e.lt_indptr, e.lt_indices, e.lt_data, e.pivot,
        e.lower_indptr, e.lower_indices, e.lower_data, e.upper_indptr, e.upper_indices,
        e.upper_data, e.core_scale, e.bound_weight, z, work[e.nodes.size :],
        tol * (1.0 - damping), max_iter,
    )
    if err >= tol * (1.0 - damping):
        _warn_unconverged("personalized_pagerank", max_iter, "L1 error bound",
                          err / (1.0 - damping), tol)
    x = np.empty(n)
    scatter_walk(r, scale, e.nodes, e.sqrt_out, z, x)
    return x


def personalized_pagerank_cg(
    transition: Transition,
    reset: np.ndarray,
    *,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """Personalized PageRank by conjugate gradients over the whole connected graph, needing no
    per-graph build: what a refreshed graph solves with while it defers the elimination
    (``RetrieveConfig.defer_elimination``, :mod:`graphmem.graph.deferral`), the fast path
    before :func:`personalized_pagerank`, and a second solver for the tests.

    ``reset`` (length ``transition.n``, non-negative) is the teleport distribution up to scale; it
    is normalized here. An all-zero or empty ``reset`` means "no preference" and gives the uniform
    vector, i.e. global PageRank. ``damping`` is the probability of following an edge (HippoRAG 2
    uses 0.5). The walk's stationary vector is ``x ∝ D^{1/2} y`` with
    ``(I - damping·D^{-1/2} A D^{-1/2}) y = D^{-1/2} r``, solved by conjugate gradients on that
    symmetric form (see :mod:`graphmem.retrieve._ppr_cg`) for at most ``max_iter`` steps; ``tol``
    bounds the residual's 2-norm relative to the right-hand side (the default gives an L1 error
    below 1e-9; note this is not PRPACK's ``tol``, see :func:`personalized_pagerank`). Measured 2x
    fewer matrix passes than :func:`personalized_pagerank_power`. If the residual is still above ``tol`` after ``max_iter`` steps, a
    ``RuntimeWarning`` is issued and the last iterate is returned. Raises ``ValueError`` for a
    malformed ``reset`` or out-of-range parameters.
    """
    damping, tol, max_iter = _check_params(damping, tol, max_iter)
    n = transition.n
    r = _normalized_reset(reset, n)
    if n == 0 or damping == 0.0:
        return r
    from graphmem.retrieve._ppr_cg import cg_solve

    s, order = transition.symmetric, transition.order
    b = (r / transition.sqrt_out)[order]
    # Degree order puts dangling nodes last; their rows of M are identity rows, so y = b there
    # and the solver only iterates over the connected prefix.
    active = n - int(transition.dangling.size)
    y_ordered = b.copy()
    y_active, _, residual = cg_solve(
        transition.cg_indptr[: active + 1], transition.cg_indices, s.data, damping, b[:active],
        tol, max_iter,
    )
    y_ordered[:active] = y_active
    y = np.empty(n)
    y[order] = y_ordered
    if residual > tol:
        _warn_unconverged("personalized_pagerank_cg", max_iter, "relative residual", residual, tol)
    x = y * transition.sqrt_out
    return _distribution(x)


def personalized_pagerank_power(
    transition: Transition,
    reset: np.ndarray,
    *,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """Personalized PageRank by sparse power iteration (numpy/scipy only): float64, sums to 1.

    Same definition, arguments and errors as :func:`personalized_pagerank`; retrieval does not use
    it, the tests hold the fast path against it. It reads :attr:`Transition.matrix`, built on the
    first call for a graph. Iterates ``x <- damping * P x + leak * r`` from ``x = r`` until the L1
    change between successive iterates drops below ``tol``; ``leak = 1 - sum(damping * P x)`` is
    the teleport mass plus the damped mass of dangling nodes, which both go to ``r``. Computing
    it from the sum also cancels floating-point drift, so every iterate sums to 1.

    With damping ``d`` the error shrinks by at least a factor ``d`` per step, so the defaults need
    at most ~34 matvecs (17-25 measured on synthetic and KG-shaped graphs). If ``max_iter`` is
    reached first, a ``RuntimeWarning`` is issued and the last iterate is returned: its L1 error
    is at most about ``d / (1 - d)`` times the last change.
    """
    damping, tol, max_iter = _check_params(damping, tol, max_iter)
    n = transition.n
    r = _normalized_reset(reset, n)
    if n == 0 or damping == 0.0:
        return r

    p = transition.matrix
    x = r.copy()
    step = np.empty(n)  # scratch: teleport term, then |new - old|
    change = math.inf
    for _ in range(max_iter):
        # scipy's CSR matvec; calling the private sparsetools kernel into a reused buffer measured
        # no faster (the matvec's memory traffic dominates, not the 8n-byte allocation).
        new = p @ x
        new *= damping
        leak = 1.0 - float(new.sum())
        np.multiply(r, leak, out=step)
        new += step
        np.subtract(new, x, out=step)
        np.abs(step, out=step)
        change = float(step.sum())
        x = new
        if change < tol:
            break
    else:
        _warn_unconverged("personalized_pagerank_power", max_iter, "last L1 change", change, tol)
    x /= x.sum()
    return x
