"""``graphmem documents``: exact output, text and JSON, over a real store."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from graphmem import ChunkConfig, Document, MemoryConfig
from graphmem.cli import main
from graphmem.memory import STORE_FILE

ADDED_AT = 1767225600.0  # 2026-01-01T00:00:00Z, set in the store so the output is exact


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_documents_lists_ids_titles_passages_and_metadata(memory_factory):
    mem = memory_factory(config=MemoryConfig(chunk=ChunkConfig(max_tokens=12, overlap=2)))
    mem.add(
        [
            Document(
                id="ada",
                title="Ada\tLovelace",
                text="Ada Lovelace was born in London.",
                metadata={"year": 1815, "tags": ["math"]},
            ),
            Document(
                id="thames",
                text="The Thames is a river. It flows east through Oxford and Reading. "
                "Ada Lovelace was born in London, on the Thames, in 1815.",
            ),
        ]
    )
    passages = mem.documents()[1].passages
    assert passages > 1  # the second document spans several passages
    mem.close()
    c = sqlite3.connect(mem.path / STORE_FILE)
    with c:
        c.execute("UPDATE documents SET added_at = ?", (ADDED_AT,))
    c.close()

    r = run("documents", "--store", mem.path)
    assert r.exit_code == 0
    assert r.stdout == f"ada\t1\tAda\\tLovelace\nthames\t{passages}\t\n"

    r = run("documents", "--store", mem.path, "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {
        "count": 2,
        "documents": [
            {
                "id": "ada",
                "title": "Ada\tLovelace",
                "passages": 1,
                "metadata": {"year": 1815, "tags": ["math"]},
                "added_at": "2026-01-01T00:00:00+00:00",
                "time": None,
                "namespace": "default",
            },
            {
                "id": "thames",
                "title": None,
                "passages": passages,
                "metadata": {},
                "added_at": "2026-01-01T00:00:00+00:00",
                "time": None,
                "namespace": "default",
            },
        ],
    }


def test_documents_of_an_empty_or_missing_store(memory_factory, tmp_path):
    mem = memory_factory()
    mem.close()
    r = run("documents", "--store", mem.path)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "(no documents)\n")
    assert json.loads(run("documents", "--store", mem.path, "--json").stdout) == {
        "count": 0,
        "documents": [],
    }
    r = run("documents", "--store", tmp_path / "nowhere")
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: no graphmem store at {tmp_path / 'nowhere'} (create one with `graphmem ingest`)\n"
    )
    assert "documents" in run("--help").stdout
