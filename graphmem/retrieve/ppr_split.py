"""The eliminated solve of :func:`graphmem.retrieve.ppr.personalized_pagerank` on two threads.

On a graph of millions of nodes most of a walk's time goes to passes over every node that do
not iterate: gathering the reset, pushing it through the eliminated levels, back substitution
and spreading the result (on the 1.8M-node graph of the 10^6 synthetic memory ~35 of ~75 ms;
the core's conjugate gradients, whose sweeps are sequential, take the rest). Each of those
passes splits in two without changing a single operation's inputs or order:

- gather, spread and scale touch each position once: halves by position;
- a level's forward pushes go from its rows to later positions; the rows of one level never
  point at each other, so one thread pushes into the targets below the level's
  ``forward_split`` and the other into the rest, each reading every row of the level, and each
  target receives its updates in the order one thread would give them;
- back substitution of a level reads only later positions: halves of its rows.

So the result is bit-identical to the one-thread solve (tested). The sum that scales the result
stays on one thread, in index order, for the same reason."""

from __future__ import annotations

import numpy as np

from graphmem.graph.elimination import Elimination
from graphmem.retrieve._ppr_elim import (
    backward_rows,
    core_solve,
    fill_reset,
    fill_walk,
    forward_rows,
    gather_reset,
    scale_range,
    total,
)
from graphmem.retrieve.threads import in_two

__all__ = ["split_solve"]

_NAME = "graphmem-ppr-half"


def split_solve(
    e: Elimination, r: np.ndarray, scale: float, work: np.ndarray, bound: float, max_iter: int,
    x: np.ndarray,
) -> tuple[int, float]:
    """The solve of ``personalized_pagerank`` with ``r * scale`` as reset, written to ``x``
    (length ``r.size``): gather, eliminated levels and spreading in two halves, the second on a
    thread of its own. ``work`` is the scratch of the one-thread path (positions, then the
    core's six vectors). Returns (core iterations, final bound)."""
    size, ne = e.nodes.size, e.n_eliminated
    z, core_work = work[:size], work[size:]
    half, n = size // 2, x.size
    fwd = (e.lt_indptr, e.lt_indices, e.lt_data)
    back = (e.lt_indptr, e.lt_indices, e.lt_data, e.pivot)
    gather = (r, scale, e.nodes, e.sqrt_out, z)
    in_two(gather_reset, (*gather, 0, half), (*gather, half, size), _NAME)
    starts = e.level_starts
    for level in range(starts.size - 1):
        a, b, cut = int(starts[level]), int(starts[level + 1]), int(e.forward_split[level])
        in_two(forward_rows, (*fwd, a, b, 0, cut, z), (*fwd, a, b, cut, size, z), _NAME)
    result = core_solve(
        e.lower_indptr, e.lower_indices, e.lower_data, e.upper_indptr, e.upper_indices,
        e.upper_data, e.core_scale, e.bound_weight, z, ne, core_work, bound, max_iter,
    )
    for level in range(starts.size - 2, -1, -1):
        a, b = int(starts[level]), int(starts[level + 1])
        middle = (int(e.lt_indptr[a]) + int(e.lt_indptr[b])) // 2  # halves of its entries
        mid = min(max(a + int(np.searchsorted(e.lt_indptr[a : b + 1], middle)), a), b)
        in_two(backward_rows, (*back, a, mid, z), (*back, mid, b, z), _NAME)
    in_two(fill_reset, (r, scale, x, 0, n // 2), (r, scale, x, n // 2, n), _NAME)
    walk = (e.nodes, e.sqrt_out, z, x)
    in_two(fill_walk, (*walk, 0, half), (*walk, half, size), _NAME)
    factor = 1.0 / total(x)
    in_two(scale_range, (x, factor, 0, n // 2), (x, factor, n // 2, n), _NAME)
    return result
