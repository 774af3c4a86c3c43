"""Combining the walk's passage scores with dense scores, and seed-weight adjustments.

Ranking options of :class:`graphmem.config.RetrieveConfig` (the dense pin and hub damping are
on by default, the rest opt-in; the measurements are in that class's docstring):

* **score fusion** — ``alpha · minmax(ppr) + (1 − alpha) · minmax(dense)``;
* **reciprocal-rank fusion** — ``alpha / (k + rank_ppr) + (1 − alpha) / (k + rank_dense)``,
  ranks from 1, ties in a ranking broken by the lower passage index (as everywhere in retrieval);
* **dense pin** — dense's best passage goes first when its cosine leads the runner-up by at least
  a margin (a confident dense answer is kept at rank 1, the walk orders the rest);
* **seed-weight adjustments** — hub damping (divide by ``1 + ln(passage count)``) and a scale for
  dates, times and names without letters.

Vectorised numpy; :mod:`graphmem.retrieve.fusion_reference` spells each out in plain Python.
"""

from __future__ import annotations

import math

import numpy as np

from graphmem.retrieve.linking import min_max, top_k_indices

__all__ = [
    "FUSIONS",
    "NUMERIC_KINDS",
    "fuse",
    "hub_factor",
    "is_numeric_entity",
    "ordinal_ranks",
    "pin_dense_top",
    "rrf_scores",
    "score_fusion",
]

FUSIONS = ("none", "score", "rrf")
"""Valid values of ``RetrieveConfig.fusion``."""
NUMERIC_KINDS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})
"""Entity kinds (spaCy NER labels) that name a number or a time rather than a thing."""


def is_numeric_entity(name: str, kind: str) -> bool:
    """Whether an entity is a date, time or number: a kind of :data:`NUMERIC_KINDS`, or a name
    with no letter in any script ("1995", "12/3")."""
    return kind in NUMERIC_KINDS or not any(ch.isalpha() for ch in name)


def hub_factor(passage_count: int) -> float:
    """Hub damping: ``1 / (1 + ln(count))`` (1 for an entity in one passage or none)."""
    return 1.0 / (1.0 + math.log(max(passage_count, 1)))


def ordinal_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of every item from 1 (highest score first; equal scores: lower index first)."""
    order = np.lexsort((np.arange(scores.size), -scores))
    ranks = np.empty(scores.size, dtype=np.int64)
    ranks[order] = np.arange(1, scores.size + 1)
    return ranks


def score_fusion(ppr: np.ndarray, dense: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha · minmax(ppr) + (1 − alpha) · minmax(dense)``."""
    return alpha * min_max(ppr) + (1.0 - alpha) * min_max(dense)


def rrf_scores(ppr: np.ndarray, dense: np.ndarray, alpha: float, k: float) -> np.ndarray:
    """Weighted reciprocal-rank fusion of the two rankings."""
    return alpha / (k + ordinal_ranks(ppr)) + (1.0 - alpha) / (k + ordinal_ranks(dense))


def fuse(ppr: np.ndarray, dense: np.ndarray, method: str, alpha: float, k: float) -> np.ndarray:
    """Final passage scores for ``method`` (one of :data:`FUSIONS`; "none" returns ``ppr``)."""
    if method == "none":
        return ppr
    if method == "score":
        return score_fusion(ppr, dense, alpha)
    if method == "rrf":
        return rrf_scores(ppr, dense, alpha, k)
    raise ValueError(f"unknown fusion {method!r}; valid: {', '.join(FUSIONS)}")


def pin_dense_top(order: np.ndarray, dense: np.ndarray, margin: float) -> np.ndarray:
    """``order`` (passage positions, best first) with dense's best passage moved to the front
    when its cosine exceeds the second best by at least ``margin``; unchanged otherwise (and
    for fewer than two passages). The result keeps ``len(order)`` entries."""
    if dense.size < 2 or order.size == 0 or not math.isfinite(margin):
        return order
    first, second = top_k_indices(dense, 2).tolist()
    if not np.isfinite(dense[first]):  # nothing may be returned (a filter left no passage)
        return order
    if np.isfinite(dense[second]) and dense[first] - dense[second] < margin:
        return order
    rest = order[order != first]
    return np.concatenate([[first], rest])[: order.size].astype(order.dtype)
