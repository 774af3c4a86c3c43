"""Compiled conjugate-gradient kernel behind :func:`graphmem.retrieve.ppr.personalized_pagerank`.

PPR solves ``(I - d P) x ∝ r`` with ``P = A D⁻¹``. For an undirected graph the similar matrix
``M = I - d D^{-1/2} A D^{-1/2}`` is symmetric positive definite with eigenvalues in
``[1 - d, 1 + d]`` (condition number at most 3 at d = 0.5), so conjugate gradients on
``M y = D^{-1/2} r`` and ``x ∝ D^{1/2} y`` converges in about half the matrix-vector products of
the power iteration (error factor ≤ 0.27 per step instead of 0.5). Each step is three fused
loops compiled with numba and spread over the cores with ``prange``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _matvec_dot(indptr, indices, data, damping, p, ap):  # pragma: no cover - compiled
    """``ap = p - damping * S p``; returns ``p · ap``."""
    total = 0.0
    for i in prange(p.shape[0]):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * p[indices[k]]
        v = p[i] - damping * s
        ap[i] = v
        total += p[i] * v
    return total


@njit(cache=True, parallel=True)
def _update(y, r, p, ap, alpha):  # pragma: no cover - compiled
    """``y += alpha p``, ``r -= alpha ap``; returns ``r · r``."""
    total = 0.0
    for i in prange(y.shape[0]):
        y[i] += alpha * p[i]
        ri = r[i] - alpha * ap[i]
        r[i] = ri
        total += ri * ri
    return total


@njit(cache=True, parallel=True)
def _direction(p, r, beta):  # pragma: no cover - compiled
    for i in prange(p.shape[0]):
        p[i] = r[i] + beta * p[i]


def cg_solve(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    damping: float,
    b: np.ndarray,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int, float]:
    """Solve ``(I - damping * S) y = b`` for symmetric ``S`` (CSR arrays). Stops when the residual's
    2-norm is below ``tol * |b|``; returns (y, steps taken, final relative residual)."""
    n = b.shape[0]
    y = b.copy()  # M is close to I, so b is a good first guess
    ap = np.empty(n)
    _matvec_dot(indptr, indices, data, damping, y, ap)
    r = b - ap
    p = r.copy()
    rs = float(r @ r)
    norm_b = float(np.sqrt(b @ b)) or 1.0
    steps = 0
    while steps < max_iter and np.sqrt(rs) > tol * norm_b:
        pap = _matvec_dot(indptr, indices, data, damping, p, ap)
        alpha = rs / pap
        rs_new = _update(y, r, p, ap, alpha)
        _direction(p, r, rs_new / rs)
        rs = rs_new
        steps += 1
    return y, steps, float(np.sqrt(rs)) / norm_b
