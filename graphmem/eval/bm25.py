"""Okapi BM25 lexical retrieval baseline, backed by the ``bm25s`` library.

Scoring is bm25s's ``"lucene"`` variant, BM25 as Lucene computes it since version 8 (Robertson
et al., "Okapi at TREC-3", 1994; Kamphuis et al., ECIR 2020)::

    score(q, d) = Σ_{t in q} idf(t) · tf(t, d) / (tf(t, d) + k1 · norm(d))
    norm(d)     = 1 - b + b · |d| / avgdl
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

with ``k1 = 1.2`` and ``b = 0.75``. The classic ``(k1 + 1)`` factor is left out, as in Lucene: it
scales every score alike and changes no ranking. This idf is never negative, so a term in more
than half of the documents still counts a little. A term repeated in the query contributes once
per occurrence.

Text goes through bm25s's tokenizer with a Unicode-safe splitter in front of it (:func:`words`:
NFKC, :func:`graphmem.text.tokenize`, casefold, punctuation dropped; CJK characters are words
of their own, digits and one-letter words are kept), then bm25s's English stopword list and the
Snowball English stemmer (PyStemmer) — the usual BM25 baseline setup; pass ``stopwords=None`` /
``stemmer=None`` for exact-word matching. Scores are computed in float64 and ranked here, so ties
break by the lower document index.

bm25s and PyStemmer come with the ``eval`` extra (``pip install 'graphmem[eval]'``) and are
imported on first use; without them a :class:`~graphmem.errors.MissingDependencyError` names it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphmem.errors import MissingDependencyError
from graphmem.graph.lexical import terms

__all__ = ["BM25Index", "analyze", "words"]

logger = logging.getLogger(__name__)


def words(text: str) -> list[str]:
    """Case-folded word tokens of ``text`` (CJK characters count as words); the splitter that
    runs before stopword removal and stemming.

    >>> words("Tokyo (東京) is BIG.")
    ['tokyo', '東', '京', 'is', 'big']
    """
    return terms(text)  # the same words the engine's own BM25 counts


def _import_bm25s() -> Any:
    """``bm25s``, imported on first use (``import graphmem.eval`` stays light).

    bm25s pins its logger at DEBUG on import, which prints its debug lines through whatever
    handler the application configured; the logger is handed back to the application's levels.
    """
    try:
        import bm25s
    except ImportError as exc:
        raise MissingDependencyError(
            "the BM25 baseline needs bm25s: pip install 'graphmem[eval]'"
        ) from exc
    bm25s_logger = logging.getLogger("bm25s")
    if bm25s_logger.level == logging.DEBUG:
        bm25s_logger.setLevel(logging.NOTSET)
    return bm25s


def _tokenizer(stopwords: str | None, stemmer: str | None) -> Any:
    """A fresh bm25s tokenizer with :func:`words` as splitter and the given stopwords/stemmer."""
    Tokenizer = _import_bm25s().tokenization.Tokenizer
    stem_fn = None
    if stemmer is not None:
        try:
            import Stemmer
        except ImportError as exc:
            raise MissingDependencyError(
                "BM25 stemming needs PyStemmer: pip install 'graphmem[eval]' (or pass stemmer=None)"
            ) from exc
        try:
            stem_fn = Stemmer.Stemmer(stemmer)
        except KeyError as exc:
            raise ValueError(
                f"unknown stemmer language {stemmer!r}; known: {', '.join(Stemmer.algorithms())}"
            ) from exc
    return Tokenizer(lower=False, splitter=words, stopwords=stopwords, stemmer=stem_fn)


def analyze(
    text: str, *, stopwords: str | None = "en", stemmer: str | None = "english"
) -> list[str]:
    """The BM25 terms of ``text``: :func:`words`, minus stopwords, stemmed.

    >>> analyze("The cats are running to Tokyo")
    ['cat', 'run', 'tokyo']
    """
    tok = _tokenizer(stopwords, stemmer)
    ids = tok.tokenize([text], update_vocab=True, show_progress=False, allow_empty=False)
    return tok.decode(ids)[0]


class BM25Index:
    """A BM25 index over ``texts``; document ``i`` is ``texts[i]``.

    ``stopwords`` is a bm25s stopword list name (``"en"``, ``"de"``, ...) or None; ``stemmer`` a
    Snowball language name or None.
    """

    def __init__(
        self,
        texts: Sequence[str],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        stopwords: str | None = "en",
        stemmer: str | None = "english",
    ):
        if k1 < 0:
            raise ValueError(f"k1 must be >= 0, got {k1}")
        if not 0.0 <= b <= 1.0:
            raise ValueError(f"b must be in [0, 1], got {b}")
        bm25s = _import_bm25s()
        self.k1 = float(k1)
        self.b = float(b)
        self._n_docs = len(texts)
        self._tokenizer = _tokenizer(stopwords, stemmer)
        ids = self._tokenizer.tokenize(
            list(texts), update_vocab=True, show_progress=False, allow_empty=False
        )
        vocab = self._tokenizer.get_vocab_dict()
        self._bm25: Any = None
        if vocab:  # bm25s cannot index a corpus without a single term
            self._bm25 = bm25s.BM25(k1=self.k1, b=self.b, method="lucene", dtype="float64")
            self._bm25.index((ids, dict(vocab)), create_empty_token=False, show_progress=False)
        logger.debug("BM25 index: %d documents, %d terms", self._n_docs, len(vocab))

    def __len__(self) -> int:
        return self._n_docs

    def query_terms(self, query: str) -> list[int]:
        """Vocabulary ids of the query's terms that occur in the corpus, repeats kept."""
        (ids,) = self._tokenizer.tokenize(
            [query], update_vocab=False, show_progress=False, allow_empty=False
        )
        return list(ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (float64 array of length ``len(self)``)."""
        terms = self.query_terms(query) if self._bm25 is not None else []
        if not terms:
            return np.zeros(self._n_docs, dtype=np.float64)
        return np.asarray(self._bm25.get_scores_from_ids(terms), dtype=np.float64)

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
