"""Compiled kernel behind :func:`graphmem.retrieve.ppr.personalized_pagerank`: forward
elimination, conjugate gradients on the core, back substitution (see
:mod:`graphmem.graph.elimination` for the arrays and why).

Stopping test (the same quantity igraph's PRPACK bounds by its ``tol``): with ``r`` summing to
1 and ``x = D^{1/2} y`` the unnormalized walk vector, ``|(I - d P) x - r|_1 / (1 - d) < tol``,
where ``P = A D^{-1}``; that is an upper bound on ``|x - x*|_1`` because ``|P|_1 <= 1``. The
eliminated rows are solved exactly, so the residual lives on the core only, where it equals
``core_weight * (residual of the scaled core system)``; the loop tracks that sum directly.
One core: see :mod:`graphmem.retrieve._ppr_cg` for why there is no ``prange``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def _core_matvec_dot(indptr, indices, data, p, ap):  # pragma: no cover - compiled
    """``ap = p - K p`` for the scaled core ``I - K``; returns ``p · ap``."""
    total = 0.0
    for i in range(p.shape[0]):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * p[indices[k]]
        v = p[i] - s
        ap[i] = v
        total += p[i] * v
    return total


@njit(cache=True, nogil=True, fastmath=True)
def elimination_solve(
    lt_indptr, lt_indices, lt_data, pivot, core_indptr, core_indices, core_data, core_scale,
    core_weight, z, bound, max_iter,
):  # pragma: no cover - compiled
    """Solve ``M y = z`` in place (``z`` in position order); stop when the weighted L1 residual
    ``sum(core_weight * |r|)`` is below ``bound``. Returns (core CG steps, final weighted
    residual)."""
    ne = pivot.shape[0]
    for p in range(ne):
        zp = z[p] / pivot[p]
        for k in range(lt_indptr[p], lt_indptr[p + 1]):
            z[lt_indices[k]] -= lt_data[k] * zp
    nc = core_scale.shape[0]
    u = np.empty(nc)
    for i in range(nc):
        u[i] = z[ne + i] / core_scale[i]
    b = u.copy()
    ap = np.empty(nc)
    _core_matvec_dot(core_indptr, core_indices, core_data, u, ap)
    r = np.empty(nc)
    rs = 0.0
    err = 0.0
    for i in range(nc):
        r[i] = b[i] - ap[i]
        rs += r[i] * r[i]
        err += core_weight[i] * abs(r[i])
    p = r.copy()
    steps = 0
    while steps < max_iter and err >= bound:
        alpha = rs / _core_matvec_dot(core_indptr, core_indices, core_data, p, ap)
        rs_new = 0.0
        err = 0.0
        for i in range(nc):
            u[i] += alpha * p[i]
            r[i] -= alpha * ap[i]
            rs_new += r[i] * r[i]
            err += core_weight[i] * abs(r[i])
        beta = rs_new / rs
        for i in range(nc):
            p[i] = r[i] + beta * p[i]
        rs = rs_new
        steps += 1
    for i in range(nc):
        z[ne + i] = u[i] / core_scale[i]
    for q in range(ne - 1, -1, -1):
        s = z[q]
        for k in range(lt_indptr[q], lt_indptr[q + 1]):
            s -= lt_data[k] * z[lt_indices[k]]
        z[q] = s / pivot[q]
    return steps, err
