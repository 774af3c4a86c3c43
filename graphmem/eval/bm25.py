"""Okapi BM25 lexical retrieval baseline over an in-memory list of texts.

Scoring (Robertson et al., "Okapi at TREC-3", 1994; the variant Lucene uses)::

    score(q, d) = Σ_{t in q} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · norm(d))
    norm(d)     = 1 - b + b · |d| / avgdl
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

with the customary defaults ``k1 = 1.2`` and ``b = 0.75``. This idf is never negative, so a term
occurring in more than half of the documents still counts a little instead of penalising matches.
A term repeated in the query contributes once per occurrence. Text is analysed by
:func:`analyze`: NFKC, :func:`graphmem.text.tokenize`, casefold, punctuation tokens dropped.

The per-(document, term) weights are precomputed into a column-compressed sparse matrix, so a
query costs one sparse column slice and a mat-vec over the postings of its terms.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from graphmem.text import tokenize

__all__ = ["BM25Index", "analyze"]

logger = logging.getLogger(__name__)


def analyze(text: str) -> list[str]:
    """BM25 terms of ``text``: case-folded word tokens (CJK characters count as words).

    >>> analyze("Tokyo (東京) is BIG.")
    ['tokyo', '東', '京', 'is', 'big']
    """
    tokens = tokenize(unicodedata.normalize("NFKC", text))
    return [tok.casefold() for tok in tokens if any(ch.isalnum() for ch in tok)]


class BM25Index:
    """A BM25 index over ``texts``; document ``i`` is ``texts[i]``."""

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75):
        if k1 < 0:
            raise ValueError(f"k1 must be >= 0, got {k1}")
        if not 0.0 <= b <= 1.0:
            raise ValueError(f"b must be in [0, 1], got {b}")
        self.k1 = float(k1)
        self.b = float(b)
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(texts), dtype=np.float64)
        for doc, text in enumerate(texts):
            terms = analyze(text)
            lengths[doc] = len(terms)
            for term, count in Counter(terms).items():
                rows.append(doc)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                counts.append(count)
        n_docs, n_terms = len(texts), len(self.vocabulary)
        tf = np.asarray(counts, dtype=np.float64)
        row_idx = np.asarray(rows, dtype=np.int64)
        col_idx = np.asarray(cols, dtype=np.int64)
        df = np.bincount(col_idx, minlength=n_terms).astype(np.float64)
        self.idf: np.ndarray = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        avgdl = float(lengths.mean()) if n_docs else 0.0
        norm = 1.0 - self.b + self.b * (lengths / avgdl) if avgdl > 0 else np.ones(n_docs)
        weights = self.idf[col_idx] * tf * (self.k1 + 1.0) / (tf + self.k1 * norm[row_idx])
        self._weights = sp.csc_matrix(
            (weights, (row_idx, col_idx)), shape=(n_docs, n_terms), dtype=np.float64
        )
        self.doc_lengths = lengths
        self.avgdl = avgdl
        logger.debug("BM25 index: %d documents, %d terms, %d postings", n_docs, n_terms, len(tf))

    def __len__(self) -> int:
        return int(self._weights.shape[0])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (float64 array of length ``len(self)``)."""
        query_counts = Counter(self.vocabulary[t] for t in analyze(query) if t in self.vocabulary)
        if not query_counts:
            return np.zeros(len(self), dtype=np.float64)
        ids = np.fromiter(query_counts.keys(), dtype=np.int64, count=len(query_counts))
        mult = np.fromiter(query_counts.values(), dtype=np.float64, count=len(query_counts))
        return np.asarray(self._weights[:, ids] @ mult, dtype=np.float64).ravel()

    def search(self, query: str, top_k: int = 10) -> list[tuple[int, float]]:
        """The ``top_k`` best documents as ``(index, score)``, best first, ties by lower index.

        Returns ``min(top_k, len(self))`` results; documents sharing no term with the query score
        0.0 and fill the tail of the ranking in index order.
        """
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
        scores = self.scores(query)
        n = len(scores)
        k = min(top_k, n)
        if k == 0:
            return []
        if k < n:
            kth_best = np.partition(scores, n - k)[n - k]
            candidates = np.flatnonzero(scores >= kth_best)  # ascending index
        else:
            candidates = np.arange(n)
        order = np.lexsort((candidates, -scores[candidates]))[:k]
        best = candidates[order]
        return [(int(i), float(scores[i])) for i in best]
