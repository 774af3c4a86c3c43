"""``EmbedConfig(dtype="auto")``, the default: bfloat16 only where the CPU multiplies it natively,
or what ``GRAPHMEM_EMBED_DTYPE`` names (the suite sets float32 in conftest)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from graphmem.config import EmbedConfig
from graphmem.embed.sentence_transformers import (
    DTYPE_ENV,
    SentenceTransformerEmbedder,
    auto_dtype,
    native_dtype,
)


def _cpu(bf16: bool, amx: bool) -> SimpleNamespace:
    """The two feature checks of ``torch.cpu`` (the edge we do not own), answering as given."""
    return SimpleNamespace(cpu=SimpleNamespace(_is_avx512_bf16_supported=lambda: bf16,
                                               _is_amx_tile_supported=lambda: amx))


def test_auto_picks_bfloat16_only_with_native_support() -> None:
    assert native_dtype(_cpu(True, False)) == "bfloat16"
    assert native_dtype(_cpu(False, True)) == "bfloat16"
    assert native_dtype(_cpu(False, False)) == "float32"
    assert native_dtype(SimpleNamespace(cpu=SimpleNamespace())) == "float32"  # a torch without the checks
    assert EmbedConfig().dtype == "auto"  # the default


def test_the_environment_fixes_what_auto_runs() -> None:
    native = _cpu(True, False)
    assert auto_dtype(native, {}) == "bfloat16"
    assert auto_dtype(native, {DTYPE_ENV: ""}) == "bfloat16"  # empty: unset
    assert auto_dtype(native, {DTYPE_ENV: " float32 "}) == "float32"
    assert auto_dtype(_cpu(False, False), {DTYPE_ENV: "bfloat16"}) == "bfloat16"


def test_the_loaded_model_runs_in_the_dtype_auto_chose(monkeypatch) -> None:
    monkeypatch.delenv(DTYPE_ENV)
    chosen = native_dtype(torch)
    embedder = SentenceTransformerEmbedder(EmbedConfig(dtype="auto", threads=1))
    assert next(embedder.model.parameters()).dtype == getattr(torch, chosen)
    monkeypatch.setenv(DTYPE_ENV, "bfloat16")
    explicit = SentenceTransformerEmbedder(EmbedConfig(dtype="float32", threads=1))
    assert next(explicit.model.parameters()).dtype == torch.float32  # the config wins
    pinned = SentenceTransformerEmbedder(EmbedConfig(threads=1))
    assert next(pinned.model.parameters()).dtype == torch.bfloat16
    assert pinned.name == embedder.name  # one store serves both
    vectors, exact = embedder.encode(["Odile Varga was born in Pellavon."]), pinned.encode(
        ["Odile Varga was born in Pellavon."])
    assert float((vectors * exact).sum()) > 0.999


def test_a_bad_environment_dtype_is_named_when_the_model_loads(monkeypatch) -> None:
    monkeypatch.setenv(DTYPE_ENV, "float8")
    embedder = SentenceTransformerEmbedder(EmbedConfig())
    with pytest.raises(ValueError, match=f"{DTYPE_ENV} .* must be one of .*'float8'"):
        embedder.encode(["x"])


def test_an_unknown_dtype_is_named_when_the_model_loads() -> None:
    embedder = SentenceTransformerEmbedder(EmbedConfig(dtype="float64"))
    with pytest.raises(ValueError, match="EmbedConfig.dtype must be one of .*'float64'"):
        embedder.encode(["x"])
