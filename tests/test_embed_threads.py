"""EmbedConfig.threads reaches torch, and `graphmem serve --embed-threads` reaches the config."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from graphmem.cli import main
from graphmem.config import EmbedConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.errors import GraphMemError


@pytest.fixture
def torch_threads_restored():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    yield torch
    torch.set_num_threads(before)  # the setting is process-wide


def test_threads_set_when_the_model_loads(torch_threads_restored):
    torch = torch_threads_restored
    torch.set_num_threads(2)
    embedder = SentenceTransformerEmbedder(EmbedConfig(threads=1))
    assert torch.get_num_threads() == 2  # nothing happens before the model is needed
    embedder.encode(["one thread"])
    assert torch.get_num_threads() == 1


def test_no_threads_leaves_torch_alone(torch_threads_restored):
    torch = torch_threads_restored
    torch.set_num_threads(2)
    SentenceTransformerEmbedder(EmbedConfig(threads=None)).encode(["default"])
    assert torch.get_num_threads() == 2


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="EmbedConfig.threads"):
        EmbedConfig(threads=0)


class _Stop(GraphMemError):
    pass


@pytest.mark.parametrize(("given", "expected"), [([], 1), (["--embed-threads", "2"], 2),
                                                 (["--embed-threads", "0"], None)])
def test_serve_passes_embed_threads(monkeypatch, tmp_path, given, expected):
    pytest.importorskip("uvicorn")
    import graphmem.server.service as service_module

    seen = {}

    class Recording:
        def __init__(self, path, config, **kwargs):
            seen["threads"] = config.embed.threads

        def start(self):
            raise _Stop("stop before loading models")

        def close(self):
            pass

    monkeypatch.setattr(service_module, "MemoryService", Recording)
    out = CliRunner().invoke(main, ["serve", "--store", str(tmp_path / "m"), *given])
    assert out.exit_code == 1, out.output
    assert seen == {"threads": expected}
