"""Compiled kernel behind :func:`graphmem.retrieve.ppr.personalized_pagerank`: forward
elimination, preconditioned conjugate gradients on the core, back substitution (see
:mod:`graphmem.graph.elimination` for the arrays and why).

Core solve. The scaled core is ``I - K = L + U - I`` with ``L = I - (strict lower of K)``,
``U = Lᵀ``. Conjugate gradients run on ``L^{-1} (I - K) U^{-1} w = L^{-1} b`` (symmetric
Gauss-Seidel preconditioning, split form) and ``u = U^{-1} w``. The operator costs one pass over
``K``, not two (Eisenstat's identity): with ``t = U^{-1} p``,
``L^{-1} (L + U - I) U^{-1} p = t + L^{-1} (p - t)``, one backward sweep over the upper
triangle and one forward sweep over the lower. Measured on the 2Wiki core at tol 1e-10: 8
iterations where unpreconditioned conjugate gradients took 15 in a trial.

Stopping test (the quantity igraph's PRPACK bounds by its ``tol``): with ``r`` summing to 1 and
``x = D^{1/2} y`` the unnormalized walk vector, ``|(I - d P) x - r|_1 / (1 - d) < tol`` (a bound
on ``|x - x*|_1``, as ``|P|_1 <= 1``). The eliminated rows are solved exactly, so that residual
lives on the core, where it is ``v * (L s)`` for the preconditioned residual ``s`` and
``v = sqrt(out) * core_scale``; ``|v * (L s)|_1 <= sum_j bound_weight[j] |s_j|``, the number the
loop tests. One core: see :mod:`graphmem.retrieve._ppr_cg` for why there is no ``prange``.
"""

from __future__ import annotations

from numba import njit

# fastmath without "reassoc": letting LLVM reassociate the row sums makes it vectorize them with
# gathers, measured 25% slower matvecs on this CPU (AMD EPYC) than the scalar loop.
_FM = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}


@njit(cache=True, nogil=True, fastmath=_FM)
def _forward(indptr, indices, data, rhs, out):  # pragma: no cover - compiled
    """``out = L^{-1} rhs`` with ``L = I - (strict lower triangle given by the CSR arrays)``."""
    for i in range(rhs.shape[0]):
        s = rhs[i]
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * out[indices[k]]
        out[i] = s


@njit(cache=True, nogil=True, fastmath=_FM)
def _backward(indptr, indices, data, rhs, out):  # pragma: no cover - compiled
    """``out = U^{-1} rhs`` with ``U = I - (strict upper triangle given by the CSR arrays)``."""
    for i in range(rhs.shape[0] - 1, -1, -1):
        s = rhs[i]
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * out[indices[k]]
        out[i] = s


@njit(cache=True, nogil=True, fastmath=_FM)
def _apply(lp, li, ld, up, ui, ud, p, t, q):  # pragma: no cover - compiled
    """``q = L^{-1} (I - K) U^{-1} p`` (``t`` is scratch); returns ``p · q``."""
    _backward(up, ui, ud, p, t)
    total = 0.0
    for i in range(p.shape[0]):
        s = p[i] - t[i]
        for k in range(lp[i], lp[i + 1]):
            s += ld[k] * q[li[k]]
        q[i] = s  # holds L^{-1}(p - t) for the rows still to come
    for i in range(p.shape[0]):
        q[i] += t[i]
        total += p[i] * q[i]
    return total


