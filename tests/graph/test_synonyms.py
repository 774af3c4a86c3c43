import numpy as np
import pytest

from graphmem.graph.synonyms import synonym_pairs, synonym_pairs_reference


def _unit(rows):
    a = np.asarray(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_worked_example():
    existing = _unit([[1, 0, 0], [0, 1, 0]])
    new = _unit([[1, 0.1, 0], [1, 0.2, 0], [0, 0, 1]])
    pairs = synonym_pairs(new, existing, threshold=0.8)
    got = [(i, t, round(s, 4)) for i, t, s in pairs]
    # new 0 ~ existing 0 (0.995) and ~ new 1 (target len(existing) + 1 = 3, cosine 1.02/sqrt(1.01*1.04)); new 1 ~ existing 0 (0.9806)
    assert got == [(0, 0, 0.995), (0, 3, 0.9952), (1, 0, 0.9806)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_reference(seed):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(6, 8))
    existing = _unit(np.repeat(base, 3, axis=0)[:12] + 0.3 * rng.normal(size=(12, 8)))
    new = _unit(np.repeat(base, 2, axis=0)[:9] + 0.3 * rng.normal(size=(9, 8)))
    fast = synonym_pairs(new, existing, threshold=0.7, top_k=3)
    ref = synonym_pairs_reference(new, existing, threshold=0.7, top_k=3)
    assert sorted((i, t) for i, t, _ in fast) == sorted((i, t) for i, t, _ in ref)
    assert len(fast) > 0
    np.testing.assert_allclose(sorted(s for *_, s in fast), sorted(s for *_, s in ref), atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_rows_pick_targets_without_copying_them(seed):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(5, 8))
    matrix = _unit(np.repeat(base, 4, axis=0) + 0.3 * rng.normal(size=(20, 8)))
    rows = np.array([17, 2, 3, 9, 11, 0, 5])
    new = _unit(np.repeat(base, 2, axis=0) + 0.3 * rng.normal(size=(10, 8)))
    picked = synonym_pairs(new, matrix, rows=rows, threshold=0.6, top_k=2)
    assert picked == synonym_pairs(new, matrix[rows], threshold=0.6, top_k=2)
    assert len(picked) > 0 and {t for _, t, _ in picked} - set(range(len(rows)))  # new targets too
    assert synonym_pairs(new, matrix, rows=rows[:0], threshold=0.6) == synonym_pairs(
        new, matrix[:0], threshold=0.6)


def test_empty_inputs():
    assert synonym_pairs(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)) == []
    assert synonym_pairs(_unit([[1, 0]]), np.zeros((0, 2), np.float32)) == []


def test_dates_and_numbers_take_no_synonym_edges():
    from graphmem.graph.index import synonym_eligible

    assert not synonym_eligible("march 29, 1966", "DATE")
    assert not synonym_eligible("1849", "NP")
    assert not synonym_eligible("10:30", "TIME")
    assert synonym_eligible("münchen", "GPE")
    assert synonym_eligible("東京", "GPE")
    assert synonym_eligible("apollo 11", "PRODUCT")


def test_rows_hold_across_blocks_of_new_rows():
    # more new rows than one block (1024): every block must read the same target rows
    rng = np.random.default_rng(3)
    base = rng.normal(size=(40, 8))
    matrix = _unit(np.repeat(base, 10, axis=0) + 0.3 * rng.normal(size=(400, 8)))
    rows = rng.choice(400, 150, replace=False)
    new = _unit(np.repeat(base, 30, axis=0)[:1100] + 0.3 * rng.normal(size=(1100, 8)))
    picked = synonym_pairs(new, matrix, rows=rows, threshold=0.95, top_k=3)
    assert picked == synonym_pairs(new, matrix[rows], threshold=0.95, top_k=3)
    assert any(i >= 1024 and t < len(rows) for i, t, _ in picked)


@pytest.mark.parametrize(("threshold", "top_k"), [(0.9, 100), (0.8, 2)])
def test_matches_reference_across_blocks(threshold, top_k):
    # the whole-block candidate scan: new-new pairs within and across the first block of
    # 1,024 new rows, ties of top_k cut, against the plain all-pairs reference
    rng = np.random.default_rng(11)
    base = rng.normal(size=(60, 6))
    existing = _unit(np.repeat(base, 1, axis=0)[:40] + 0.2 * rng.normal(size=(40, 6)))
    new = _unit(base[rng.integers(0, 60, 1030)] + 0.2 * rng.normal(size=(1030, 6)))
    fast = synonym_pairs(new, existing, threshold=threshold, top_k=top_k)
    ref = synonym_pairs_reference(new, existing, threshold=threshold, top_k=top_k)
    assert sorted((i, t) for i, t, _ in fast) == sorted((i, t) for i, t, _ in ref)
    assert any(i < 1024 <= t - 40 for i, t, _ in fast)  # a pair across the block boundary
    np.testing.assert_allclose([s for *_, s in sorted(fast)], [s for *_, s in sorted(ref)], atol=1e-6)
