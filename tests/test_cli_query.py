"""`graphmem query` output: human output escapes control characters from stored text, `--json`
stays exact, valid JSON (the store holds only finite numbers and bounded nesting)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import graphmem.memory
from graphmem import Document, InputError, Memory
from graphmem.cli import main

ANSI = "Ada Lovelace \x1b[2J\x1b[31mwas born\x1b[0m in London.\rFAKE\x07 \x9b1m"


@pytest.fixture
def store(tmp_path: Path, embedder, extractor, monkeypatch) -> Path:
    """A store holding a passage full of terminal escapes; the CLI opens it with the
    session's models."""
    path = tmp_path / "mem"
    with Memory(path, embedder=embedder, extractor=extractor) as mem:
        mem.add(
            [
                Document(id="ansi\x1b[1m", text=ANSI, metadata={"deep": [[{"x": 1.5}]]}),
                Document(id="london", text="London is the capital of England."),
            ]
        )
        with pytest.raises(InputError):  # the door keeps NaN out of the store
            mem.add([Document(text="Bad number.", metadata={"v": float("nan")})])

    def shared(path, config=None, **kwargs):
        return Memory(path, config, embedder=embedder, extractor=extractor)

    monkeypatch.setattr(graphmem.memory, "Memory", shared)
    return path


def test_human_output_escapes_control_characters(store: Path) -> None:
    r = CliRunner().invoke(main, ["query", "Where was Ada Lovelace born?", "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\r" not in r.output and "\x07" not in r.output
    assert "\x9b" not in r.output
    assert "1. [ansi\\x1b[1m]" in r.output
    assert (
        "   Ada Lovelace \\x1b[2J\\x1b[31mwas born\\x1b[0m in London.\\rFAKE\\x07 \\x9b1m\n"
        in r.output
    )


def test_json_output_is_exact_strict_json(store: Path) -> None:
    r = CliRunner().invoke(
        main, ["query", "Where was Ada Lovelace born?", "--store", str(store), "--json"]
    )
    assert r.exit_code == 0, r.output

    def no_constants(name: str) -> None:
        raise AssertionError(f"invalid JSON constant {name}")

    out = json.loads(r.stdout, parse_constant=no_constants)
    top = out["hits"][0]
    assert (top["doc_id"], top["text"]) == ("ansi\x1b[1m", ANSI)
    assert top["metadata"] == {"deep": [[{"x": 1.5}]]}
