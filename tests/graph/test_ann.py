"""The ANN index (graphmem/graph/ann.py) against the exact scan, on seeded clustered vectors:
recall of the exact top-10, incremental adds and masked deletions equal to a fresh build, fact
linking through it equal to the int8 path, and the missing-library error."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from graphmem.errors import MissingDependencyError
from graphmem.graph import ann as ann_module
from graphmem.graph.ann import ExactIndex, HnswIndex, TableAnn, require_usearch

needs_usearch = pytest.mark.skipif(
    importlib.util.find_spec("usearch") is None, reason="the ann extra (usearch) is not installed"
)


def clustered(n: int, dim: int, seed: int, centers: int = 200, spread: float = 0.35) -> np.ndarray:
    """Unit vectors around random unit centres (seeded): neighbours are close together, as
    embeddings of related facts are."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centers, dim)).astype(np.float32)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    x = c[rng.integers(0, centers, n)] + spread * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    scores = vectors @ q
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    return np.lexsort((np.arange(len(scores)), -scores))[:k]


def rescored_top(ann: TableAnn, ids, vectors, q, k, allowed=None) -> np.ndarray:
    """What the query path does: the graph's candidates, rescored exactly, best k."""
    pool = ann.candidates(ids, q, k, allowed)
    assert pool is not None
    exact = vectors[pool] @ q
    return pool[np.lexsort((pool, -exact))[:k]]


@pytest.fixture(scope="module")
def seeded():
    if importlib.util.find_spec("usearch") is None:
        pytest.skip("the ann extra (usearch) is not installed")
    vectors = clustered(20_000, 64, seed=7)
    queries = clustered(200, 64, seed=8)
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64) * 3  # store ids: ascending, with gaps
    table = TableAnn(64)
    assert table.sync(ids, vectors) == "built"
    return vectors, queries, ids, table


@needs_usearch
def test_recall_at_10_of_the_exact_top_10(seeded):
    vectors, queries, ids, table = seeded
    hits = raw_hits = 0
    for q in queries:
        want = set(exact_top(vectors, q, 10).tolist())
        hits += len(want & set(rescored_top(table, ids, vectors, q, 10).tolist()))
        raw = np.searchsorted(ids, table.index.search(q, 10))
        raw_hits += len(want & set(raw.tolist()))
    recall, raw_recall = hits / (10 * len(queries)), raw_hits / (10 * len(queries))
    assert recall >= 0.99, (recall, raw_recall)
    assert raw_recall >= 0.9, raw_recall  # the graph alone, asked for 10, before over-fetching


@needs_usearch
def test_search_is_reproducible():
    vectors = clustered(3_000, 32, seed=3)
    ids = np.arange(len(vectors), dtype=np.int64)
    a, b = HnswIndex(32), HnswIndex(32)
    a.add(ids, vectors)
    b.add(ids, vectors)
    for q in clustered(20, 32, seed=4):
        assert np.array_equal(a.search(q, 10), b.search(q, 10))


def test_exact_reference_matches_numpy():
    vectors = clustered(500, 16, seed=1)
    ids = np.arange(10, 510, dtype=np.int64)
    ref = ExactIndex(16)
    ref.add(ids[:300], vectors[:300])
    ref.add(ids[300:], vectors[300:])
    q = vectors[42]
    assert np.array_equal(ref.search(q, 5), ids[exact_top(vectors, q, 5)])


@needs_usearch
def test_adds_and_deletions_equal_a_fresh_build_and_the_exact_scan():
    vectors = clustered(8_000, 48, seed=11)
    ids = np.arange(1, 8_001, dtype=np.int64) * 2
    grown = TableAnn(48)
    assert grown.sync(ids[:5_000], vectors[:5_000]) == "built"
    assert grown.sync(ids[:5_000], vectors[:5_000]) == "unchanged"
    rng = np.random.default_rng(5)
    keep = np.ones(8_000, dtype=bool)
    keep[rng.choice(5_000, 1_000, replace=False)] = False  # 20% of the graph: masked, no rebuild
    live_ids, live_vectors = ids[keep], vectors[keep]
    assert grown.sync(live_ids, live_vectors) == "added"
    assert (grown.builds, grown.n_added, grown.deleted) == (1, 8_000, 1_000)
    fresh = TableAnn(48)
    fresh.sync(live_ids, live_vectors)
    allowed = rng.random(len(live_ids)) < 0.7  # out-of-scope rows filtered too
    for i, q in enumerate(clustered(100, 48, seed=12)):
        mask = allowed if i % 2 else None
        want = exact_top(live_vectors, q, 10, mask)
        got = rescored_top(grown, live_ids, live_vectors, q, 10, mask)
        assert np.array_equal(got, want)
        assert np.array_equal(rescored_top(fresh, live_ids, live_vectors, q, 10, mask), want)
    # past REBUILD_DELETED of the graph, the next sync builds it again from the table's rows
    keep[5_000:7_000] = False
    assert grown.sync(ids[keep], vectors[keep]) == "built"
    assert (grown.builds, grown.n_added, grown.deleted, len(grown.index)) == (2, 5_000, 0, 5_000)


