"""`graphmem check` through click's runner: healthy and damaged stores, JSON, exit codes."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from graphmem import Document, Memory
from graphmem.cli import main
from graphmem.memory import STORE_FILE


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def store(tmp_path, embedder, extractor):
    with Memory(tmp_path / "mem", embedder=embedder, extractor=extractor) as mem:
        mem.add([Document(id="ada", text="Ada Lovelace was born in London.")])
        stats = mem.stats()
    return tmp_path / "mem", stats


def test_check_a_healthy_store(store):
    path, stats = store
    r = run("check", "--store", path)
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        f"{path / STORE_FILE}: ok (1 documents, 1 chunks, {stats['entities']} entities, "
        f"{stats['facts']} facts, {stats['fact_sources']} fact_sources, {stats['mentions']} "
        f"mentions, 0 synonyms, 0 fact_conflicts)\n"
    )
    r = run("check", "--store", path, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["ok"] is True and out["problems"] == []
    assert out["store"] == str(path / STORE_FILE) and out["counts"]["documents"] == 1


def test_check_a_damaged_store_prints_each_problem_and_exits_1(store, monkeypatch):
    path, stats = store
    c = sqlite3.connect(path / STORE_FILE, isolation_level=None)
    c.execute("DELETE FROM fact_sources")
    c.execute("DELETE FROM meta WHERE key = 'generation'")
    c.close()
    r = run("check", "--store", path)
    assert r.exit_code == 1
    n = stats["facts"]
    assert r.stdout.splitlines()[1:] == [
        "  meta: no generation row",
        (f"  facts: {n} of {n} rows {'has' if n == 1 else 'have'} no fact_sources row (no passage "
        "supports it)"),
    ]
    assert r.stdout.startswith(f"{path / STORE_FILE}: 2 problems (1 documents, 1 chunks, ")
    monkeypatch.setenv("GRAPHMEM_STORE", str(path))
    r = run("check", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["problems"][0] == "meta: no generation row"


def test_check_what_is_not_a_store_is_one_line(tmp_path):
    r = run("check", "--store", tmp_path / "nowhere")
    assert r.exit_code == 1
    assert r.stderr == f"error: no graphmem store at {tmp_path / 'nowhere'} (create one with " \
                       "`graphmem ingest`)\n"
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "d" / STORE_FILE).mkdir(parents=True)
    r = run("check", "--store", tmp_path / "d")
    assert (r.exit_code, r.stderr) == (
        1, f"error: {tmp_path / 'd' / STORE_FILE} is a directory, not a graphmem store file\n")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / STORE_FILE).write_text("notes\n", "utf-8")
    r = run("check", "--store", tmp_path / "t")
    assert r.exit_code == 1 and r.stderr.endswith("is not an SQLite database (it does not start "
                                                  "with the SQLite header)\n")


def test_check_has_help():
    r = run("check", "--help")
    assert r.exit_code == 0 and "--store" in r.output and "without writing" in r.output
