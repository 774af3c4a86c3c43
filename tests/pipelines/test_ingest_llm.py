"""``ingest --extractor llm`` against the scripted server: unusable replies are failures (never
cached, listed by document, fatal under --strict), and --llm-timeout / --llm-retries (or their
environment variables) bound a hanging server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ingest_helpers import counts, doc_count, fake_server_module, make_corpus, write_jsonl

from graphmem.cli import main as graphmem_main
from pipelines.cli import ingest

pytest.importorskip("openai", reason="the LLM extractor needs graphmem[llm]")
pytestmark = pytest.mark.usefixtures("shared_models")

server_module = fake_server_module()
Reply = server_module.Reply

ENV = {"OPENAI_API_KEY": "test-key", "GRAPHMEM_LLM_MODEL": None, "OPENAI_BASE_URL": None}


class Model:
    """Good replies for every passage, except a prose NER reply for ``broken`` passages."""

    def __init__(self, broken: tuple[str, ...] = ()) -> None:
        self.broken = broken

    def __call__(self, request: Any) -> Any:
        text = request.last_user_message
        if "Named entities:" in text:
            return Reply.json({"triples": [["Saltmere", "lies on", "Ferrow Coast"]]})
        if any(b in text for b in self.broken):
            return Reply.text("I am not sure what you mean.")
        return Reply.json({"entities": ["Saltmere", "Ferrow Coast"]})


def asked_about(server: Any, passage: str) -> int:
    return sum(passage in r.last_user_message for r in server.requests)


def run(args: list[str], **env: Any) -> Any:
    return CliRunner().invoke(ingest, args, env={**ENV, **env})


def llm_args(corpus: Path, store: Path, server: Any, report: Path) -> list[str]:
    return [
        str(corpus), "--store", str(store), "--extractor", "llm", "--llm-model", "fake-model",
        "--llm-base-url", server.base_url, "--batch-size", "2", "--report", str(report),
    ]


def test_unusable_reply_is_a_failure_listed_by_document_and_retried_after_delete(tmp_path):
    records = make_corpus(4)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    store, report = tmp_path / "mem", tmp_path / "report.json"
    broken = records[1]["text"]
    model = Model(broken=(broken,))
    with server_module.FakeOpenAIServer(responder=model) as server:
        args = llm_args(corpus, store, server, report)
        result = run(args)
        assert result.exit_code == 0, result.output
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["llm_usage"]["failures"] == 1
        assert data["llm_usage"]["calls"] == 7  # no triple call after the unusable NER reply
        assert (data["failed_extractions"], data["failed_extraction_ids"]) == (1, ["p0001"])
        assert (data["ok"], data["documents_added"]) == (True, 4)
        assert (
            "extraction failed for 1 documents (stored without their entities and facts): "
            "p0001; once the model server works, delete them (graphmem delete ID) and rerun "
            "to extract them again"
        ) in result.stdout
        assert (
            "llm: calls 7, cache_hits 0, prompt_tokens 70, completion_tokens 35, retries 0, "
            "failures 1"
        ) in result.stdout

        model.broken = ()  # the server is fixed
        assert run(args).exit_code == 0
        assert asked_about(server, broken) == 1  # stored: skipped, not asked again
        deleted = CliRunner().invoke(graphmem_main, ["delete", "p0001", "--store", str(store)])
        assert deleted.exit_code == 0, deleted.output
        again = run(args)
        assert again.exit_code == 0, again.output
        assert asked_about(server, broken) == 3  # NER and triples, not from any cache
        data = json.loads(report.read_text(encoding="utf-8"))
        assert (data["failed_extractions"], data["failed_extraction_ids"]) == (0, [])
        assert data["llm_usage"]["failures"] == 0

        reference = tmp_path / "reference"
        assert run(llm_args(corpus, reference, server, tmp_path / "ref.json")).exit_code == 0
    assert counts(store) == counts(reference)


def test_strict_stops_before_the_batch_of_a_failed_extraction(tmp_path):
    records = make_corpus(6)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    store, report = tmp_path / "mem", tmp_path / "report.json"
    broken = records[2]["text"]
    model = Model(broken=(broken,))
    with server_module.FakeOpenAIServer(responder=model) as server:
        args = llm_args(corpus, store, server, report)
        result = run([*args, "--strict", "--prefetch", "0"])
        assert result.exit_code == 1
        assert result.stderr == (
            "error: document 'p0002': extraction failed: NER reply from "
            f"{server.base_url}/chat/completions (model fake-model) is not the JSON object the "
            "extraction prompt asks for ({\"entities\": [...]}): no JSON in 'I am not sure what "
            "you mean.' (strict mode: stopped before this document's batch)\n"
        )
        data = json.loads(report.read_text(encoding="utf-8"))
        assert (data["ok"], data["documents_added"], data["batches"]) == (False, 2, 1)
        assert data["llm_usage"]["failures"] == 1
        assert doc_count(store) == 2

        model.broken = ()
        result = run(args)
        assert result.exit_code == 0, result.output
        assert asked_about(server, broken) == 3
        data = json.loads(report.read_text(encoding="utf-8"))
        assert (data["documents_added"], data["documents_skipped"]) == (4, 2)
        assert (data["failed_extractions"], data["llm_usage"]["failures"]) == (0, 0)
    assert doc_count(store) == 6


def hanging(request: Any) -> Any:
    return Reply.text("too late", delay_s=30.0)


@pytest.mark.parametrize(
    ("options", "env", "attempts"),
    [
        (["--llm-timeout", "0.3", "--llm-retries", "1"], {}, 2),
        ([], {"GRAPHMEM_LLM_TIMEOUT": "0.3", "GRAPHMEM_LLM_RETRIES": "0"}, 1),
    ],
)
def test_timeout_and_retries_bound_a_hanging_server(tmp_path, options, env, attempts):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(2))
    store, report = tmp_path / "mem", tmp_path / "report.json"
    with server_module.FakeOpenAIServer(responder=hanging) as server:
        endpoint = f"{server.base_url}/chat/completions"
        start = time.monotonic()
        result = run([*llm_args(corpus, store, server, report), *options], **env)
        elapsed = time.monotonic() - start
    assert result.exit_code == 1
    assert (
        f"error: {endpoint}: giving up after {attempts} attempts "
        f"(max_retries={attempts - 1}); last error: no reply within 0.3 s"
    ) in result.stderr
    assert elapsed < 10.0
    assert doc_count(store) == 0


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        (["--llm-timeout", "0"], {}, "Invalid value for '--llm-timeout'"),
        ([], {"GRAPHMEM_LLM_RETRIES": "-1"}, "Invalid value for '--llm-retries'"),
    ],
)
def test_invalid_limits_are_usage_errors(tmp_path, options, env, message):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(1))
    result = run([str(corpus), "--store", str(tmp_path / "m"), "--extractor", "llm", *options],
                 **env)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "m").exists()


def test_model_comes_from_the_environment(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(1))
    store, report = tmp_path / "mem", tmp_path / "report.json"
    with server_module.FakeOpenAIServer(responder=Model()) as server:
        args = [str(corpus), "--store", str(store), "--extractor", "llm", "--report", str(report)]
        result = run(args, GRAPHMEM_LLM_MODEL="env-model", OPENAI_BASE_URL=server.base_url)
        assert result.exit_code == 0, result.output
        assert {r.body["model"] for r in server.requests} == {"env-model"}
    assert json.loads(report.read_text(encoding="utf-8"))["extractor"] == "llm:env-model:ie-v1"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cache.sqlite", "{path}: corrupt cache file (file is not a database); "),
        ("llm_cache.sqlite", "LLM response cache {path} is corrupt (file is not a database): "),
    ],
)
def test_corrupt_cache_file_is_one_line_saying_how_to_recover(tmp_path, name, message):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(2))
    store = tmp_path / "mem"
    store.mkdir()
    path = store / name
    path.write_bytes(b"this is not sqlite" * 400)
    with server_module.FakeOpenAIServer(responder=Model()) as server:
        result = run(llm_args(corpus, store, server, tmp_path / "report.json"))
        assert server.requests == []
    assert result.exit_code == 1
    assert result.stderr == (
        "error: "
        + message.format(path=path)
        + "delete it to start with an empty cache: nothing stored in the memory depends on it\n"
    )
    assert doc_count(store) == 0
