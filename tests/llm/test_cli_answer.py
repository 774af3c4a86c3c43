"""`graphmem answer` and `graphmem query --llm-model` against the scripted local server."""

from __future__ import annotations

import json
import time

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


def hanging(request: RecordedRequest) -> Reply:
    return Reply.text("too late", delay_s=30.0)


@pytest.fixture
def cli_store(memory_factory, tmp_path):
    mem = memory_factory("cli")
    mem.add([Document("Odile Marchetti was born in Pellavon.", id="odile")])
    mem.close()
    return tmp_path / "cli"


@pytest.mark.parametrize(
    ("command", "options", "env", "attempts"),
    [
        (["answer"], ["--llm-timeout", "0.3", "--llm-retries", "1"], {}, 2),
        (["answer"], [], {"GRAPHMEM_LLM_TIMEOUT": "0.3", "GRAPHMEM_LLM_RETRIES": "0"}, 1),
        (["query"], ["--llm-timeout", "0.3", "--llm-retries", "0"], {}, 1),
        (["query"], [], {"GRAPHMEM_LLM_TIMEOUT": "0.3", "GRAPHMEM_LLM_RETRIES": "1"}, 2),
    ],
)
def test_timeout_and_retries_bound_a_hanging_server(
    cli_store, server, command, options, env, attempts
):
    server.responder = hanging
    args = [*command, "Where was Odile Marchetti born?", "--store", str(cli_store),
            "--llm-model", "fake-model", "--llm-base-url", server.base_url, *options]
    start = time.monotonic()
    result = CliRunner().invoke(main, args, env={"OPENAI_API_KEY": "test-key", **env})
    elapsed = time.monotonic() - start
    assert result.exit_code == 1, result.output
    # (in this process the embedder may print its loading bar first: the last line is ours)
    assert result.stderr.splitlines()[-1] == (
        f"error: {server.base_url}/chat/completions: giving up after {attempts} attempts "
        f"(max_retries={attempts - 1}); last error: no reply within 0.3 s"
    )
    assert len(server.requests) == attempts
    assert elapsed < 10.0


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        (["--llm-timeout", "-1"], {}, "Invalid value for '--llm-timeout'"),
        ([], {"GRAPHMEM_LLM_TIMEOUT": "soon"}, "Invalid value for '--llm-timeout'"),
        (["--llm-retries", "-2"], {}, "Invalid value for '--llm-retries'"),
    ],
)
def test_invalid_limits_are_usage_errors(tmp_path, options, env, message):
    args = ["answer", "q", "--store", str(tmp_path), "--llm-model", "m", *options]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2
    assert message in result.output


def test_answer_takes_the_model_from_the_environment(cli_store, server):
    server.responder = respond
    args = ["answer", "Where was Odile Marchetti born?", "--store", str(cli_store),
            "--llm-base-url", server.base_url, "--top-k", "1", "--json"]
    env = {"OPENAI_API_KEY": "test-key", "GRAPHMEM_LLM_MODEL": "env-model"}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["text"] == "Pellavon"
    assert {r.body["model"] for r in server.requests} == {"env-model"}


def test_corrupt_response_cache_is_one_line_saying_how_to_recover(cli_store, server):
    cache = cli_store / "llm_cache.sqlite"
    cache.write_bytes(b"this is not sqlite" * 400)
    server.responder = respond
    args = ["answer", "Where was Odile Marchetti born?", "--store", str(cli_store),
            "--llm-model", "fake-model", "--llm-base-url", server.base_url]
    result = CliRunner().invoke(main, args, env={"OPENAI_API_KEY": "test-key"})
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: LLM response cache {cache} is corrupt (file is not a database): delete it to "
        "start with an empty cache: nothing stored in the memory depends on it\n"
    )
    assert server.requests == []
