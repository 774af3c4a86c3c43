"""`graphmem answer` and `graphmem query --llm-model` against the scripted local server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphmem import Document
from graphmem.cli import main

from .server import RecordedRequest, Reply

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")


def respond(request: RecordedRequest) -> Reply:
    fmt = request.body.get("response_format") or {}
    if fmt.get("json_schema", {}).get("name") == "relevant_facts":
        return Reply.json({"facts": []})
    return Reply.text("Pellavon [1]")


def test_answer_command_prints_answer_and_citations(memory_factory, server, tmp_path):
    mem = memory_factory("cli")
    mem.add([Document("Odile Marchetti was born in Pellavon.", id="odile")])
    mem.close()
    server.responder = respond
    args = ["answer", "Where was Odile Marchetti born?", "--store", str(tmp_path / "cli"),
            "--llm-model", "fake-model", "--llm-base-url", server.base_url, "--top-k", "1"]
    env = {"OPENAI_API_KEY": "test-key"}
    result = CliRunner().invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["text"] == "Pellavon"
    assert out["citations"] == [{"number": 1, "doc_id": "odile", "chunk_id": "odile#0"}]
    assert out["usage"]["calls"] == 2
    # the answer is cached in the store directory: the same command makes no HTTP call
    calls = len(server.requests)
    text = CliRunner().invoke(main, args, env=env)
    assert text.exit_code == 0, text.output
    assert "A: Pellavon" in text.stdout and "[1] odile:" in text.stdout
    assert len(server.requests) == calls


def test_answer_needs_a_model(tmp_path):
    result = CliRunner().invoke(main, ["answer", "q", "--store", str(tmp_path)], env={"GRAPHMEM_LLM_MODEL": None})
    assert result.exit_code == 2
    assert "--llm-model" in result.output
