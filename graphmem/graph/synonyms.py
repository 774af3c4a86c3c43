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
_BUFFER = 1 << 24  # scores held at once against the existing rows (64 MB of float32)

# Kinds excluded from synonym edges: their names embed close together whatever they denote
# ("march 29, 1966" vs "june 20, 1966" score 0.94 with MiniLM), which on the 2Wiki corpus made
# dates the majority of all synonym edges and joined unrelated passages.
NO_SYNONYM_KINDS = frozenset({"DATE", "TIME"})


def synonym_eligible(name: str, kind: str) -> bool:
    """Whether an entity takes part in synonym edges: not a date/time, and spelled with letters
    (in any script), since numbers alone say nothing about identity."""
    return kind not in NO_SYNONYM_KINDS and any(ch.isalpha() for ch in name)


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
    floor = threshold - _MARGIN
    n_all = len(existing)  # rows of ``existing``; with ``rows`` only some of them are targets
    target_of = None
    if rows is not None and n_all:
        target_of = np.full(n_all, -1, dtype=np.intp)
        target_of[rows] = np.arange(len(rows))
    # the scores against every existing row go into one buffer reused by every block (and the
    # block shrinks as the store grows): fresh temporaries of a block x store size, allocated
    # per block, were most of a bulk import's synonym step on this VM (first touches of
    # memory are slow here), and so was the column copy ``old[:, rows]``
    step = max(1, min(_BLOCK, _BUFFER // max(n_all, 1)))
    score_buf = np.empty((min(step, n_new), n_all), dtype=np.result_type(new, existing))
    passing = np.empty(score_buf.shape, dtype=bool)
    for start in range(0, n_new, step):
        block = new[start : start + step]
        # candidates over the whole block at once (row-major order: by row, then target)
        if n_all:
            old = np.matmul(block, existing.T, out=score_buf[: len(block)])
            r_old, t_old = np.nonzero(np.greater_equal(old, floor, out=passing[: len(block)]))
            if target_of is not None:
                t_old = target_of[t_old]
                r_old, t_old = r_old[t_old >= 0], t_old[t_old >= 0]
        else:
            r_old = t_old = np.zeros(0, dtype=np.intp)
        # only pairs with a later new row (and never a row with itself)
        later = new[start + 1 :]
        sims = block @ later.T  # column j is new row start + 1 + j
        sims[np.arange(len(block))[:, None] > np.arange(len(later))[None, :]] = -np.inf
        r_new, j_new = np.nonzero(sims >= floor)
        rr = np.concatenate([r_old, r_new])
        tt = np.concatenate([t_old, n_old + start + 1 + j_new])
        if rr.size == 0:
            continue
        order = np.lexsort((tt, rr))
        rr, tt = rr[order], tt[order]
        bounds = np.flatnonzero(np.diff(rr)) + 1
        for rows_at, near in zip(np.split(rr, bounds), np.split(tt, bounds)):
            r = int(rows_at[0])
            # float32 products differ in the last bit with the matrices' shapes (how many rows
            # the store holds): near candidates are scored again as float64 dot products of the
            # two vectors alone, so a pair's score and fate never depend on what else is stored
            v = block[r].astype(np.float64)
            exact = np.array([np.dot(v, _target(existing, rows, new, n_old, int(t))) for t in near])
            keep = exact >= threshold
            hits, scores = near[keep], exact[keep]
            if hits.size > top_k:
                best = np.argsort(-scores, kind="stable")[:top_k]
                hits, scores = hits[best], scores[best]
            out.extend((int(start + r), int(t), float(x)) for t, x in zip(hits, scores))
    return out


_MARGIN = 1e-4
"""How far below ``threshold`` a float32 score may be and still be rescored: float32 rounding
of a unit-vector cosine over 384 dimensions is ~1e-6, so nothing that passes in float64 is
missed."""


def _target(existing: np.ndarray, rows: np.ndarray | None, new: np.ndarray, n_old: int,
            t: int) -> np.ndarray:
    """Target ``t`` of :func:`synonym_pairs` as a float64 vector."""
    if t >= n_old:
        return new[t - n_old].astype(np.float64)
    return existing[t if rows is None else rows[t]].astype(np.float64)


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
