"""Cheap deterministic vectors for scale runs: an :class:`~graphmem.embed.Embedder` that embeds a
text as the normalised, weighted sum of seeded random vectors of its words (issue 14).

Embedding 10^6 passages with MiniLM takes hours on 2 cores; a scale run measures the store, the
index and the query path, so it may use vectors that cost microseconds, as long as they are
labelled ("synthetic vectors") and retrieval still works on them. Here each distinct word
(lower-cased ``\\w+`` run) has a random ±1/√d vector seeded by a hash of the word (BLAKE2b, so
the same word gets the same vector in every process and on every machine), and a text is
the sum of its words' vectors, function words weighted :data:`STOP_WEIGHT`, scaled to unit
norm. Two texts are then as close as the words they share: a query naming "The Lantern of
Brathond" is near that work's passage, its name and its facts, which is what fact linking
and the dense passage prior need; two different invented names share no word and are far apart
(random vectors in 384 dimensions have cosines of about ±0.05).

The embedder's :attr:`name` says what it is, so a store built with it records that name and
refuses to open with a real model (and a real store refuses it): vectors are never mixed.

:func:`word_vectors` is vectorised (splitmix64 over a ``(words, d)`` grid) and
:func:`reference_vector` is the same thing for one text written out plainly; the tests hold one
to the other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["STOP_WEIGHT", "HashedWordEmbedder", "reference_vector", "word_vectors"]

NAME = "synthetic-hashed-words"
STOP_WEIGHT = 0.2
STOPWORDS = frozenset((
    "a", "an", "the", "of", "in", "on", "at", "by", "for", "to", "and", "or", "is", "was", "are",
    "were", "it", "its", "which", "who", "what", "where", "when", "how", "did", "does", "do",
    "from", "with", "as", "that", "this",
))
_WORD = re.compile(r"\w+")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_EMPTY = "\x00empty"  # the word an empty text is made of (a text must have a unit vector)


def word_seed(word: str) -> int:
    """The 64-bit seed of ``word``'s vector."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def word_vectors(seeds: np.ndarray, dim: int) -> np.ndarray:
    """``(len(seeds), dim)`` float32 rows of ±1/√dim: bit 63 of splitmix64(seed + (j+1)·φ)
    gives the sign of component j."""
    with np.errstate(over="ignore"):
        x = seeds.astype(np.uint64)[:, None] + _GOLDEN * np.arange(1, dim + 1, dtype=np.uint64)
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        x ^= x >> np.uint64(31)
    signs = np.where(x >> np.uint64(63), -1.0, 1.0).astype(np.float32)
    return signs / np.float32(np.sqrt(dim))


def words(text: str) -> list[str]:
    """The words of ``text`` as embedded: lower-cased ``\\w+`` runs (an empty text: one marker)."""
    return _WORD.findall(text.lower()) or [_EMPTY]


def weight(word: str) -> float:
    return STOP_WEIGHT if word in STOPWORDS else 1.0


def reference_vector(text: str, dim: int = 384) -> np.ndarray:
    """One text's vector, plainly: a float64 sum over its words, normalised, as float32."""
    total = np.zeros(dim, dtype=np.float64)
    for w in words(text):
        seed = np.array([word_seed(w)], dtype=np.uint64)
        total += weight(w) * word_vectors(seed, dim)[0].astype(np.float64)
    return (total / np.linalg.norm(total)).astype(np.float32)


class HashedWordEmbedder:
    """Synthetic vectors by text (see the module docstring); ``name`` records the dimension and
    a revision, e.g. ``"synthetic-hashed-words-384:r1"``."""

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim
        self.name = f"{NAME}-{dim}:r1"
        self._seeds: dict[str, int] = {}  # word -> seed, bounded by the vocabulary

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit rows."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        column: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for r, text in enumerate(texts):
            for w in words(text):
                rows.append(r)
                cols.append(column.setdefault(w, len(column)))
                vals.append(weight(w))
        seeds = np.fromiter(
            (self._seed(w) for w in column), dtype=np.uint64, count=len(column)
        )
        counts = sp.csr_matrix(
            (np.array(vals, dtype=np.float64), (rows, cols)), shape=(len(texts), len(column))
        )  # repeated words add up
        out = counts @ word_vectors(seeds, self._dim).astype(np.float64)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out, dtype=np.float32)

    def _seed(self, word: str) -> int:
        seed = self._seeds.get(word)
        if seed is None:
            seed = self._seeds[word] = word_seed(word)
        return seed

    def __repr__(self) -> str:
        return f"HashedWordEmbedder(dim={self._dim})"
