"""The CLI end to end through click's runner, against real tmp-path stores."""

from __future__ import annotations

import json

from click.testing import CliRunner

from graphmem.cli import main

RECORDS = [
    {"id": "ada", "title": "Ada", "text": "Ada Lovelace was born in London.", "metadata": {"k": 1}},
    {"id": "london", "text": "London is the capital of England."},
]


def write_jsonl(path, records, extra_lines=()):
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_ingest_query_delete_stats(tmp_path):
    store = tmp_path / "s"
    src = write_jsonl(tmp_path / "docs.jsonl", RECORDS)
    txt_dir = tmp_path / "notes"
    txt_dir.mkdir()
    (txt_dir / "babbage.md").write_text("Charles Babbage designed the Analytical Engine.", "utf-8")
    r = run("ingest", src, txt_dir, "--store", store)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("read 3 documents: added 3, skipped 0 already stored, 0 bad records")

    r = run("stats", "--store", store, "--json")
    stats = json.loads(r.stdout)
    assert (stats["documents"], stats["chunks"]) == (3, 3)

    r = run("query", "Where was Ada Lovelace born?", "--store", store, "--top-k", "2", "--json")
    out = json.loads(r.stdout)
    assert out["query"] == "Where was Ada Lovelace born?"
    assert out["hits"][0]["doc_id"] == "ada"
    assert out["hits"][0]["metadata"] == {"title": "Ada", "k": 1}
    assert len(out["hits"]) == 2

    r = run("query", "Where was Ada Lovelace born?", "--store", store)
    assert r.stdout.startswith("Q: Where was Ada Lovelace born?\n")
    assert "1. [ada]" in r.output

    r = run("delete", "ada", "--store", store)
    assert r.exit_code == 0 and r.stdout.startswith("deleted ada: 1 passages")
    r = run("delete", "ada", "--store", store)
    assert r.exit_code == 1 and "no document with id 'ada'" in r.output
    assert json.loads(run("stats", "--store", store, "--json").stdout)["documents"] == 2


def test_bad_records_are_reported_with_file_and_line(tmp_path):
    """`ingest` is the batch job from `pipelines` (through the graphmem.commands entry point):
    bad records are skipped and reported; --strict stops with the store as it was."""
    store = tmp_path / "s"
    good = write_jsonl(tmp_path / "good.jsonl", RECORDS[:1])
    assert run("ingest", good, "--store", store, "--no-progress").exit_code == 0
    before = json.loads(run("stats", "--store", store, "--json").stdout)
    bad = write_jsonl(tmp_path / "bad.jsonl", [], ['{"text": "unterminated'])
    r = run("ingest", bad, "--store", store, "--strict", "--no-progress")
    assert r.exit_code == 1
    assert f"{bad}:1: malformed JSON" in r.output
    latin = tmp_path / "latin.txt"
    latin.write_bytes("first line\nM\xfcnchen".encode("latin-1"))
    r = run("ingest", latin, "--store", store, "--no-progress")
    assert r.exit_code == 0 and "1 bad records skipped" in r.stdout
    assert f"{latin}:2: not valid UTF-8" in r.output
    assert json.loads(run("stats", "--store", store, "--json").stdout) == before


def test_query_missing_store_is_an_error(tmp_path):
    r = run("query", "x", "--store", tmp_path / "nowhere")
    assert r.exit_code == 1 and "no graphmem store at" in r.output
    assert not (tmp_path / "nowhere").exists()


def test_every_command_has_help():
    for cmd in ("ingest", "query", "delete", "stats", "answer", "eval", "viz"):
        r = run(cmd, "--help")
        assert r.exit_code == 0 and "--store" in r.output
