"""BM25 (bm25s underneath) against hand computations, ranking order, text analysis (Unicode-safe
splitting, stopwords, stemming) and speed on 10k passages."""

from __future__ import annotations

import math
import random
import sys
import time
from collections import Counter

import numpy as np
import pytest

from graphmem.eval.bm25 import BM25Index, analyze, words

# N = 3 documents of lengths 2, 3, 4: avgdl = 3. k1 = 1.2, b = 0.75. Scores are Lucene's:
# idf * tf / (tf + k1 * norm), without the constant (k1 + 1) factor.
DOCS = ["cat sat", "Cat, cat dog.", "dog bird bird bird"]
LN_1_6 = math.log(1.6)  # df = 2: idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln 1.6
LN_8_3 = math.log(8 / 3)  # df = 1: idf = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)) = ln(8/3)


def test_words_and_analyze() -> None:
    assert words("Cat, CAT's dog.") == ["cat", "cat", "s", "dog"]
    assert words("Tokyo (東京) is BIG.") == ["tokyo", "東", "京", "is", "big"]
    assert words("\uff2dünchen") == ["münchen"]  # full-width M: NFKC + casefold, non-ASCII kept
    # English stopwords dropped, Snowball stems; digits and one-letter words survive
    assert analyze("The Cats of Montréal were running in World War 2") == [
        "cat", "montréal", "were", "run", "world", "war", "2",
    ]
    assert analyze("Tokyo (東京) is BIG.") == ["tokyo", "東", "京", "big"]
    assert analyze("Running cats", stopwords=None, stemmer=None) == ["running", "cats"]
    with pytest.raises(ValueError, match="unknown stemmer language 'klingon'"):
        analyze("x", stemmer="klingon")


def test_stemming_matches_inflected_forms() -> None:
    index = BM25Index(["She founded the company.", "Founders meet here.", "A quiet river."])
    assert [i for i, _ in index.search("who founds companies", 2)] == [0, 1]
    exact = BM25Index(["She founded the company.", "Founders meet here."], stemmer=None)
    assert exact.scores("founds companies").tolist() == [0.0, 0.0]


def test_single_term_scores_by_hand() -> None:
    index = BM25Index(DOCS)
    # d0: tf 1, |d| 2, length norm 1 - .75 + .75 * 2/3 = 0.75 -> ln1.6 * 1 / (1 + 1.2 * 0.75)
    # d1: tf 2, |d| 3, length norm 1                          -> ln1.6 * 2 / (2 + 1.2)
    expected = [LN_1_6 * 1 / 1.9, LN_1_6 * 2 / 3.2, 0.0]
    assert index.scores("cat") == pytest.approx(expected, rel=1e-12)
    assert index.search("cat", 3) == [
        (1, pytest.approx(expected[1], rel=1e-12)),
        (0, pytest.approx(expected[0], rel=1e-12)),
        (2, 0.0),
    ]


def test_multi_term_scores_by_hand() -> None:
    index = BM25Index(DOCS)
    # d2: length norm 1 - .75 + .75 * 4/3 = 1.25
    #     bird tf 3: ln(8/3) * 3 / (3 + 1.5); dog tf 1: ln1.6 / (1 + 1.5)
    # d1: dog tf 1, norm 1: ln1.6 / 2.2
    d2 = LN_8_3 * 3 / 4.5 + LN_1_6 / 2.5
    d1 = LN_1_6 / 2.2
    hits = index.search("Bird? DOG!", 2)
    assert [i for i, _ in hits] == [2, 1]
    assert [s for _, s in hits] == pytest.approx([d2, d1], rel=1e-12)


def test_repeated_query_term_counts_twice() -> None:
    index = BM25Index(DOCS)
    assert index.scores("cat cat") == pytest.approx(2 * index.scores("cat"), rel=1e-12)


