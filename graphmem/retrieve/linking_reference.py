"""Plain-Python reference for the mention linking of :mod:`graphmem.retrieve.linking`, written
to be obviously right: lists and loops only; the tests check the numpy versions against it."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["link_mentions_reference"]


def link_mentions_reference(
    candidates: Sequence[Sequence[float]], mentions: Sequence[Sequence[float]], threshold: float
) -> list[tuple[int, float]]:
    """For each mention: (row of the candidate with the largest dot product, the first of equal
    ones, or -1 when that product is below ``threshold``; the product)."""
    out: list[tuple[int, float]] = []
    for mention in mentions:
        best_row, best = -1, -math.inf
        for row, candidate in enumerate(candidates):
            score = math.fsum(a * b for a, b in zip(mention, candidate))
            if score > best:
                best_row, best = row, score
        if best_row < 0:
            out.append((-1, 0.0))
        else:
            out.append((best_row if best >= threshold else -1, best))
    return out
