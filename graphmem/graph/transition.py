"""The PPR transition data of one graph, built when the index refreshes (:func:`build_transition`).

Part of the index's data structure (:class:`graphmem.graph.index.GraphIndex` holds one); the
solvers that read it live in :mod:`graphmem.retrieve.ppr`, whose docstring gives the definition
and graph conventions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from graphmem.graph.deferral import Deferral, EliminationCost

if TYPE_CHECKING:
    from graphmem.graph.elimination import Elimination

__all__ = ["Transition", "build_transition"]

# Relative per-entry tolerance for the symmetry check: parallel edges summed in different orders
# may differ in the last bits, a genuinely directed matrix differs by far more.
_SYMMETRY_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class Transition:
    """What the solvers need about one graph, computed once by :func:`build_transition`.

    ``symmetric`` is ``D^{-1/2} A D^{-1/2}`` (CSR, float64) with its nodes renumbered by ``order``
    (position ``i`` holds node ``order[i]``; most-connected nodes first, which keeps the hub
    entries the matvec reads most in cache: measured 2.6x faster matvecs on the 2Wiki graph), and
    ``sqrt_out`` is ``sqrt(out)`` with 1 for dangling nodes: the previous full-graph
    conjugate-gradient solver solves with them, over ``cg_indptr``/``cg_indices``, the same
    structure in unsigned integers, and the fast path (the one retrieval uses) builds its
    :meth:`elimination` from them on first use. ``dangling`` holds the dangling nodes' indices
    (int64, ascending) and ``dangling_mask`` flags them.

    :attr:`matrix`, which only the power iteration reads, is built on first access from the
    cleaned adjacency kept in ``adjacency`` and the node weights ``out``, so an index refresh
    does not build it. Arrays are read-only so one instance can be shared by concurrent queries.
    """

    n: int
    dangling: np.ndarray
    dangling_mask: np.ndarray
    symmetric: sp.csr_matrix
    sqrt_out: np.ndarray
    order: np.ndarray
    cg_indptr: np.ndarray
    cg_indices: np.ndarray
    adjacency: sp.csr_matrix  # float64, duplicates summed, zeros dropped
    out: np.ndarray  # total weight per node
    exactly_symmetric: bool = False  # adjacency is its own transpose, bit for bit
    deferral: Deferral = field(default_factory=Deferral, repr=False)  # when to build (see there)
    _eliminations: dict[float, Elimination] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # apart:
    # a memo's build may solve, and the solve builds the elimination under ``_lock``

    def has_elimination(self, damping: float) -> bool:
        """Whether :meth:`elimination` for ``damping`` is built (so costs nothing more)."""
        return float(damping) in self._eliminations

    def elimination(self, damping: float) -> Elimination:
        """The low-degree elimination of ``I - damping * symmetric`` over the connected nodes
        (:mod:`graphmem.graph.elimination`), built on the first call for a damping (~0.1 s on
        the 2Wiki graph) and kept, for up to four dampings; thread-safe."""
        key = float(damping)
        found = self._eliminations.get(key)
        if found is not None:
            return found
        from graphmem.graph.elimination import build_elimination

        with self._lock:
            found = self._eliminations.get(key)
            if found is None:
                active = self.n - int(self.dangling.size)
                nodes = self.order[:active]
                started = time.perf_counter()
                found = build_elimination(
                    self.symmetric[:active, :active], nodes, self.sqrt_out[nodes], key
                )
                if len(self._eliminations) >= 4:
                    self._eliminations.pop(next(iter(self._eliminations)))
                self._eliminations[key] = found
                self.deferral.record_built(key, time.perf_counter() - started)
        return found

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``, run once per ``key`` for this graph and kept while the graph is (e.g. a
        solve whose reset does not depend on the query); thread-safe, at most eight keys."""
        found = self._memo.get(key)
        if found is not None:
            return found
        with self._memo_lock:
            found = self._memo.get(key)
            if found is None:
                found = build()
                if len(self._memo) >= 8:
                    self._memo.pop(next(iter(self._memo)))
                self._memo[key] = found
        return found

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """The CSR (float64) matrix ``P`` with ``P[v, u] = w(u, v) / out(u)``: the transpose of
        the row-normalized adjacency, so ``P @ x`` moves the mass ``x`` one step along the edges.
        Columns of dangling nodes are empty. Read-only; built on first access, then kept."""
        a = self.adjacency
        # p[v, u] = a[u, v]: CSR of the transpose, indices sorted
        p = a.copy() if self.exactly_symmetric else sp.csr_matrix(a.T)
        p.sort_indices()
        p.data /= self.out[p.indices]  # divide each entry by the out-weight of its source column
        p.data.setflags(write=False)
        p.indices.setflags(write=False)
        p.indptr.setflags(write=False)
        return p


