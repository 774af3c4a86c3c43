"""Synonym edges of new entities with candidates from the entity ANN index (issue 14).

:func:`graphmem.graph.synonyms.synonym_pairs` scans every new entity against every stored one,
so a bulk import of N entities costs O(N²·d): at 10^5 passages it was the largest part of the
import, and its growth exponent measured 2.0 (benchmarks/results/scale.json). Above
``GraphConfig.synonym_ann_min_rows`` synonym-eligible stored entities, the builder asks the
entity table's HNSW graph (:mod:`graphmem.graph.ann`) for each new entity's nearest stored rows
instead, scores them exactly (float64 dot products of the two vectors, as the exact scan does)
and asks for more while the farthest one fetched still passes the threshold. Pairs among the new
entities come from the exact scan (a batch is small). The result is the exact scan's whenever
the graph returns every stored row above the threshold among its nearest (tested equal on a
seeded set, tests/graph/test_synonyms_ann.py); a row the graph cannot serve is scanned exactly.
"""

from __future__ import annotations

import numpy as np

from graphmem.graph.ann import MAX_FETCH, TableAnn
from graphmem.graph.synonyms import synonym_pairs

__all__ = ["FETCH", "synonym_pairs_ann"]

FETCH = 16
"""Stored candidates asked for first per new entity (four times more while all pass)."""


def synonym_pairs_ann(
    new: np.ndarray,
    ann: TableAnn,
    ids: np.ndarray,
    existing: np.ndarray,
    rows: np.ndarray,
    *,
    threshold: float,
    top_k: int,
) -> list[tuple[int, int, float]]:
    """:func:`~graphmem.graph.synonyms.synonym_pairs` ``(new, existing, rows=rows, ...)`` with
    the stored candidates from ``ann``, synced to the table of ``ids`` and ``existing``
    (``rows``: the eligible rows of it, ascending). Same targets and order of the result."""
    n_old, n_new = len(rows), len(new)
    if n_new == 0:
        return []
    target_of = np.full(len(ids), -1, dtype=np.intp)
    target_of[rows] = np.arange(n_old)
    allowed = target_of >= 0
    among_new: dict[int, list[tuple[int, float]]] = {}
    for i, t, s in synonym_pairs(new, existing[:0], threshold=threshold, top_k=n_new):
        among_new.setdefault(i, []).append((n_old + t, s))
    out: list[tuple[int, int, float]] = []
    for i in range(n_new):
        v = new[i].astype(np.float64)
        found = _stored(ann, ids, existing, rows, target_of, allowed, v, threshold) if n_old else []
        hits = found + among_new.get(i, [])
        if not hits:
            continue
        hits.sort()  # by target, as the exact scan lists them
        t_arr = np.array([t for t, _ in hits])
        s_arr = np.array([s for _, s in hits])
        if len(hits) > top_k:
            best = np.argsort(-s_arr, kind="stable")[:top_k]
            t_arr, s_arr = t_arr[best], s_arr[best]
        out.extend((i, int(t), float(s)) for t, s in zip(t_arr, s_arr))
    return out


def _stored(
    ann: TableAnn,
    ids: np.ndarray,
    existing: np.ndarray,
    rows: np.ndarray,
    target_of: np.ndarray,
    allowed: np.ndarray,
    v: np.ndarray,
    threshold: float,
) -> list[tuple[int, float]]:
    """(target, exact score) of the stored eligible rows at or above ``threshold`` for ``v``."""
    count = min(FETCH, len(rows))
    query = v.astype(np.float32)
    while True:
        pos = ann.candidates(ids, query, count, allowed=allowed, fetch=count)
        if pos is None:  # the graph cannot serve this row: scan it exactly
            pos = rows
            count = len(rows)
        scores = np.array([np.dot(v, existing[p].astype(np.float64)) for p in pos])
        if len(pos) >= len(rows) or scores.min() < threshold or count >= MAX_FETCH:
            keep = scores >= threshold
            return [(int(target_of[p]), float(s)) for p, s in zip(pos[keep], scores[keep])]
        count = min(4 * count, len(rows), MAX_FETCH)