@needs_usearch
def test_candidates_give_up_when_too_few_rows_are_allowed(monkeypatch):
    vectors = clustered(2_000, 16, seed=2)
    ids = np.arange(2_000, dtype=np.int64)
    table = TableAnn(16)
    table.sync(ids, vectors)
    allowed = np.zeros(2_000, dtype=bool)
    allowed[[3, 1_500]] = True
    q = vectors[0]
    monkeypatch.setattr(ann_module, "MAX_FETCH", 256)
    assert table.candidates(ids, q, 3, allowed) is None  # two allowed rows: never three
    two = table.candidates(ids, q, 2, allowed, fetch=2_000)
    assert two is not None and sorted(two.tolist()) == [3, 1_500]


@needs_usearch
def test_fact_linking_through_ann_equals_the_int8_path(seeded):
    from graphmem.graph.quantize import quantize_rows
    from graphmem.retrieve.linking import link_facts_ann, link_facts_quantized

    vectors, queries, ids, table = seeded
    codes, scales = quantize_rows(vectors)
    allowed = np.random.default_rng(9).random(len(ids)) < 0.9  # superseded facts left out
    for i, q in enumerate(queries[:100]):
        mask = allowed if i % 2 else None
        got = link_facts_ann(table, ids, vectors, q, 5, allowed=mask)
        want = link_facts_quantized(codes, scales, vectors, q, 5, allowed=mask)
        assert got is not None
        assert np.array_equal(got[0], want[0])
        # the normalising minimum is the exact score of an approximate minimum on both paths
        # (largest difference measured here: 0.002)
        assert np.allclose(got[1], want[1], atol=4e-3)


def test_missing_library_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "usearch", None)
    monkeypatch.setitem(sys.modules, "usearch.index", None)
    with pytest.raises(MissingDependencyError, match=r"graphmem\[ann\]"):
        require_usearch()
    with pytest.raises(ImportError, match="usearch"):  # MissingDependencyError is an ImportError
        TableAnn(8)


@needs_usearch
def test_searches_beside_adds_from_other_threads():
    """One graph used from several threads at once (the lock serialises usearch's calls):
    every search returns ids that were added, none fails."""
    import threading

    vectors = clustered(4_000, 32, seed=21)
    ids = np.arange(4_000, dtype=np.int64)
    index = HnswIndex(32)
    index.add(ids[:1_000], vectors[:1_000])
    errors: list[BaseException] = []

    def search() -> None:
        try:
            for q in clustered(150, 32, seed=22):
                found = index.search(q, 10)
                assert len(found) == 10 and found.min() >= 0 and found.max() < 4_000
        except (AssertionError, RuntimeError, ValueError) as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    for start in range(1_000, 4_000, 250):
        index.add(ids[start : start + 250], vectors[start : start + 250])
    for t in threads:
        t.join()
    assert errors == [] and len(index) == 4_000


def test_missing_library_falls_back_to_the_exact_scan(monkeypatch, caplog):
    from graphmem.graph.index import GraphIndex

    monkeypatch.setitem(sys.modules, "usearch", None)
    monkeypatch.setitem(sys.modules, "usearch.index", None)
    monkeypatch.setattr(GraphIndex, "_warned_ann", False)
    index = GraphIndex(8)
    with caplog.at_level("WARNING", logger="graphmem.graph.index"):
        assert index.ann("facts", 0) is None
        assert index.ann("facts", 0) is None
    assert index.ann_tables == ()
    assert [r.getMessage().count("graphmem[ann]") for r in caplog.records] == [1]  # warned once
