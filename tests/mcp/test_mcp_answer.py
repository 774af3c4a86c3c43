"""The answer tool: listed only when ``graphmem mcp`` has a model, and answering from the
recalled passages with citations (the scripted OpenAI-compatible server of tests/llm)."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ROOT, payload, stdio_session

from graphmem import Document, Memory

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")
pytestmark = pytest.mark.anyio

_spec = importlib.util.spec_from_file_location("graphmem_tests_fake_llm",
                                               ROOT / "tests" / "llm" / "server.py")
assert _spec is not None and _spec.loader is not None
fake_llm = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fake_llm  # dataclasses look their module up there
_spec.loader.exec_module(fake_llm)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _respond(request):  # the fact filter keeps nothing; the answer cites passage 1
    fmt = request.body.get("response_format") or {}
    if fmt.get("json_schema", {}).get("name") == "relevant_facts":
        return fake_llm.Reply.json({"facts": []})
    return fake_llm.Reply.text("Pellavon [1]")


async def test_answer_tool_with_a_model(tmp_path, embedder, extractor, monkeypatch):
    store = tmp_path / "mem"
    with Memory(store, embedder=embedder, extractor=extractor) as mem:
        mem.add([Document("Odile Marchetti was born in Pellavon.", id="odile")])
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")  # the subprocess inherits it
    with fake_llm.FakeOpenAIServer() as server:
        server.responder = _respond
        async with stdio_session(store, "--llm-model", "fake-model",
                                 "--llm-base-url", server.base_url) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert sorted(tools) == ["answer", "forget", "recall", "remember", "stats"]
            assert tools["answer"].input_schema["required"] == ["question"]
            out = payload(await session.call_tool("answer", {
                "question": "Where was Odile Marchetti born?", "top_k": 1}))
    assert out["text"] == "Pellavon"
    assert out["citations"] == [{"number": 1, "doc_id": "odile", "chunk_id": "odile#0"}]
