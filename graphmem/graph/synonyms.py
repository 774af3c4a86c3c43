"""Synonym edges between entity nodes whose name embeddings are close (HippoRAG's synonymy edges).

Only new entities are compared, against the existing ones and each other, in blocks: adding k
entities to a memory of n costs O(k·n·d), never the O(n²·d) all-pairs pass of a rebuild.

What is guaranteed (issue 15): a write links its new entities against every entity committed
before it, computed inside its write transaction (:func:`graphmem.graph.builder.resolve_batch`
under :meth:`Store.writing`, on SQLite and PostgreSQL alike), so writes from any number of
processes, however they overlap, end with exactly the edges of the same writes run one after the
other in commit order (tests/store/test_synonym_overlap.py). Not guaranteed: one edge set for a
given final content whatever the order, which even a single writer does not have
(tests/graph/test_synonym_order.py):

* ``top_k`` keeps the closest targets of each *new* entity among those stored before it, so
  which end of a pair arrived last decides whether the pair is kept once more than ``top_k``
  targets pass ``threshold``;
* a name's vector depends in its last digits (up to ~2e-3 per component with MiniLM) on the
  texts embedded in the same call (padding), and only the batch that first stores a name
  embeds it, so pairs within that margin of ``threshold`` come and go with the batching.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 1024


def synonym_pairs(
    new: np.ndarray,
    existing: np.ndarray,
    *,
    rows: np.ndarray | None = None,
    threshold: float = 0.8,
    top_k: int = 100,
) -> list[tuple[int, int, float]]:
    """Pairs of (new row, target, cosine) with cosine >= ``threshold``, at most ``top_k`` per new row.

    Rows must be unit-norm. The existing targets are the rows of ``existing``, or with ``rows``
    those rows of it (``existing[rows]``, never copied: on the 2Wiki memory that copy of 50k
    vectors was most of an add's synonym step). A target ``t < n_old`` (the number of existing
    targets) is existing target ``t``; a target ``t >= n_old`` is new row ``t - n_old``. Each
    new–new pair appears once (the earlier new row is the source). Scores are Python floats.
    """
    if new.ndim != 2 or existing.ndim != 2 or (len(existing) and new.shape[1] != existing.shape[1]):
        raise ValueError(f"shape mismatch: new {new.shape}, existing {existing.shape}")
    n_old, n_new = (len(existing) if rows is None else len(rows)), len(new)
    if n_new == 0:
        return []
    out: list[tuple[int, int, float]] = []
    for start in range(0, n_new, _BLOCK):
        block = new[start : start + _BLOCK]
        old = block @ existing.T if n_old else np.zeros((len(block), 0), dtype=new.dtype)
        sims = np.hstack([old if rows is None else old[:, rows], block @ new.T])
        rows = np.arange(len(block))
        # Only pairs with a later new row (and never a row with itself).
        for r in rows:
            sims[r, : n_old + start + r + 1][n_old:] = -np.inf
        for r in rows:
            row = sims[r]
            hits = np.flatnonzero(row >= threshold)
            if hits.size == 0:
                continue
            if hits.size > top_k:
                hits = hits[np.argsort(-row[hits], kind="stable")[:top_k]]
            out.extend((int(start + r), int(t), float(row[t])) for t in hits)
    return out


def synonym_pairs_reference(
    new: np.ndarray, existing: np.ndarray, *, threshold: float = 0.8, top_k: int = 100
) -> list[tuple[int, int, float]]:
    """Plain all-pairs version of :func:`synonym_pairs`, for tests."""
    n_old = len(existing)
    everything = list(existing) + list(new)
    out: list[tuple[int, int, float]] = []
    for i, v in enumerate(new):
        cands = []
        for t, w in enumerate(everything):
            if t >= n_old and t - n_old <= i:
                continue
            s = float(np.dot(v, w))
            if s >= threshold:
                cands.append((-s, t))
        cands.sort()
        out.extend((i, t, -s) for s, t in cands[:top_k])
    return out
