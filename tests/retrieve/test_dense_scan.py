"""The int8 dense scan (graphmem.retrieve.dense_scan): codes kept in step with the passage
table, scores within the code error of exact with the best passages exact, and retrieval on
the demo corpus ranking as the float32 scan does (real models)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from graphmem import read_documents
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.graph.index import GraphIndex
from graphmem.graph.quantize import TableCodes, quantize_rows
from graphmem.graph.tables import Table
from graphmem.retrieve.dense_scan import RESCORE_MARGIN, dense_scores

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DIM = 384  # MiniLM's: the code error (and RESCORE_MARGIN) is measured at it


def unit_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_codes_follow_the_table_through_adds_and_deletes():
    rng = np.random.default_rng(3)
    vectors = unit_rows(400, 0)
    ids = np.arange(1, 401, dtype=np.int64) * 2
    held = np.zeros(400, dtype=bool)
    codes = TableCodes(DIM)
    top = 0
    for _ in range(12):
        held[top : top + int(rng.integers(1, 60))] = True  # an add: rows after the last
        top = int(held.nonzero()[0][-1]) + 1
        if rng.random() < 0.5:  # a delete anywhere
            held[rng.choice(np.flatnonzero(held), size=3, replace=False)] = False
        codes.sync(ids[held], vectors[held])
        want_codes, want_scales = quantize_rows(vectors[held])
        assert np.array_equal(codes.ids, ids[held])
        assert np.array_equal(codes.codes, want_codes)
        assert np.array_equal(codes.scales, want_scales)


def index_of(vectors: np.ndarray) -> GraphIndex:
    index = GraphIndex(DIM)
    index.chunks = Table(np.arange(1, len(vectors) + 1, dtype=np.int64), vectors)
    return index


def test_scores_are_exact_at_the_top_and_close_elsewhere():
    vectors = unit_rows(5000, 1)
    index = index_of(vectors)
    exact_config = RetrieveConfig()
    coded_config = RetrieveConfig(int8_dense_min_rows=1)
    for q in unit_rows(20, 2):
        exact = dense_scores(index, q, exact_config)
        coded = dense_scores(index, q, coded_config)
        assert np.max(np.abs(coded - exact)) < 3e-3
        near = exact >= exact.max() - RESCORE_MARGIN / 2
        assert np.array_equal(coded[near], exact[near])  # the best (incl. top two): exact
        assert np.argmax(coded) == np.argmax(exact)
    assert index.passage_codes(1) is index.passage_codes(1)  # quantised once
    assert index_of(vectors[:10]).passage_codes(11) is None


def ranked(memory, questions):
    return [[(h.chunk_id, h.score, h.explanation.dense_score) for h in memory.retrieve(q, top_k=5)]
            for q in questions]


def test_retrieval_with_int8_dense_ranks_as_the_float32_scan(memory_factory):
    questions = [q["question"] for q in json.loads((EXAMPLES / "questions.json").read_text("utf-8"))]
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    exact = memory_factory("m")
    exact.add(docs)
    coded = memory_factory("m", config=MemoryConfig(retrieve=RetrieveConfig(int8_dense_min_rows=1)))
    want, got = ranked(exact, questions), ranked(coded, questions)
    assert [[c for c, _, _ in hits] for hits in got] == [[c for c, _, _ in hits] for hits in want]
    for g, w in zip(got, want, strict=True):
        assert np.allclose([s for _, s, _ in g], [s for _, s, _ in w], rtol=1e-2, atol=1e-4)
        assert np.allclose([d for _, _, d in g], [d for _, _, d in w], atol=3e-3)
    coded.delete(docs[0].id)  # a full refresh drops the document's passages from the codes
    index = coded.index()
    assert np.array_equal(index.passage_codes(1).ids, index.chunks.ids)
    again = ranked(coded, questions)
    fresh = ranked(memory_factory("m", config=coded.config), questions)
    assert [[c for c, _, _ in h] for h in again] == [[c for c, _, _ in h] for h in fresh]


def test_a_started_scan_returns_what_the_scan_gives_on_either_path():
    from graphmem.retrieve.dense_scan import start_dense_scores

    vectors = unit_rows(3000, 5)
    index = index_of(vectors)
    for config in (RetrieveConfig(), RetrieveConfig(int8_dense_min_rows=1)):  # here, a thread
        for q in unit_rows(5, 6):
            assert np.array_equal(start_dense_scores(index, q, config)(), dense_scores(index, q, config))
    # an error on the scan's thread (a query of the wrong shape: the kernel does not compile for
    # it) is raised by the returned function, not lost with the thread
    wait = start_dense_scores(index, unit_rows(2, 7), RetrieveConfig(int8_dense_min_rows=1))
    with pytest.raises(Exception, match="(?i)typing|type"):
        wait()


def test_the_split_scan_gives_the_one_thread_scan_bit_for_bit():
    index = index_of(unit_rows(3001, 8))  # odd: the halves differ by one row
    whole = RetrieveConfig(int8_dense_min_rows=1)
    split = RetrieveConfig(int8_dense_min_rows=1, split_dense_min_rows=1)
    assert index.passage_codes(1) is not None and len(index.passage_codes(1).codes) == 3001
    for q in unit_rows(5, 9):
        assert np.array_equal(dense_scores(index, q, split), dense_scores(index, q, whole))
    small = RetrieveConfig(int8_dense_min_rows=1, split_dense_min_rows=3002)  # one row short
    assert np.array_equal(dense_scores(index, unit_rows(1, 9)[0], small),
                          dense_scores(index, unit_rows(1, 9)[0], whole))
    with pytest.raises(Exception, match="(?i)typing|type"):  # the half's thread raises here
        dense_scores(index, unit_rows(2, 7), split)
    with pytest.raises(ValueError, match="split_dense_min_rows must be >= 1, got 0"):
        RetrieveConfig(split_dense_min_rows=0)
