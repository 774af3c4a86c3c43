"""Embedders turn text into L2-normalised float32 vectors.

Every backend implements :class:`Embedder`. The store records ``name`` and ``dim`` and refuses to
open with a different embedder, because vectors from two models are not comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from graphmem.embed.sentence_transformers import SentenceTransformerEmbedder


@runtime_checkable
class Embedder(Protocol):
    """The embedding role.

    ``name`` identifies the model (not a local path) so stores built on different machines agree;
    ``dim`` is the vector size; ``encode`` returns an ``(len(texts), dim)`` float32 array whose rows
    have unit L2 norm (so a dot product is a cosine).
    """

    name: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


__all__ = ["Embedder", "SentenceTransformerEmbedder"]
