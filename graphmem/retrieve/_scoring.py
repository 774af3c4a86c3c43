"""Compiled query-time scoring kernels (numba, one core, no BLAS).

Why not ``matrix @ query`` in numpy: the fact matrix of a 6k-passage memory is 66 MB of float32,
so the product is bound by memory bandwidth (6 ms on one core here), and OpenBLAS's worker
threads, spinning after the call, fought torch's query-embedding threads and tripled the p95
latency. Scoring int8 codes reads a quarter of the bytes (measured ~1 ms); the few best
candidates are then rescored exactly in float32 (see :func:`graphmem.retrieve.linking.link_facts`).
The codes come from :func:`graphmem.graph.quantize.quantize_rows`.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def int8_scores(codes, scales, query):  # pragma: no cover - compiled
    """Approximate ``vectors @ query`` from int8 codes (error ≲ 1e-3 for unit vectors)."""
    n, d = codes.shape
    out = np.empty(n, np.float32)
    for i in range(n):
        acc = np.float32(0.0)
        for j in range(d):
            acc += np.float32(codes[i, j]) * query[j]
        out[i] = acc * scales[i]
    return out


@njit(cache=True, nogil=True, fastmath=True)
def f32_scores(matrix, query):  # pragma: no cover - compiled
    """``matrix @ query`` on one core."""
    n, d = matrix.shape
    out = np.empty(n, np.float32)
    for i in range(n):
        acc = np.float32(0.0)
        for j in range(d):
            acc += matrix[i, j] * query[j]
        out[i] = acc
    return out
