"""Okapi BM25 over the passages of an index, kept up to date as passages are added.

A sentence embedder as small as the default one is weak where a question and its passage share
rare words but little else ("When did Caroline go to the LGBTQ support group?"): on the LoCoMo
dev conversations BM25 found the evidence turn in the top 5 for 0.585 of questions, dense
retrieval for 0.416. :class:`LexicalIndex` gives the retriever that signal
(``RetrieveConfig.lexical_weight``) without a dependency: words are Unicode tokens case-folded
(:func:`graphmem.text.tokenize`, so every script works; no stemming, no stopword list: the IDF
already makes "the" and "did" worth nearly nothing), scored as Lucene's BM25
(``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``, ``k1`` 1.2, ``b`` 0.75).

:meth:`LexicalIndex.scores` is the fast path (one sparse column gather per query word);
:func:`bm25_reference` is the plain per-passage definition beside it for the tests.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from graphmem.text import tokenize

if TYPE_CHECKING:
    from graphmem.store.base import Store

__all__ = ["DIALOGUE_KEY", "LexicalIndex", "bm25_reference", "passage_texts", "terms"]

K1 = 1.2
B = 0.75


def terms(text: str) -> list[str]:
    """The words of ``text`` BM25 counts: Unicode tokens with a letter or digit, case-folded."""
    return [
        t.casefold() for t in tokenize(unicodedata.normalize("NFKC", text)) if any(c.isalnum() for c in t)
    ]


# A passage whose document metadata names a speaker is a conversation turn
# (graphmem.conversation.turns_to_documents writes it): RetrieveConfig.dialogue_lexical_weight.
DIALOGUE_KEY = "speaker"


def passage_texts(store: Store, ids: np.ndarray) -> list[str]:
    """Title and text of the passages ``ids`` (internal chunk ids), in that order."""
    records = store.passages([int(i) for i in ids])
    return [
        f"{r.title}\n{r.text}" if r.title else r.text for r in (records[int(i)] for i in ids)
    ]


class LexicalIndex:
    """Term counts of every passage, in index order, and their BM25 scores for a query."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._rows: list[np.ndarray] = []  # per passage: term ids
        self._counts: list[np.ndarray] = []  # per passage: counts of those terms
        self._matrix: sp.csc_matrix | None = None  # passages x terms, built on first query
        self._lengths = np.zeros(0)

    @property
    def n_passages(self) -> int:
        return len(self._rows)

    def append(self, texts: Sequence[str]) -> None:
        """Count the words of passages appended to the index, in index order."""
        for text in texts:
            counts = Counter(self.vocab.setdefault(t, len(self.vocab)) for t in terms(text))
            self._rows.append(np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)))
            self._counts.append(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        self._matrix = None

    def keep(self, mask: np.ndarray) -> None:
        """Drop the passages where ``mask`` is False (after a deletion), keeping the order."""
        self._rows = [r for r, k in zip(self._rows, mask) if k]
        self._counts = [c for c, k in zip(self._counts, mask) if k]
        self._matrix = None

    def _build(self) -> sp.csc_matrix:
        n = len(self._rows)
        lengths = np.array([c.sum() for c in self._counts]) if n else np.zeros(0)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(r) for r in self._rows], out=indptr[1:])
        cols = np.concatenate(self._rows) if n else np.zeros(0, dtype=np.int64)
        tf = np.concatenate(self._counts) if n else np.zeros(0)
        avg = float(lengths.mean()) if n and lengths.sum() > 0 else 1.0
        norm = np.repeat(K1 * (1.0 - B + B * lengths / avg), np.diff(indptr))
        weights = tf * (K1 + 1.0) / (tf + norm)
        matrix = sp.csr_matrix((weights, cols, indptr), shape=(n, len(self.vocab))).tocsc()
        self._lengths = lengths
        return matrix

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (float64, one per passage; 0 without a
        shared word). A query word counts once however often it is repeated."""
        if self._matrix is None:
            self._matrix = self._build()
        matrix = self._matrix
        n = matrix.shape[0]
        out = np.zeros(n)
        ids = sorted({self.vocab[t] for t in terms(query) if t in self.vocab})
        if not ids or n == 0:
            return out
        df = np.diff(matrix.indptr)[ids].astype(np.float64)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        for term, w in zip(ids, idf):
            a, b = matrix.indptr[term], matrix.indptr[term + 1]
            out[matrix.indices[a:b]] += w * matrix.data[a:b]
        return out


def bm25_reference(passages: Sequence[str], query: str) -> list[float]:
    """The plain definition of :meth:`LexicalIndex.scores`, passage by passage, for tests."""
    docs = [Counter(terms(p)) for p in passages]
    n = len(docs)
    if n == 0:
        return []
    lengths = [sum(d.values()) for d in docs]
    avg = sum(lengths) / n if sum(lengths) > 0 else 1.0
    out = []
    for d, length in zip(docs, lengths):
        s = 0.0
        for t in set(terms(query)):
            df = sum(1 for x in docs if t in x)
            if df == 0 or t not in d:
                continue
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            tf = d[t]
            s += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / avg))
        out.append(s)
    return out
