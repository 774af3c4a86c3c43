"""The ONNX Runtime backend: parity with the torch path, the export cache, and store safety.

The model is exported once per session into a temporary cache directory (a few seconds); every
test shares it.
"""

from __future__ import annotations

import json
import sqlite3
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from graphmem import Memory
from graphmem.cli import main
from graphmem.config import EmbedConfig, MemoryConfig
from graphmem.embed import (
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    embed_config_for,
    embedder_name,
    make_embedder,
    onnx_export,
)
from graphmem.errors import EmbedderMismatchError, MissingDependencyError, ModelNotFoundError
from graphmem.types import Document

pytest.importorskip("onnxruntime")

LONG = " ".join(
    f"Sentence {i} of a long passage about the Rhine, which flows from the Alps to the North Sea."
    for i in range(40)
)  # > 256 word pieces: exercises truncation

TEXTS = [
    "Barack Obama",
    "Eiffel Tower",
    "born in Honolulu",
    "1922 german silent drama film",
    "Who directed the film that won the Palme d'Or in 1994?",
    ("The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. "
    "It is named after the engineer Gustave Eiffel, whose company designed and built it."),
    "Die Stadt Köln liegt am Rhein und ist bekannt für ihren gotischen Dom.",
    "Le château de Versailles fut la résidence des rois de France.",
    "東京は日本の首都です。",
    "北京是中华人民共和国的首都。",
    "Москва — столица России.",
    "القاهرة هي عاصمة مصر",
    "naïve café façade 🚀",
    "x",
    LONG,
]

FP32_MIN_COSINE = 0.999
"""The brief's bound for ONNX fp32 against torch; measured minimum 0.99993 against bfloat16
(the default) and 0.99999 against float32 on these strings."""

INT8_MIN_COSINE = 0.97
INT8_MEAN_COSINE = 0.985
"""int8 against fp32: measured minimum 0.978 (the one-letter "x"; 0.987 for the rest) and mean
0.991 on these strings on a Xeon with AVX-512 VNNI (0.995 mean on 256 MuSiQue passages), and
mean 0.989 on an AMD EPYC with AVX2 only, where ONNX Runtime's int8 kernels differ; bounded a
little below both."""


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    """``<cache>/onnx``: where the default lands when ``GRAPHMEM_CACHE_DIR=<cache>``."""
    path = tmp_path_factory.mktemp("graphmem-cache") / "onnx"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def onnx_fp32(onnx_cache) -> OnnxEmbedder:
    e = OnnxEmbedder(EmbedConfig(backend="onnx", onnx_cache_dir=str(onnx_cache)))
    e.encode(["warm up"])
    return e


@pytest.fixture(scope="session")
def onnx_int8(onnx_cache, onnx_fp32) -> OnnxEmbedder:
    e = OnnxEmbedder(EmbedConfig(backend="onnx", quantize="int8", onnx_cache_dir=str(onnx_cache)))
    e.encode(["warm up"])
    return e


@pytest.fixture(scope="session")
def torch_fp32() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(EmbedConfig(dtype="float32"))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_fp32_matches_torch(onnx_fp32, embedder, torch_fp32):
    got = onnx_fp32.encode(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert _cosines(got, embedder.encode(TEXTS)).min() >= FP32_MIN_COSINE  # torch bfloat16
    assert _cosines(got, torch_fp32.encode(TEXTS)).min() >= 0.9999


def test_int8_close_to_fp32(onnx_fp32, onnx_int8):
    cos = _cosines(onnx_int8.encode(TEXTS), onnx_fp32.encode(TEXTS))
    assert cos.min() >= INT8_MIN_COSINE
    assert cos.mean() >= INT8_MEAN_COSINE


def test_tokens_match_sentence_transformers(onnx_fp32, torch_fp32):
    """Same word pieces as the torch path, truncation at max_seq_length included."""
    model = torch_fp32.model
    prepare = getattr(model, "preprocess", None) or model.tokenize
    features = prepare(TEXTS)
    ours = onnx_fp32.loaded.tokenizer.encode_batch(TEXTS)
    for row, enc in enumerate(ours):
        n = int(features["attention_mask"][row].sum())
        assert enc.ids == features["input_ids"][row][:n].tolist(), TEXTS[row][:40]
    assert max(len(e.ids) for e in ours) == model.max_seq_length == 256


def test_order_batches_and_empty(onnx_cache, onnx_fp32):
    small = OnnxEmbedder(
        EmbedConfig(backend="onnx", batch_size=2, threads=1, onnx_cache_dir=str(onnx_cache))
    )
    whole = onnx_fp32.encode(TEXTS)
    np.testing.assert_allclose(small.encode(TEXTS), whole, atol=1e-5)
    np.testing.assert_allclose(onnx_fp32.encode(TEXTS[::-1]), whole[::-1], atol=1e-5)
    assert onnx_fp32.encode([]).shape == (0, 384)


def test_second_embedder_reuses_the_export(onnx_cache, onnx_fp32, onnx_int8, monkeypatch):
    files = sorted(onnx_cache.glob("*"))
    names = {p.name for p in files}
    assert any(n.endswith("-int8.onnx") for n in names) and len(names) == 4, names
    assert not any(n.endswith(".tmp") for n in names)  # temp files renamed or removed
    before = {p: p.stat().st_mtime_ns for p in files}

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "_export", no_export)
    monkeypatch.setattr(onnx_export, "_quantize", no_export)
    for quantize in ("none", "int8"):
        again = OnnxEmbedder(
            EmbedConfig(backend="onnx", quantize=quantize, onnx_cache_dir=str(onnx_cache))
        )
        assert again.encode(["cached"]).shape == (1, 384)
    assert {p: p.stat().st_mtime_ns for p in sorted(onnx_cache.glob("*"))} == before


