"""POST /v1/answer and Client.answer on a server started with a model (the scripted
OpenAI-compatible server of tests/llm stands in for the LLM endpoint)."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ROOT, server_env, start_server

from graphmem import Document, InputError, Memory
from graphmem.client import Client, ServerError

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")

_spec = importlib.util.spec_from_file_location("graphmem_tests_fake_llm_server",
                                               ROOT / "tests" / "llm" / "server.py")
assert _spec is not None and _spec.loader is not None
fake_llm = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fake_llm  # dataclasses look their module up there
_spec.loader.exec_module(fake_llm)


def _respond(request):  # the fact filter keeps nothing; the answer cites passage 1
    fmt = request.body.get("response_format") or {}
    if fmt.get("json_schema", {}).get("name") == "relevant_facts":
        return fake_llm.Reply.json({"facts": []})
    if "Odile" not in str(request.body["messages"]):
        return fake_llm.Reply.fail(500)
    return fake_llm.Reply.text("Pellavon [1]")


def test_answer_cites_the_retrieved_passage(tmp_path, embedder, extractor):
    store = tmp_path / "mem"
    with Memory(store, embedder=embedder, extractor=extractor) as mem:
        mem.add([Document("Odile Marchetti was born in Pellavon.", id="odile"),
                 Document("Teodor Vanlis built the Carrow Mill.", id="teodor")])
    with fake_llm.FakeOpenAIServer() as llm:
        llm.responder = _respond
        served = start_server(store, tmp_path / "server.log", "--llm-model", "fake-model",
                              "--llm-base-url", llm.base_url, "--llm-retries", "0",
                              env=server_env(OPENAI_API_KEY="test-key"))
        try:
            with Client(served.url) as c:
                out = c.answer("Where was Odile Marchetti born?", top_k=1)
                with pytest.raises(ServerError) as err:
                    c.answer("Who built the Carrow Mill?", top_k=1)  # the LLM answers 500
                with pytest.raises(InputError) as blank:
                    c.answer("   ")
        finally:
            assert served.stop() == 0, served.log.read_text()
    assert out.text == "Pellavon"
    assert [(c.number, c.doc_id, c.chunk_id) for c in out.citations] == [(1, "odile", "odile#0")]
    assert [h.doc_id for h in out.hits] == ["odile"]
    assert (err.value.status, err.value.code) == (502, "llm_error")
    assert blank.value.source == "question" and "must not be blank" in str(blank.value)
