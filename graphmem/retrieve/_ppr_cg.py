"""Compiled conjugate-gradient kernel behind :func:`graphmem.retrieve.ppr.personalized_pagerank`.

PPR solves ``(I - d P) x ∝ r`` with ``P = A D⁻¹``. For an undirected graph the similar matrix
``M = I - d D^{-1/2} A D^{-1/2}`` is symmetric positive definite with eigenvalues in
``[1 - d, 1 + d]`` (condition number at most 3 at d = 0.5), so conjugate gradients on
``M y = D^{-1/2} r`` and ``x ∝ D^{1/2} y`` needs about half the matrix passes of the power
iteration (error factor ≤ 0.27 per step instead of 0.5). The whole loop is compiled with numba
and runs on one core: a ``prange`` version measured 2-3x slower here, its worker threads
contending with torch's OpenMP threads that spin after the query embedding. Index arrays must be
unsigned (uint64 row pointers, uint32 columns): numba then skips its negative-index wraparound
check on every gather, which measured 2x faster matvecs.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def _matvec_dot(indptr, indices, data, damping, p, ap):  # pragma: no cover - compiled
    """``ap = p - damping * S p``; returns ``p · ap``."""
    total = 0.0
    for i in range(p.shape[0]):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * p[indices[k]]
        v = p[i] - damping * s
        ap[i] = v
        total += p[i] * v
    return total


@njit(cache=True, nogil=True, fastmath=True)
def cg_solve(indptr, indices, data, damping, b, tol, max_iter):  # pragma: no cover - compiled
    """Solve ``(I - damping * S) y = b`` for symmetric ``S`` given as CSR arrays.

    Stops when the residual's 2-norm is below ``tol * |b|``; returns (y, steps, relative residual).
    """
    n = b.shape[0]
    y = b.copy()  # M is close to I, so b is a good first guess
    ap = np.empty(n)
    _matvec_dot(indptr, indices, data, damping, y, ap)
    r = b - ap
    p = r.copy()
    rs = 0.0
    norm_b = 0.0
    for i in range(n):
        rs += r[i] * r[i]
        norm_b += b[i] * b[i]
    norm_b = np.sqrt(norm_b)
    if norm_b == 0.0:
        norm_b = 1.0
    steps = 0
    while steps < max_iter and np.sqrt(rs) > tol * norm_b:
        alpha = rs / _matvec_dot(indptr, indices, data, damping, p, ap)
        rs_new = 0.0
        for i in range(n):
            y[i] += alpha * p[i]
            r[i] -= alpha * ap[i]
            rs_new += r[i] * r[i]
        beta = rs_new / rs
        for i in range(n):
            p[i] = r[i] + beta * p[i]
        rs = rs_new
        steps += 1
    return y, steps, np.sqrt(rs) / norm_b