@njit(cache=True, nogil=True, fastmath=_FM)
def elimination_solve(
    lt_indptr, lt_indices, lt_data, pivot, lp, li, ld, up, ui, ud, core_scale,
    bound_weight, z, work, bound, max_iter,
):  # pragma: no cover - compiled
    """Solve ``M y = z`` in place (``z`` in position order); stop once
    ``sum(bound_weight * |s|)`` (a bound on the weighted L1 residual) is below ``bound``.
    ``work`` is scratch of at least ``6 * core size`` floats, passed in because allocating
    arrays this size here measured 50 µs each (fresh pages from the OS every call).
    Returns (core iterations, final bound)."""
    ne = pivot.shape[0]
    # forward: z <- (unit lower factor)^{-1} z, by columns: each eliminated z[p] is final once
    # the earlier ones are pushed, and is pushed into the later z[q] that depend on it. The same
    # arithmetic in the same order as reading the transpose by rows, but those rows gathered
    # from the eliminated positions at random (most of the vector), these scatter into the
    # core (a small part): 28.5 -> 8.4 ms on a 1.8M-node graph.
    for p in range(ne):
        zp = z[p]
        for k in range(lt_indptr[p], lt_indptr[p + 1]):
            z[lt_indices[k]] -= lt_data[k] * zp
    nc = core_scale.shape[0]
    b, s, w = work[:nc], work[nc : 2 * nc], work[2 * nc : 3 * nc]
    p, t, q = work[3 * nc : 4 * nc], work[4 * nc : 5 * nc], work[5 * nc : 6 * nc]
    for i in range(nc):
        b[i] = z[ne + i] / core_scale[i]
    _forward(lp, li, ld, b, s)
    rs = 0.0
    err = 0.0
    for i in range(nc):
        w[i] = 0.0
        p[i] = s[i]
        rs += s[i] * s[i]
        err += bound_weight[i] * abs(s[i])
    steps = 0
    while steps < max_iter and err >= bound:
        alpha = rs / _apply(lp, li, ld, up, ui, ud, p, t, q)
        rs_new = 0.0
        err = 0.0
        for i in range(nc):
            w[i] += alpha * p[i]
            s[i] -= alpha * q[i]
            rs_new += s[i] * s[i]
            err += bound_weight[i] * abs(s[i])
        beta = rs_new / rs
        for i in range(nc):
            p[i] = s[i] + beta * p[i]
        rs = rs_new
        steps += 1
    _backward(up, ui, ud, w, t)
    for i in range(nc):
        z[ne + i] = t[i] / core_scale[i]
    for r in range(ne - 1, -1, -1):
        acc = z[r] / pivot[r]
        for k in range(lt_indptr[r], lt_indptr[r + 1]):
            acc -= lt_data[k] * z[lt_indices[k]]
        z[r] = acc
    return steps, err


# The per-query passes around the solve, one compiled loop each: in numpy they were a dozen
# passes over the whole graph (copy, isfinite, min, max, two divisions, a sum before; a product,
# a scatter, a clip, a sum and a division after), ~20 ms of a 90 ms walk at 1.8M nodes.


@njit(cache=True, nogil=True)
def reset_summary(r):  # pragma: no cover - compiled
    """(position of the first negative, NaN or infinite entry or -1, largest entry, sum)."""
    peak = 0.0
    total = 0.0
    for i in range(r.shape[0]):
        v = r[i]
        if not (0.0 <= v <= 1.7976931348623157e308):
            return i, 0.0, 0.0
        total += v
        peak = max(peak, v)
    return -1, peak, total


@njit(cache=True, nogil=True)
def gather_reset(r, scale, nodes, sqrt_out, z):  # pragma: no cover - compiled
    """``z[p] = r[nodes[p]] * scale / sqrt_out[p]``: the right-hand side in position order."""
    for p in range(nodes.shape[0]):
        z[p] = r[nodes[p]] * scale / sqrt_out[p]


@njit(cache=True, nogil=True)
def scatter_walk(r, scale, nodes, sqrt_out, z, x):  # pragma: no cover - compiled
    """``x`` = the walk's distribution: every node starts at its reset mass ``r * scale`` (what
    a dangling node keeps, also one whose edges all weigh zero), the connected ones are then
    set to ``z * sqrt_out`` clipped at 0 (round-off can leave -1e-17 where the walk never
    reaches), and all are scaled to sum 1."""
    for i in range(x.shape[0]):
        x[i] = r[i] * scale
    for p in range(nodes.shape[0]):
        x[nodes[p]] = max(z[p] * sqrt_out[p], 0.0)
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i]
    inv = 1.0 / total
    for i in range(x.shape[0]):
        x[i] *= inv
