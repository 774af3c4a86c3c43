"""Exact elimination of low-degree nodes from the PPR system, built once per graph and damping.

The fast PPR path (:func:`graphmem.retrieve.ppr.personalized_pagerank`) solves
``M y = b`` with ``M = I - d·S``, ``S = D^{-1/2} A D^{-1/2}`` over the connected nodes. Most nodes
of a knowledge graph have very few neighbours (on the 2Wiki memory 23,138 of 52,897 connected
nodes have two), and a node whose neighbours are not eliminated at the same time can be solved
for exactly in terms of them: for an independent set ``I`` (no edge inside it, so ``M_II`` is
diagonal), ``y_I = M_II^{-1} (b_I - M_IC y_C)`` and the rest satisfies the Schur complement system
``(M_CC - M_CI M_II^{-1} M_IC) y_C = b_C - M_CI M_II^{-1} b_I``. Removing a node of degree
``k`` removes its ``2k`` matrix entries and adds at most ``k (k - 1)`` between its neighbours, so
for ``k <= 3`` the system never grows. Repeating this on the complement (levels) leaves a small
*core* for the iterative solver; the eliminated nodes cost one pass over their entries before it
(forward) and one after (backward), instead of one pass per iteration.

This is a partial sparse LDLᵀ factorization in an order chosen level by level. The Schur
complement of a symmetric positive definite matrix has its eigenvalues inside ``M``'s range
``[1 - d, 1 + d]``, so the core is at least as well conditioned as ``M``. Its diagonal is scaled
to 1 (``I - K = W^{-1/2} C W^{-1/2}``), and ``K`` is kept as its strictly lower and strictly
upper triangles, which the symmetric Gauss-Seidel preconditioned solver
(:mod:`graphmem.retrieve._ppr_elim`) sweeps forward and backward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Elimination", "build_elimination"]

# Eliminate nodes with at most this many neighbours (in the graph left by earlier levels): at 3
# the system never grows. On the 2Wiki graph 2, 3 and 4 left cores of 26,252, 18,091 and 13,906
# nodes (186k entries at 3, 178k at 4 plus more eliminated entries); 3 and 4 timed within the
# shared machine's noise of each other, 2 slower.
MAX_DEGREE = 3
# Stop adding levels once one would remove fewer than this share of the remaining nodes.
MIN_LEVEL_SHARE = 0.01


@dataclass(frozen=True, eq=False)
class Elimination:
    """The eliminated part and the core of ``M = I - d·S`` for one damping ``d``.

    Positions: ``nodes[p]`` is the graph node at position ``p`` (connected nodes only);
    positions ``0 .. n_eliminated - 1`` are the eliminated nodes in elimination order, the rest
    the core.
    Row ``p`` of the CSR arrays ``lt_indptr``/``lt_indices``/``lt_data`` holds, for eliminated
    position ``p``, the entries ``M'[p, q] / M'[p, p]`` of the matrix ``M'`` left when ``p`` was
    eliminated (every ``q > p``), and ``pivot[p] = M'[p, p]``. ``M'`` is symmetric, so the
    forward pass reads the same rows, pushing each ``z[p]`` into the later ``z[q]``. The core
    matrix (rows and columns numbered from 0 at position ``n_eliminated``) is
    ``C = diag(c) (I - K) diag(c)`` with ``c = core_scale`` (the square root of its diagonal); ``lower_*`` and ``upper_*`` are the
    CSR arrays of ``K``'s strictly lower and strictly upper triangles. ``bound_weight[j]`` is
    ``v_j + sum_{i > j} v_i |K_ij|`` with ``v = sqrt(out) * core_scale`` over the core: the
    solver's stopping test multiplies its preconditioned residual by it to bound the true
    residual (see :mod:`graphmem.retrieve._ppr_elim`). Arrays are read-only.
    """

    damping: float
    nodes: np.ndarray  # int64: the graph node at each position
    sqrt_out: np.ndarray  # sqrt(out) of the node at each position
    n_eliminated: int
    pivot: np.ndarray
    lt_indptr: np.ndarray  # uint64
    lt_indices: np.ndarray  # uint32, positions
    lt_data: np.ndarray  # M'[p, q] / pivot[p]
    lower_indptr: np.ndarray  # uint64
    lower_indices: np.ndarray  # uint32, core-local
    lower_data: np.ndarray
    upper_indptr: np.ndarray
    upper_indices: np.ndarray
    upper_data: np.ndarray
    core_scale: np.ndarray  # sqrt of the core's diagonal
    bound_weight: np.ndarray

    @property
    def n_core(self) -> int:
        return int(self.core_scale.size)


def _independent_low_degree(m: sp.csr_matrix, max_degree: int) -> np.ndarray:
    """Boolean mask of an independent set of nodes with at most ``max_degree`` neighbours: a
    candidate is taken when its key (degree, then index) is smaller than every candidate
    neighbour's, so no two taken nodes are adjacent. ``m`` has its diagonal stored explicitly."""
    n = m.shape[0]
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    off = rows != m.indices
    degree = np.bincount(rows[off], minlength=n)
    candidate = degree <= max_degree
    key = degree.astype(np.float64) * n + np.arange(n)
    key[~candidate] = np.inf
    neighbour_key = np.where(off, key[m.indices], np.inf)
    lowest = np.full(n, np.inf)  # per row, by segments of the CSR order (np.minimum.at: 1.8 s
    filled = np.diff(m.indptr) > 0  # at 1.8M nodes)
    if neighbour_key.size:
        lowest[filled] = np.minimum.reduceat(neighbour_key, m.indptr[:-1][filled])
    return candidate & (key < lowest)


