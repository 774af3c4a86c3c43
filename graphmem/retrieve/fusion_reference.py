"""Plain-Python references for :mod:`graphmem.retrieve.fusion`, written to be obviously right.

Lists and loops only; the tests check the vectorised versions against these on random inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "min_max_reference",
    "pin_dense_top_reference",
    "ranks_reference",
    "rrf_reference",
    "score_fusion_reference",
]


def min_max_reference(scores: Sequence[float]) -> list[float]:
    """Scale to [0, 1]; all equal → all 1.0 (as :func:`graphmem.retrieve.linking.min_max`)."""
    lo, hi = min(scores), max(scores)
    if hi - lo <= 1e-12:
        return [1.0 for _ in scores]
    return [(s - lo) / (hi - lo) for s in scores]


def ranks_reference(scores: Sequence[float]) -> list[int]:
    """Rank from 1 of each item: 1 + the number of items that come before it (a higher score,
    or an equal score at a lower index)."""
    out = []
    for i, s in enumerate(scores):
        before = sum(1 for j, t in enumerate(scores) if t > s or (t == s and j < i))
        out.append(1 + before)
    return out


def score_fusion_reference(
    ppr: Sequence[float], dense: Sequence[float], alpha: float
) -> list[float]:
    p, d = min_max_reference(ppr), min_max_reference(dense)
    return [alpha * a + (1.0 - alpha) * b for a, b in zip(p, d, strict=True)]


def rrf_reference(
    ppr: Sequence[float], dense: Sequence[float], alpha: float, k: float
) -> list[float]:
    rp, rd = ranks_reference(ppr), ranks_reference(dense)
    return [alpha / (k + a) + (1.0 - alpha) / (k + b) for a, b in zip(rp, rd, strict=True)]


def pin_dense_top_reference(order: Sequence[int], dense: Sequence[float], margin: float) -> list[int]:
    if len(dense) < 2 or not order or not math.isfinite(margin):
        return list(order)
    by_dense = sorted(range(len(dense)), key=lambda c: (-dense[c], c))
    first, second = by_dense[0], by_dense[1]
    if dense[first] - dense[second] < margin:
        return list(order)
    return ([first] + [c for c in order if c != first])[: len(order)]
