"""The ``ingest`` command: options, exit status, report file, the LLM extractor wiring."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_helpers import doc_count, fake_server_module, make_corpus, write_jsonl

from pipelines.cli import ingest

ROOT = Path(__file__).resolve().parents[2]


def test_help_names_every_option() -> None:
    result = CliRunner().invoke(ingest, ["--help"])
    assert result.exit_code == 0
    for option in (
        "--store",
        "--workers",
        "--batch-size",
        "--runner",
        "--ray-address",
        "--extractor",
        "--llm-model",
        "--llm-base-url",
        "--strict",
        "--report",
        "--no-cache",
        "--progress",
    ):
        assert option in result.output
    assert "Resume: rerun the same command" in result.output


def test_python_dash_m_runs_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("Usage: python -m pipelines ingest [OPTIONS] PATH...")


def test_missing_path_fails_before_touching_the_store(tmp_path: Path) -> None:
    store = tmp_path / "mem"
    result = CliRunner().invoke(ingest, [str(tmp_path / "nope.jsonl"), "--store", str(store)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nope.jsonl'}: no such file or directory\n"
    assert not store.exists()


@pytest.mark.usefixtures("shared_models")
def test_strict_exits_non_zero_with_the_store_as_of_the_last_batch(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in make_corpus(6)]
    lines[4] = "{not json"
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store, report = tmp_path / "mem", tmp_path / "report.json"
    args = [
        str(corpus),
        "--store",
        str(store),
        "--workers",
        "0",
        "--batch-size",
        "2",
        "--report",
        str(report),
    ]
    result = CliRunner().invoke(ingest, [*args, "--strict"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {corpus}:5: malformed JSON: Expecting property name")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert (data["ok"], data["documents_added"], data["batches"], data["bad_records"]) == (
        False,
        4,
        2,
        1,
    )
    assert doc_count(store) == 4
    result = CliRunner().invoke(ingest, args)  # without --strict: skip it, finish
    assert result.exit_code == 0, result.output
    assert (
        "read 5 documents: added 1, skipped 4 already stored, 1 bad records skipped"
        in result.stdout
    )
    assert doc_count(store) == 5


@pytest.mark.usefixtures("shared_models")
def test_llm_extractor_option_reports_usage(tmp_path: Path) -> None:
    pytest.importorskip("openai", reason="the LLM extractor needs graphmem[llm]")
    server_module = fake_server_module()
    Reply = server_module.Reply

    def respond(request) -> object:
        if "Named entities:" in request.last_user_message:
            return Reply.json({"triples": [["Saltmere", "lies on", "Ferrow Coast"]]})
        return Reply.json({"entities": ["Saltmere", "Ferrow Coast"]})

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(3))
    store, report = tmp_path / "mem", tmp_path / "report.json"
    with server_module.FakeOpenAIServer(responder=respond) as server:
        args = [
            str(corpus),
            "--store",
            str(store),
            "--extractor",
            "llm",
            "--llm-model",
            "fake-model",
            "--llm-base-url",
            server.base_url,
            "--report",
            str(report),
            "--batch-size",
            "2",
        ]
        result = CliRunner().invoke(ingest, args)
        assert result.exit_code == 0, result.output
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["extractor"] == "llm:fake-model:ie-v1"
        assert data["llm_usage"] == {
            "calls": 6,
            "cache_hits": 0,
            "prompt_tokens": 60,
            "completion_tokens": 30,
            "retries": 0,
            "failures": 0,
        }
        assert (data["documents_added"], data["store"]["facts"]) == (3, 1)
        assert (store / "llm_cache.sqlite").exists()
        again = CliRunner().invoke(ingest, args)
        assert again.exit_code == 0 and len(server.requests) == 6  # nothing left to ask


@contextmanager
def _logging_as_in_a_fresh_process() -> Iterator[None]:
    """No root handlers (pytest's are put back after), root at WARNING: the command's own
    logging set-up then writes to the stderr CliRunner captures, as it would in a shell."""
    root, pipelines_log = logging.getLogger(), logging.getLogger("pipelines")
    handlers, levels = root.handlers[:], (root.level, pipelines_log.level)
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(levels[0])
        pipelines_log.setLevel(levels[1])


@pytest.mark.usefixtures("shared_models")
@pytest.mark.parametrize(
    ("before", "after", "logged"),
    [(["-v"], [], True), ([], ["-v"], True), ([], [], False)],
    ids=["graphmem -v ingest", "graphmem ingest -v", "graphmem ingest"],
)
def test_verbose_before_or_after_ingest_logs_the_pipeline(
    tmp_path: Path, before: list[str], after: list[str], logged: bool
) -> None:
    """`graphmem -v ingest` logs the job's INFO lines on stderr like `graphmem ingest -v` (the
    group's -v used to be reset to WARNING for the pipelines logger by the subcommand's)."""
    from graphmem.cli import main

    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(2))
    args = [str(corpus), "--store", str(tmp_path / "mem"), "--workers", "0", "--no-progress"]
    with _logging_as_in_a_fresh_process():
        result = CliRunner().invoke(main, [*before, "ingest", *args, *after])
    assert result.exit_code == 0, result.output
    assert ("INFO pipelines.job: ingest finished: read 2 documents" in result.stderr) is logged
