"""Linking a query to graph nodes: facts by embedding similarity, named entities by name.

Pure functions over arrays; :mod:`graphmem.retrieve.retriever` wires them to the index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from graphmem.text import is_word, normalize_name, token_spans

if TYPE_CHECKING:
    from graphmem.graph.ann import TableAnn

#: Longest name, in words, that exact query linking matches (``RetrieveConfig.link_max_ngram``).
DEFAULT_MAX_NGRAM = 16


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant vector maps to all ones (every item equally good)."""
    if scores.size == 0:
        return scores.astype(np.float64)
    lo, hi = float(scores.min()), float(scores.max())
    if hi - lo <= 1e-12:
        return np.ones_like(scores, dtype=np.float64)
    return (scores.astype(np.float64) - lo) / (hi - lo)


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first; ties broken by lower index (NaN ranks
    as -inf). One compiled pass (:func:`graphmem.retrieve._scoring.top_k_heap`); the tests
    hold it against :func:`top_k_indices_reference`."""
    if k <= 0 or scores.size == 0:
        return np.zeros(0, dtype=np.int64)
    from graphmem.retrieve._scoring import top_k_heap

    k = min(k, scores.size)
    values = scores if scores.dtype in (np.float32, np.float64) else scores.astype(np.float64)
    part = top_k_heap(values, k) if k < values.size else np.arange(values.size)
    key = np.where(np.isnan(values[part]), -np.inf, values[part])
    return part[np.lexsort((part, -key))]


def top_k_indices_reference(scores: np.ndarray, k: int) -> np.ndarray:
    """:func:`top_k_indices` by a full stable sort: the plain version the tests compare with."""
    if k <= 0 or scores.size == 0:
        return np.zeros(0, dtype=np.int64)
    values = np.where(np.isnan(scores), -np.inf, np.asarray(scores, dtype=np.float64))
    return np.argsort(-values, kind="stable")[:k]


def link_facts(fact_vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` facts for a unit-norm query: (fact indices, min-max normalised scores).

    The plain version: exact float32 cosines. HippoRAG 2 normalises fact cosines over all facts
    before choosing, so the best fact scores 1.
    """
    if len(fact_vectors) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    scores = min_max(fact_vectors @ query)
    top = top_k_indices(scores, k)
    return top, scores[top]