def test_parameters_change_length_normalisation() -> None:
    # b = 0: no length normalisation; tf saturation only. d0: ln1.6 * 1 / 2.2
    index = BM25Index(DOCS, k1=1.2, b=0.0)
    assert index.scores("cat")[0] == pytest.approx(LN_1_6 / 2.2, rel=1e-12)
    # k1 = 0: binary term weighting, score = idf whenever the term occurs
    index = BM25Index(DOCS, k1=0.0)
    assert index.scores("cat") == pytest.approx([LN_1_6, LN_1_6, 0.0], rel=1e-12)
    with pytest.raises(ValueError, match="k1"):
        BM25Index(DOCS, k1=-1)
    with pytest.raises(ValueError, match="b must"):
        BM25Index(DOCS, b=1.5)


def test_ties_broken_by_index_also_at_the_cut() -> None:
    index = BM25Index(["x y", "q b", "q b", "zz", "q b", "q b"])
    assert [i for i, _ in index.search("q", 2)] == [1, 2]
    assert [i for i, _ in index.search("q", 5)] == [1, 2, 4, 5, 0]
    # no matching term: every score is 0 and the ranking is index order
    assert index.search("unknown", 3) == [(0, 0.0), (1, 0.0), (2, 0.0)]
    assert index.search("", 2) == [(0, 0.0), (1, 0.0)]


def test_top_k_bounds() -> None:
    index = BM25Index(DOCS)
    assert len(index) == 3
    assert len(index.search("cat", 10)) == 3
    for bad in (0, -3, True):
        with pytest.raises(ValueError, match="top_k"):
            index.search("cat", bad)
    empty = BM25Index([])
    assert len(empty) == 0
    assert empty.search("cat", 5) == []
    blank = BM25Index(["", "..."])  # no terms at all: avgdl 0 must not divide by zero
    assert blank.search("cat", 5) == [(0, 0.0), (1, 0.0)]


def _reference_scores(docs: list[str], query: str, k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Plain per-document BM25 (Lucene's, without the (k1 + 1) factor), from the formula."""
    analysed = [analyze(d) for d in docs]
    n = len(docs)
    avgdl = sum(len(d) for d in analysed) / n
    df = Counter(t for d in analysed for t in set(d))
    scores = []
    for terms in analysed:
        tf = Counter(terms)
        total = 0.0
        for t in analyze(query):
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                denom = tf[t] + k1 * (1 - b + b * len(terms) / avgdl)
                total += idf * tf[t] / denom
        scores.append(total)
    return scores


def test_matches_reference_on_random_corpus() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    docs = [" ".join(rng.choices(vocab, k=rng.randint(1, 30))) for _ in range(60)]
    index = BM25Index(docs)
    for _ in range(20):
        query = " ".join(rng.choices(vocab, k=rng.randint(1, 5)))
        expected = _reference_scores(docs, query)
        assert index.scores(query) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        want = sorted(range(len(docs)), key=lambda i: (-expected[i], i))[:7]
        assert [i for i, _ in index.search(query, 7)] == want


def test_ten_thousand_passages_quickly() -> None:
    rng = np.random.default_rng(0)
    vocab = np.array([f"term{i}" for i in range(20_000)])
    lengths = rng.integers(20, 120, size=10_000)
    docs = [" ".join(vocab[rng.zipf(1.3, size=n) % len(vocab)]) for n in lengths]
    start = time.perf_counter()
    index = BM25Index(docs)
    built = time.perf_counter() - start
    start = time.perf_counter()
    for q in range(200):
        hits = index.search(" ".join(vocab[[q, q + 1, q + 500]]), 10)
        assert len(hits) == 10
    searched = time.perf_counter() - start
    # generous bounds (a laptop takes ~1 s to build and ~0.1 s to search)
    assert built < 20.0
    assert searched < 5.0


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("bm25s", lambda: BM25Index(DOCS)),
        ("Stemmer", lambda: analyze("running cats")),
    ],
)
def test_missing_eval_extra_names_it(monkeypatch, module, call) -> None:
    """bm25s and PyStemmer are the ``eval`` extra: without one, the error says how to get it."""
    from graphmem.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'graphmem\[eval\]'"):
        call()
