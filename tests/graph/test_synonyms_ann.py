"""Synonym candidates from the entity ANN index equal the exact scan's pairs on a seeded set."""

from __future__ import annotations

import numpy as np
import pytest

from graphmem.graph import synonyms_ann
from graphmem.graph.ann import ExactIndex, HnswIndex, TableAnn
from graphmem.graph.synonyms import synonym_pairs
from graphmem.graph.synonyms_ann import synonym_pairs_ann


def _unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def seeded() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(300, 24))
    existing = _unit(centres[rng.integers(0, 300, 3000)] + 0.12 * rng.normal(size=(3000, 24)))
    new = _unit(centres[rng.integers(0, 300, 400)] + 0.12 * rng.normal(size=(400, 24)))
    ids = np.arange(1, 3001, dtype=np.int64) * 3  # ascending, not positions
    rows = np.flatnonzero(np.arange(3000) % 7 != 3)  # some stored rows are not eligible
    return existing, new, ids, rows


@pytest.mark.parametrize("factory", [HnswIndex, ExactIndex])
@pytest.mark.parametrize(("threshold", "top_k", "fetch"), [(0.9, 100, 16), (0.9, 3, 16), (0.85, 5, 2)])
def test_ann_candidates_give_the_exact_pairs(seeded, factory, threshold, top_k, fetch, monkeypatch):
    monkeypatch.setattr(synonyms_ann, "FETCH", fetch)  # 2: the ask-for-more loop runs
    existing, new, ids, rows = seeded
    ann = TableAnn(existing.shape[1], factory)
    ann.sync(ids, existing)
    exact = synonym_pairs(new, existing, rows=rows, threshold=threshold, top_k=top_k)
    got = synonym_pairs_ann(new, ann, ids, existing, rows, threshold=threshold, top_k=top_k)
    assert got == exact
    n_old = len(rows)
    assert any(t < n_old for _, t, _ in got) and any(t >= n_old for _, t, _ in got)
    per_row = np.bincount([i for i, _, _ in got])
    assert per_row.max() <= top_k
    if top_k <= 5:
        assert per_row.max() == top_k  # some rows had more pairs: the cut ran


def test_no_stored_rows_and_no_new_rows(seeded):
    existing, new, ids, _ = seeded
    ann = TableAnn(existing.shape[1], ExactIndex)
    ann.sync(ids, existing)
    none = np.zeros(0, dtype=np.int64)
    assert synonym_pairs_ann(new, ann, ids, existing, none, threshold=0.9, top_k=5) == synonym_pairs(
        new, existing, rows=none, threshold=0.9, top_k=5)
    assert synonym_pairs_ann(new[:0], ann, ids, existing, none, threshold=0.9, top_k=5) == []