def link_facts_quantized(
    codes: np.ndarray,
    scales: np.ndarray,
    fact_vectors: np.ndarray,
    query: np.ndarray,
    k: int,
    candidates: int = 64,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`link_facts` computed fast: int8 scores pick ``max(candidates, 8k)`` facts, which are
    rescored exactly; the minimum for normalisation is the exact score of the approximate
    minimum. Agrees with :func:`link_facts` unless two facts' cosines differ by under ~1e-3.
    ``allowed`` (bool per fact) links only those facts (superseded ones are left out).
    """
    from graphmem.retrieve._scoring import int8_scores

    n = len(fact_vectors)
    if n == 0 or (allowed is not None and not allowed.any()):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    q = np.ascontiguousarray(query, dtype=np.float32)
    approx = int8_scores(codes, scales, q)
    if allowed is not None and not allowed.all():
        pool = top_k_indices(np.where(allowed, approx, -np.inf), max(candidates, 8 * k))
        pool = pool[allowed[pool]]
        lowest = int(np.argmin(np.where(allowed, approx, np.inf)))
    else:
        pool = top_k_indices(approx, max(candidates, 8 * k))
        lowest = int(np.argmin(approx))
    return _rescored(fact_vectors, pool, q, float(fact_vectors[lowest] @ q), k)


def _rescored(
    fact_vectors: np.ndarray, pool: np.ndarray, q: np.ndarray, lo: float, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best rows of ``pool`` by exact cosine (ties: lower row first), min-max scaled
    between the lowest known cosine (``lo`` or a pool member's) and the best."""
    exact = (fact_vectors[pool] @ q).astype(np.float64)
    hi = float(exact.max())
    lo = min(lo, float(exact.min()))
    order = np.lexsort((pool, -exact))[:k]
    top = pool[order]
    if hi - lo <= 1e-12:
        return top, np.ones(len(top))
    return top, (exact[order] - lo) / (hi - lo)


def link_facts_ann(
    ann: TableAnn,
    fact_ids: np.ndarray,
    fact_vectors: np.ndarray,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`link_facts_quantized` through an approximate nearest-neighbour index over the facts
    (``ann``, in step with the table whose store ids are ``fact_ids``): the graph's candidates
    for the best facts are rescored exactly in float32, and the minimum for normalisation is
    the lowest exact score among its candidates for ``-query`` (the facts farthest from the
    query), so the scores are exact and only recall is approximate. ``allowed`` as in
    :func:`link_facts_quantized`. None when the graph cannot supply ``k`` allowed facts: scan
    exactly instead."""
    from graphmem.graph.ann import FAR_EXPANSION, FAR_FETCH

    if len(fact_vectors) == 0 or (allowed is not None and not allowed.any()):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    q = np.ascontiguousarray(query, dtype=np.float32)
    want = min(k, len(fact_vectors) if allowed is None else int(allowed.sum()))
    pool = ann.candidates(fact_ids, q, want, allowed)
    far = ann.candidates(fact_ids, -q, 1, allowed, fetch=FAR_FETCH, expansion=FAR_EXPANSION)
    if pool is None or far is None:
        return None
    return _rescored(fact_vectors, pool, q, float((fact_vectors[far] @ q).min()), k)


def link_mentions_ann(
    ann: TableAnn,
    candidate_ids: np.ndarray,
    candidate_vectors: np.ndarray,
    mention_vectors: np.ndarray,
    threshold: float,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`link_mentions` through an approximate nearest-neighbour index over the candidates
    (``ann``, in step with the table whose store ids are ``candidate_ids``; ``allowed``: bool
    per row, the rows that may be linked): each mention's graph candidates are rescored exactly.
    None when the graph cannot supply a candidate: scan exactly instead."""
    m = len(mention_vectors)
    rows = np.full(m, -1, dtype=np.int64)
    best = np.zeros(m)
    if m == 0 or len(candidate_vectors) == 0 or (allowed is not None and not allowed.any()):
        return rows, best
    for i, vector in enumerate(mention_vectors):
        q = np.ascontiguousarray(vector, dtype=np.float32)
        top = ann.candidates(candidate_ids, q, 1, allowed)
        if top is None:
            return None
        exact = candidate_vectors[top] @ q
        j = int(np.lexsort((top, -exact))[0])
        best[i] = float(exact[j])
        rows[i] = int(top[j]) if best[i] >= threshold else -1
    return rows, best


def link_query_entities(
    query: str, named: Mapping[str, int], max_ngram: int = DEFAULT_MAX_NGRAM
) -> list[int]:
    """Entity positions whose normalised name equals a token n-gram of the query.

    Longest match wins and matches do not overlap, so "New York Times" links the newspaper and
    not also "New York". Works in any script: n-grams are rebuilt from the original characters
    (so an NFD query matches NFC names: both normalise alike). A match must look like a name
    where the script has case: it must contain a capital letter (or a letter of an uncased
    script such as CJK), and a single capitalised word opening the query does not count, since
    sentence case capitalises it anyway ("Are both ..."). Names of up to ``max_ngram`` words
    are matched.
    """
    found: list[int] = []
    for pos, _, _ in link_query_entity_spans(query, named, max_ngram):
        if pos not in found:
            found.append(pos)
    return found


def link_query_entity_spans(
    query: str, named: Mapping[str, int], max_ngram: int = DEFAULT_MAX_NGRAM
) -> list[tuple[int, int, int]]:
    """:func:`link_query_entities` with where each match is: (entity position, start, end) in
    ``query`` as given, in query order, one row per match (an entity may match twice)."""
    spans = _spans(query)
    found: list[tuple[int, int, int]] = []
    i = 0
    while i < len(spans):
        for n in range(min(max_ngram, len(spans) - i), 0, -1):
            start, end = spans[i][0], spans[i + n - 1][1]
            surface = query[start:end]
            pos = named.get(normalize_name(surface))
            if pos is not None and _name_like(surface, first=(i == 0 and n == 1)):
                found.append((pos, start, end))
                i += n
                break
        else:
            i += 1
    return found


def _name_like(surface: str, first: bool) -> bool:
    cased = [c for c in surface if c.isalpha() and (c.isupper() or c.islower())]
    if len(cased) < sum(c.isalpha() for c in surface):
        return True  # some letters have no case (CJK, Arabic, ...): no capitalisation signal
    if first:
        return False
    return any(c.isupper() for c in cased)


def _spans(text: str) -> list[tuple[int, int]]:
    """Spans of word tokens: punctuation (which may still sit inside a matched n-gram) left out.
    A word keeps its combining marks, so "हिन्दी" and NFD "Marti\u0301" end where they should."""
    return [(a, b) for a, b in token_spans(text) if is_word(text[a:b])]


def link_mentions(
    candidate_vectors: np.ndarray, mention_vectors: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest candidate of each query mention by cosine, kept when at least ``threshold``.

    HippoRAG 1 links every named entity of the question to its nearest graph node; the
    threshold keeps a mention with no good counterpart ("the band", a misread name) from
    seeding an unrelated one. All vectors are unit-norm. Returns (candidate row per mention,
    -1 when none reaches the threshold; its cosine, float64). The plain version: exact float32
    cosines; equal cosines go to the lower row.
    """
    m = len(mention_vectors)
    if m == 0 or len(candidate_vectors) == 0:
        return np.full(m, -1, dtype=np.int64), np.zeros(m)
    scores = mention_vectors.astype(np.float32) @ candidate_vectors.astype(np.float32).T
    rows = np.argmax(scores, axis=1).astype(np.int64)  # argmax: the first of equal maxima
    best = scores[np.arange(m), rows].astype(np.float64)
    return np.where(best >= threshold, rows, -1), best


def link_mentions_quantized(
    codes: np.ndarray,
    scales: np.ndarray,
    candidate_vectors: np.ndarray,
    mention_vectors: np.ndarray,
    threshold: float,
    pool: int = 32,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`link_mentions` computed fast, as :func:`link_facts_quantized` does: int8 scores
    pick each mention's ``pool`` best candidates, which are rescored exactly. Agrees with
    :func:`link_mentions` unless two candidates' cosines differ by under ~1e-3 or the nearest
    one falls out of the pool (its int8 score below ``pool`` others': not seen in testing)."""
    from graphmem.retrieve._scoring import int8_scores

    m = len(mention_vectors)
    rows = np.full(m, -1, dtype=np.int64)
    best = np.zeros(m)
    if m == 0 or len(candidate_vectors) == 0:
        return rows, best
    for i, vector in enumerate(mention_vectors):
        q = np.ascontiguousarray(vector, dtype=np.float32)
        top = top_k_indices(int8_scores(codes, scales, q), pool)
        exact = candidate_vectors[top] @ q
        j = int(np.lexsort((top, -exact))[0])
        best[i] = float(exact[j])
        rows[i] = int(top[j]) if best[i] >= threshold else -1
    return rows, best
