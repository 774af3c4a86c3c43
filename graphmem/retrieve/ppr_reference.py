"""The plain reference Personalized PageRank and the edge-list helpers the tests build graphs with.

Same definition and conventions as :mod:`graphmem.retrieve.ppr` (see its docstring): undirected
edges, self-loops counted once, parallel edges summed, dangling mass sent by the reset vector.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from graphmem.retrieve.ppr import _check_params

__all__ = ["adjacency_from_edges", "personalized_pagerank_reference"]


def personalized_pagerank_reference(
    n: int,
    edges: Iterable[tuple[int, int, float]],
    reset: Sequence[float],
    *,
    damping: float = 0.5,
    tol: float = 1e-12,
    max_iter: int = 1000,
) -> list[float]:
    """Plain-Python Personalized PageRank, written to be obviously correct rather than fast.

    Same definition, conventions, reset handling and errors as :func:`personalized_pagerank`, but
    the graph is given as ``n`` and undirected weighted ``edges`` and every step is spelled out
    with lists and dicts: walk mass along edges, collect the mass of dangling nodes, hand the
    teleport plus dangling mass out by ``reset``. Meant for tests and small graphs only.
    """
    damping, tol, max_iter = _check_params(damping, tol, max_iter)
    n = _check_n(n)
    neighbours = _neighbour_weights(n, edges)
    out = [sum(row.values()) for row in neighbours]

    values = [float(v) for v in reset]
    if n == 0 and not values:
        return []
    if not values:
        values = [0.0] * n
    if len(values) != n:
        raise ValueError(f"reset has length {len(values)} but the graph has {n} nodes")
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise ValueError(f"reset contains NaN or infinite entries (reset[{i}] = {v})")
    for i, v in enumerate(values):
        if v < 0:
            raise ValueError(f"reset contains negative entries (reset[{i}] = {v:g})")
    total = math.fsum(values)
    r = [v / total for v in values] if total > 0 else [1.0 / n] * n

    x = list(r)
    for _ in range(max_iter):
        new = [0.0] * n
        dangling_mass = 0.0
        for u in range(n):
            if out[u] == 0:
                dangling_mass += x[u]
                continue
            for v, w in neighbours[u].items():
                new[v] += damping * x[u] * w / out[u]
        jump = (1.0 - damping) + damping * dangling_mass
        new = [new[i] + jump * r[i] for i in range(n)]
        change = sum(abs(new[i] - x[i]) for i in range(n))
        x = new
        if change < tol:
            break
    else:
        warnings.warn(
            f"personalized_pagerank_reference did not converge in {max_iter} iterations",
            RuntimeWarning,
            stacklevel=2,
        )
    total = math.fsum(x)
    return [v / total for v in x]


def _check_n(n: int) -> int:
    """``n`` must be a non-negative integer (node count)."""
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"n must be an integer node count, got {n!r}") from None
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return n


def _validated_edges(
    n: int, edges: Iterable[tuple[int, int, float]]
) -> list[tuple[int, int, float]]:
    """Check every edge: integer endpoints in ``[0, n)`` and a finite non-negative weight."""
    checked: list[tuple[int, int, float]] = []
    for k, edge in enumerate(edges):
        try:
            u_raw, v_raw, w_raw = edge
            u, v, w = operator.index(u_raw), operator.index(v_raw), float(w_raw)
        except (TypeError, ValueError):
            raise ValueError(
                f"edge {k} must be (int u, int v, float weight), got {edge!r}"
            ) from None
        if not (0 <= u < n and 0 <= v < n):
            raise ValueError(f"edge {k} = {edge!r} has an endpoint outside [0, {n})")
        if not math.isfinite(w):
            raise ValueError(f"edge {k} = {edge!r} has a NaN or infinite weight")
        if w < 0:
            raise ValueError(f"edge {k} = {edge!r} has a negative weight")
        checked.append((u, v, w))
    return checked


def _neighbour_weights(n: int, edges: Iterable[tuple[int, int, float]]) -> list[dict[int, float]]:
    """Per node, total weight to each neighbour.

    Both directions per edge, self-loops once, parallel edges summed.
    """
    neighbours: list[dict[int, float]] = [{} for _ in range(n)]
    for u, v, w in _validated_edges(n, edges):
        neighbours[u][v] = neighbours[u].get(v, 0.0) + w
        if u != v:
            neighbours[v][u] = neighbours[v].get(u, 0.0) + w
    return neighbours


def adjacency_from_edges(n: int, edges: Iterable[tuple[int, int, float]]) -> sp.csr_matrix:
    """Symmetric n×n CSR adjacency (float64) from undirected weighted edges ``(u, v, w)``.

    ``w`` is added at ``[u, v]`` and ``[v, u]``; a self-loop adds ``w`` once at ``[u, u]``;
    parallel edges are summed. Raises ``ValueError`` for endpoints outside ``[0, n)`` or
    NaN/infinite/negative weights.
    """
    n = _check_n(n)
    checked = _validated_edges(n, edges)
    if not checked:
        return sp.csr_matrix((n, n), dtype=np.float64)
    u = np.fromiter((e[0] for e in checked), dtype=np.int64, count=len(checked))
    v = np.fromiter((e[1] for e in checked), dtype=np.int64, count=len(checked))
    w = np.fromiter((e[2] for e in checked), dtype=np.float64, count=len(checked))
    off = u != v
    rows = np.concatenate([u, v[off]])
    cols = np.concatenate([v, u[off]])
    data = np.concatenate([w, w[off]])
    a = sp.csr_matrix(sp.coo_matrix((data, (rows, cols)), shape=(n, n)))
    a.sum_duplicates()
    return a