def test_names_carry_the_backend(onnx_fp32, onnx_int8, embedder):
    assert embedder.name == "sentence-transformers/all-MiniLM-L6-v2"  # unchanged: stores open
    assert onnx_fp32.name == "sentence-transformers/all-MiniLM-L6-v2+onnx"
    assert onnx_int8.name == "sentence-transformers/all-MiniLM-L6-v2+onnx-int8"
    assert isinstance(make_embedder(EmbedConfig(backend="onnx")), OnnxEmbedder)
    assert isinstance(make_embedder(EmbedConfig()), SentenceTransformerEmbedder)


def test_store_refuses_a_backend_switch(tmp_path, embedder, onnx_fp32, onnx_int8, extractor):
    with Memory(tmp_path / "torch", embedder=embedder, extractor=extractor) as mem:
        mem.add([Document(text="Paris is the capital of France.", title="Paris")])
    with pytest.raises(EmbedderMismatchError) as err:
        Memory(tmp_path / "torch", embedder=onnx_fp32)
    assert "'sentence-transformers/all-MiniLM-L6-v2'" in str(err.value)
    assert "+onnx" in str(err.value)
    with pytest.raises(EmbedderMismatchError):  # from the config alone, before any model loads
        Memory(tmp_path / "torch", MemoryConfig(embed=EmbedConfig(backend="onnx")))

    with Memory(tmp_path / "onnx", embedder=onnx_fp32, extractor=extractor) as mem:
        mem.add([Document(text="Berlin is the capital of Germany.", title="Berlin")])
        assert mem.retrieve("capital of Germany", top_k=1)
    for other in (embedder, onnx_int8):
        with pytest.raises(EmbedderMismatchError, match=r"\+onnx'"):
            Memory(tmp_path / "onnx", embedder=other)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "tensorflow"}, "EmbedConfig.backend must be one of"),
        ({"quantize": "int4", "backend": "onnx"}, "EmbedConfig.quantize must be one of"),
        ({"quantize": "int8"}, "needs backend='onnx'"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_config_is_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EmbedConfig(**kwargs)


def test_wrong_class_for_the_backend():
    with pytest.raises(ValueError, match="make_embedder"):
        SentenceTransformerEmbedder(EmbedConfig(backend="onnx"))
    with pytest.raises(ValueError, match="make_embedder"):
        OnnxEmbedder(EmbedConfig())


def test_missing_onnxruntime_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    e = OnnxEmbedder(EmbedConfig(backend="onnx", onnx_cache_dir=str(tmp_path)))
    with pytest.raises(MissingDependencyError, match=r"pip install 'graphmem\[onnx\]'"):
        e.encode(["x"])


def test_a_model_that_is_not_local_is_refused(tmp_path):
    e = OnnxEmbedder(
        EmbedConfig(backend="onnx", model="acme/not-installed", onnx_cache_dir=str(tmp_path))
    )
    with pytest.raises(ModelNotFoundError, match="local model"):
        e.encode(["x"])
    assert not list(tmp_path.glob("*"))


def _musique_file(path):
    """Two MuSiQue-format questions over four passages."""
    texts = {
        "Quillfeather Observatory": "The Quillfeather Observatory was built by Vantongeren.",
        "Marisol Vantongeren": "Marisol Vantongeren was born in Ostrelund.",
        "Brackwater": "Brackwater is a market town famous for its copper bells.",
        "Valdoria": "Valdoria is the capital of Meriva.",
    }
    gold = [("Quillfeather Observatory", "Marisol Vantongeren"), ("Brackwater", "Valdoria")]
    records = [
        {"id": f"q{n}", "question": f"question {n} about {a}?", "answer": "x",
         "paragraphs": [{"idx": i, "title": t, "paragraph_text": body, "is_supporting": t in (a, b)}
                        for i, (t, body) in enumerate(texts.items())]}
        for n, (a, b) in enumerate(gold)
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_cli_eval_with_the_onnx_backend(tmp_path, onnx_cache, onnx_fp32, monkeypatch):
    monkeypatch.setenv("GRAPHMEM_CACHE_DIR", str(onnx_cache.parent))  # reuse the session export
    questions = _musique_file(tmp_path / "musique.json")
    store = tmp_path / "store"
    args = ["eval", "--questions", str(questions), "--methods", "dense", "--store", str(store),
            "--cache-dir", str(tmp_path / "cache"), "--embed-backend", "onnx"]
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "dense" in r.stdout
    with sqlite3.connect(store / "graphmem.sqlite") as db:
        (name,) = db.execute("SELECT value FROM meta WHERE key = 'embedder_name'").fetchone()
    assert name == onnx_fp32.name

    r = CliRunner().invoke(main, [*args[:-2], "--embed-backend", "torch"])  # the same store
    assert r.exit_code == 1
    assert "refusing to open it with 'sentence-transformers/all-MiniLM-L6-v2'" in r.output

    # commands without embed options open the store with the backend it recorded
    r = CliRunner().invoke(main, ["query", "Where was Marisol Vantongeren born?", "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert "Ostrelund" in r.output


def test_embed_config_for_inverts_the_name():
    for config in (EmbedConfig(), EmbedConfig(backend="onnx"), EmbedConfig(backend="onnx", quantize="int8"),
                   EmbedConfig(model="/models/mine", threads=1)):
        again = embed_config_for(embedder_name(config), EmbedConfig(threads=config.threads))
        assert again == config


def test_cli_refuses_int8_with_torch(tmp_path):
    questions = _musique_file(tmp_path / "musique.json")
    r = CliRunner().invoke(main, ["eval", "--questions", str(questions), "--methods", "bm25",
                                  "--embed-quantize", "int8"])
    assert r.exit_code == 1
    assert "needs backend='onnx'" in r.output