def build_elimination(
    symmetric: sp.csr_matrix, nodes: np.ndarray, sqrt_out: np.ndarray, damping: float
) -> Elimination:
    """Eliminate levels of independent low-degree nodes from ``I - damping * symmetric``.

    ``symmetric`` is ``S`` over the connected nodes only (CSR, symmetric), its row ``i`` being
    graph node ``nodes[i]`` with ``sqrt(out) = sqrt_out[i]``. Deterministic: the same input
    gives the same arrays.
    """
    n = symmetric.shape[0]
    m = (sp.identity(n, format="csr") - damping * symmetric).tocsr()
    m.sum_duplicates()
    m.sort_indices()
    alive = np.arange(n)  # original index of each row of m
    rows_i: list[np.ndarray] = []  # per eliminated node (original ids), in order
    pivots: list[np.ndarray] = []
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # M'[I, C] per level: rows
    # in level order, columns as original ids, values
    while m.shape[0]:
        take = _independent_low_degree(m, MAX_DEGREE)
        count = int(take.sum())
        if count == 0 or (count < MIN_LEVEL_SHARE * m.shape[0] and count < m.shape[0]):
            break
        i_idx, c_idx = np.flatnonzero(take), np.flatnonzero(~take)
        pivot = m.diagonal()[i_idx]
        m_ic = m[i_idx][:, c_idx].tocoo()
        rows_i.append(alive[i_idx])
        pivots.append(pivot)
        entries.append((m_ic.row, alive[c_idx][m_ic.col], m_ic.data))
        m_ci = m[c_idx][:, i_idx].tocsr()
        scaled = m_ci.copy()  # m_ci @ diag(1 / pivot), the same products without a matmul
        scaled.data = scaled.data * (1.0 / pivot)[scaled.indices]
        m = (m[c_idx][:, c_idx] - scaled @ m_ci.T).tocsr()
        m.sum_duplicates()
        m.eliminate_zeros()
        m.sort_indices()
        alive = alive[c_idx]

    eliminated = np.concatenate(rows_i) if rows_i else np.zeros(0, dtype=np.int64)
    n_elim = int(eliminated.size)
    position = np.empty(n, dtype=np.int64)
    position[eliminated] = np.arange(n_elim)
    position[alive] = n_elim + np.arange(alive.size)

    lt_rows, lt_cols, lt_vals, start = [], [], [], 0
    for level_rows, (e_row, e_col, e_val) in zip(rows_i, entries):
        lt_rows.append(start + e_row)
        lt_cols.append(position[e_col])
        lt_vals.append(e_val)
        start += level_rows.size
    lt = sp.csr_matrix(
        (
            np.concatenate(lt_vals) if lt_vals else np.zeros(0),
            (
                np.concatenate(lt_rows) if lt_rows else np.zeros(0, dtype=np.int64),
                np.concatenate(lt_cols) if lt_cols else np.zeros(0, dtype=np.int64),
            ),
        ),
        shape=(n_elim, n),
    )
    lt.sum_duplicates()
    lt.sort_indices()
    pivot_all = np.concatenate(pivots) if pivots else np.zeros(0)
    lt.data = lt.data / np.repeat(pivot_all, np.diff(lt.indptr))

    diag = m.diagonal()
    scale = np.sqrt(diag)
    core = sp.csr_matrix(m, copy=True)
    core.setdiag(0.0)
    core.eliminate_zeros()
    core.sort_indices()
    rows = np.repeat(np.arange(core.shape[0]), np.diff(core.indptr))
    core.data = -core.data / (scale[rows] * scale[core.indices])
    lower, upper = sp.tril(core, -1, format="csr"), sp.triu(core, 1, format="csr")
    lower.sort_indices()
    upper.sort_indices()
    v = np.asarray(sqrt_out, dtype=np.float64)[alive] * scale
    lower_coo = lower.tocoo()
    bound_weight = v + np.bincount(
        lower_coo.col, weights=v[lower_coo.row] * np.abs(lower_coo.data), minlength=v.size
    )

    at = np.empty(n, dtype=np.int64)
    at[position] = np.arange(n)
    arrays = {
        "nodes": np.asarray(nodes, dtype=np.int64)[at],
        "sqrt_out": np.asarray(sqrt_out, dtype=np.float64)[at],
        "pivot": pivot_all,
        "lt_indptr": lt.indptr.astype(np.uint64),
        "lt_indices": lt.indices.astype(np.uint32),
        "lt_data": lt.data,
        "lower_indptr": lower.indptr.astype(np.uint64),
        "lower_indices": lower.indices.astype(np.uint32),
        "lower_data": lower.data,
        "upper_indptr": upper.indptr.astype(np.uint64),
        "upper_indices": upper.indices.astype(np.uint32),
        "upper_data": upper.data,
        "core_scale": scale,
        "bound_weight": bound_weight,
    }

    for arr in arrays.values():
        arr.setflags(write=False)
    return Elimination(damping=float(damping), n_eliminated=n_elim, **arrays)
