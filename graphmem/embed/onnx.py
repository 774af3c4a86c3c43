"""ONNX Runtime backend: the packaged sentence-transformers model, exported once, run without torch.

Selected by ``EmbedConfig(backend="onnx")``, optionally ``quantize="int8"``. On first use the
model the torch backend would load (resolved by :func:`resolve_model_path`, never the model hub)
is exported by :mod:`graphmem.embed.onnx_export` and cached; later embedders, in this process or
another, reuse the file. The graph contains the whole sentence-transformers pipeline (transformer,
mean pooling, normalisation), so the vectors are the torch path's up to float rounding; they are
normalised again here exactly as the torch path does (L2, eps 1e-12).

Texts are tokenized with the model's own fast tokenizer (truncated to the model's
``max_seq_length``), sorted by token count and run in batches of ``EmbedConfig.batch_size``
padded to their longest member, so short strings are not padded to passages.

``onnxruntime`` and ``tokenizers`` are imported when the model loads, and a missing
``onnxruntime`` names the extra that installs it (``pip install 'graphmem[onnx]'``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from graphmem.config import EmbedConfig
from graphmem.embed.onnx_export import (
    ONNX_INSTALL,
    ExportedModel,
    default_onnx_cache_dir,
    ensure_exported,
)
from graphmem.embed.sentence_transformers import resolve_model_path
from graphmem.errors import MissingDependencyError

log = logging.getLogger(__name__)

__all__ = ["OnnxEmbedder", "embed_config_for", "embedder_name"]


def embedder_name(config: EmbedConfig) -> str:
    """The name a store records for ``config``: the model name for torch (as before backends
    existed, so existing stores still open), ``<model>+onnx`` or ``<model>+onnx-int8`` otherwise.

    ONNX fp32 vectors equal the torch path's to cosine >= 0.999 (tests/test_embed_onnx.py), but
    int8 vectors do not, and which backend built a store should be visible: a store refuses to
    open with another backend rather than silently mixing vectors."""
    if config.backend == "torch":
        return config.model
    return f"{config.model}+onnx" + ("-int8" if config.quantize == "int8" else "")


def embed_config_for(name: str, base: EmbedConfig | None = None) -> EmbedConfig:
    """``base`` (default :class:`EmbedConfig`) with the model, backend and quantisation that
    :func:`embedder_name` encoded in ``name``: what reopens a store that recorded ``name``."""
    base = base if base is not None else EmbedConfig()
    suffixes: tuple[tuple[str, Literal["none", "int8"]], ...] = (
        ("+onnx-int8", "int8"),
        ("+onnx", "none"),
    )
    for suffix, quantize in suffixes:
        if name.endswith(suffix):
            return replace(base, model=name[: -len(suffix)], backend="onnx", quantize=quantize)
    return replace(base, model=name, backend="torch", quantize="none")


@dataclass(frozen=True)
class _Loaded:
    """A loaded backend: the session, the tokenizer and the export they came from."""

    session: Any
    tokenizer: Any
    exported: ExportedModel


class OnnxEmbedder:
    """Embeds with ONNX Runtime. The export and session load lazily on first use (an export takes
    a few seconds once; loading a cached one well under a second), so opening a store to count
    rows does not pay for them."""

    def __init__(self, config: EmbedConfig | None = None):
        self.config = config if config is not None else EmbedConfig(backend="onnx")
        if self.config.backend != "onnx":
            raise ValueError(
                f"OnnxEmbedder needs EmbedConfig.backend='onnx', got {self.config.backend!r} "
                "(graphmem.embed.make_embedder picks the embedder for a config)"
            )
        self.name = embedder_name(self.config)
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def cache_dir(self) -> Path:
        """Where exports are cached: ``EmbedConfig.onnx_cache_dir`` or the default."""
        configured = self.config.onnx_cache_dir
        return Path(configured).expanduser() if configured else default_onnx_cache_dir()

    @property
    def loaded(self) -> _Loaded:
        """The session and tokenizer, exporting the model first when no cached export exists."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
        return self._loaded

    @property
    def onnx_path(self) -> Path:
        """The ONNX file this embedder runs (exported when missing)."""
        return self.loaded.exported.onnx_path

    def _load(self) -> _Loaded:
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MissingDependencyError(
                f"EmbedConfig(backend='onnx') needs onnxruntime: {ONNX_INSTALL}"
            ) from exc
        exported = ensure_exported(
            self.config.model,
            resolve_model_path(self.config.model),
            self.cache_dir,
            self.config.quantize,
        )
        options = ort.SessionOptions()
        # 0 is ONNX Runtime's default (one thread per physical core); the setting is per
        # session, unlike torch.set_num_threads, so it does not change other embedders
        options.intra_op_num_threads = self.config.threads or 0
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(
            str(exported.onnx_path), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(exported.tokenizer_path))
        tokenizer.no_padding()  # batches are padded here, to their own longest member
        tokenizer.enable_truncation(max_length=exported.max_seq_length)
        log.info(
            "loaded ONNX embedder %s from %s (threads %s)",
            self.name,
            exported.onnx_path,
            self.config.threads or "default",
        )
        return _Loaded(session=session, tokenizer=tokenizer, exported=exported)

    @property
    def dim(self) -> int:
        return self.loaded.exported.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 embeddings, one row per text, in the order given."""
        loaded = self.loaded
        exported = loaded.exported
        if len(texts) == 0:
            return np.zeros((0, exported.dim), dtype=np.float32)
        batch = [t.lower() for t in texts] if exported.do_lower_case else list(texts)
        encodings = loaded.tokenizer.encode_batch(batch)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), exported.dim), dtype=np.float32)
        size = self.config.batch_size
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            feed = _feed([encodings[i] for i in rows], exported)
            emb = loaded.session.run(["sentence_embedding"], feed)[0].astype(np.float32)
            norms = np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
            out[rows] = emb / norms
        return out


def _feed(encodings: Sequence[Any], exported: ExportedModel) -> dict[str, np.ndarray]:
    """The graph's inputs for one batch, padded to its longest encoding (``pad_id``, mask 0)."""
    width = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), width), exported.pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        n = len(enc.ids)
        ids[row, :n] = enc.ids
        mask[row, :n] = enc.attention_mask
        types[row, :n] = enc.type_ids
    arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    missing = [name for name in exported.inputs if name not in arrays]
    if missing:
        raise ValueError(f"{exported.onnx_path}: unsupported model inputs {missing}")
    return {name: arrays[name] for name in exported.inputs}