def build_transition(
    adjacency: sp.spmatrix | sp.sparray, *, exactly_symmetric: bool = False,
    elimination_cost: EliminationCost | None = None,
) -> Transition:
    """Validate a symmetric weighted adjacency matrix and precompute its transition matrix.

    ``adjacency`` is n×n in any scipy sparse format, ``adjacency[u, v]`` the total weight between
    ``u`` and ``v`` (see :func:`graphmem.retrieve.ppr_reference.adjacency_from_edges`). Raises
    ``TypeError`` if it is not sparse, ``ValueError`` if it is not square, has NaN/infinite or
    negative entries, is not symmetric, or a node's total weight overflows. Explicitly stored
    zeros are ignored.

    ``exactly_symmetric``: the caller guarantees ``adjacency`` equals its transpose bit for bit
    (the index builds it as ``upper + upper.T``), so the symmetry check is skipped and the
    adjacency serves as its own transpose when :attr:`Transition.matrix` is built. The result is
    the same, array for array (tested).

    ``elimination_cost``: what building and solving with the elimination of this graph is
    expected to cost (the index passes its last graph's, scaled by size), which lets solves
    defer the build (:mod:`graphmem.graph.deferral`); None: nothing is deferred.
    """
    if not sp.issparse(adjacency):
        raise TypeError(
            f"adjacency must be a scipy sparse matrix, got {type(adjacency).__name__}"
        )
    if adjacency.ndim != 2 or adjacency.shape[0] != adjacency.shape[1]:
        raise ValueError(f"adjacency must be square, got shape {adjacency.shape}")
    n = int(adjacency.shape[0])
    a = sp.csr_matrix(adjacency, dtype=np.float64, copy=True)
    a.sum_duplicates()
    if not np.all(np.isfinite(a.data)):
        raise ValueError("adjacency contains NaN or infinite weights")
    if a.data.size and a.data.min() < 0:
        raise ValueError(f"adjacency contains negative weights (min {a.data.min():g})")
    a.eliminate_zeros()
    if not exactly_symmetric:
        _check_symmetric(a)

    with np.errstate(over="ignore"):  # reported as a ValueError just below
        out = np.asarray(a.sum(axis=1), dtype=np.float64).ravel()
    if not np.all(np.isfinite(out)):
        raise ValueError("adjacency row sums overflow float64; rescale the weights")
    dangling_mask = out == 0.0

    dangling = np.flatnonzero(dangling_mask).astype(np.int64)
    sqrt_out = np.sqrt(np.where(dangling_mask, 1.0, out))
    order = np.argsort(-np.diff(a.indptr), kind="stable").astype(np.int64)
    sym = _renumbered(a, order)
    rows = np.repeat(np.arange(n), np.diff(sym.indptr))
    scale = sqrt_out[order]
    sym.data /= scale[rows] * scale[sym.indices]
    cg_indptr = sym.indptr.astype(np.uint64)
    cg_indices = sym.indices.astype(np.uint32)
    for arr in (dangling, dangling_mask, sqrt_out, order, sym.data, cg_indptr, cg_indices, out):
        arr.setflags(write=False)
    return Transition(
        n=n, dangling=dangling, dangling_mask=dangling_mask, symmetric=sym,
        sqrt_out=sqrt_out, order=order, cg_indptr=cg_indptr, cg_indices=cg_indices,
        adjacency=a, out=out, exactly_symmetric=exactly_symmetric,
        deferral=Deferral(elimination_cost),
    )


def _renumbered(a: sp.csr_matrix, order: np.ndarray) -> sp.csr_matrix:
    """``a[order][:, order]`` with sorted indices: rows picked in ``order``, then each column
    index mapped to its new number and re-sorted within its row. The same matrix as the fancy
    indexing gives, without its argsort over every stored entry (~10 ms on the 2Wiki graph)."""
    rows = a[order]
    new_number = np.empty(len(order), dtype=rows.indices.dtype)
    new_number[order] = np.arange(len(order), dtype=rows.indices.dtype)
    out = sp.csr_matrix(
        (rows.data, new_number[rows.indices], rows.indptr), shape=a.shape, copy=False
    )
    out.has_sorted_indices = False
    out.sort_indices()
    return out


def _check_symmetric(a: sp.csr_matrix) -> None:
    """Raise ``ValueError`` unless ``a`` equals its transpose entrywise up to ``_SYMMETRY_RTOL``."""
    excess = abs(a - a.T) - _SYMMETRY_RTOL * (a + a.T)
    excess = sp.csr_matrix(excess)
    if excess.data.size and excess.data.max() > 0:
        rows, cols = (excess > 0).nonzero()
        u, v = int(rows[0]), int(cols[0])
        raise ValueError(
            "adjacency must be symmetric (undirected graph): "
            f"[{u}, {v}] = {a[u, v]:g} but [{v}, {u}] = {a[v, u]:g}"
        )
