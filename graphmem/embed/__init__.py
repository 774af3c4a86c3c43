"""Embedders turn text into L2-normalised float32 vectors.

Every backend implements :class:`Embedder`. The store records ``name`` and ``dim`` and refuses to
open with a different embedder, because vectors from two models are not comparable.
:func:`make_embedder` builds the one a config asks for: ``EmbedConfig.backend`` ``"torch"``
(sentence-transformers, the default) or ``"onnx"`` (ONNX Runtime, optional extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from graphmem.config import EmbedConfig
from graphmem.embed.onnx import OnnxEmbedder, embed_config_for, embedder_name
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


def make_embedder(config: EmbedConfig | None = None) -> Embedder:
    """The embedder ``config.backend`` names (nothing loads until the first encode)."""
    config = config if config is not None else EmbedConfig()
    if config.backend == "onnx":
        return OnnxEmbedder(config)
    return SentenceTransformerEmbedder(config)


__all__ = [
    "Embedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "embed_config_for",
    "embedder_name",
    "make_embedder",
]
