"""``graphmem copy`` between SQLite and a real PostgreSQL, both ways: every row equal (ids,
vectors and times included), equal row counts reported, equal top-k retrieval, and the copy
goes on taking writes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from dumps import tables
from races import NOVEL_SET

from graphmem import Document, Memory
from graphmem.cli import main
from graphmem.errors import NotFoundError, StoreError
from graphmem.store.copy import copy_store
from graphmem.store.open import open_store

DOCS = [
    Document(id="ada", text="Ada Lovelace was born in London. Ada Lovelace wrote the first program."),
    Document(id="london", text="London is the capital of England. The Thames flows through London."),
    Document(id="babbage", text="Charles Babbage designed the Analytical Engine.", metadata={"year": 1837}),
]
QUERIES = ["Where was Ada Lovelace born?", "Who designed the Analytical Engine?"]
ROWS = {
    "meta": 4, "namespaces": 2, "documents": 6, "chunks": 6, "entities": 17, "facts": 7,
    "fact_sources": 7, "mentions": 17, "synonyms": 0, "fact_conflicts": 0,
}


def rankings(location: str, embedder, extractor) -> list[list[tuple[str, float]]]:
    with Memory(location, embedder=embedder, extractor=extractor) as mem:
        return [
            [(h.chunk_id, h.score) for h in mem.retrieve(q, 5, namespace=ns)]
            for q in QUERIES
            for ns in ("default", "n")
        ]


def dump(location: str) -> dict:
    store = open_store(location)
    try:
        return tables(store)
    finally:
        store.close()


def test_copy_sqlite_to_postgres_and_back(tmp_path, pg_location, embedder, extractor):
    source, pg, back = str(tmp_path / "source"), pg_location(), str(tmp_path / "back")
    with Memory(source, embedder=embedder, extractor=extractor) as mem:
        mem.add(DOCS)
        mem.add(NOVEL_SET, namespace="n")
        mem.delete("london")
    runner = CliRunner()
    done = runner.invoke(main, ["copy", "--from", source, "--to", pg, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["rows"] == ROWS
    done = runner.invoke(main, ["copy", "--from", pg, "--to", back])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"copied {pg} to {back}: 2 namespaces, 6 documents, 6 chunks")
    rows = dump(source)
    assert dump(pg) == rows
    assert dump(back) == rows
    hits = rankings(source, embedder, extractor)
    assert [len(h) for h in hits] == [2, 4, 2, 4]
    assert rankings(pg, embedder, extractor) == hits
    assert rankings(back, embedder, extractor) == hits
    with Memory(pg, embedder=embedder, extractor=extractor) as copy:  # ids go on after the copy
        copy.add([Document(id="paris", text="Paris is the capital of France.")])
        assert copy.stats()["documents"] == 7
        assert max(copy.store.alive_ids("documents")) > max(r[0] for r in rows["documents"])


def test_copy_refuses_a_missing_source_and_a_full_target(tmp_path, pg_location, embedder, extractor):
    target = pg_location()
    with pytest.raises(NotFoundError, match="no graphmem store at"):
        copy_store(tmp_path / "nothing", target)
    assert not (tmp_path / "nothing").exists()
    source = str(tmp_path / "source")
    with Memory(source, embedder=embedder, extractor=extractor) as mem:
        mem.add(DOCS[:1])
    copy_store(source, target)
    before = dump(target)
    with pytest.raises(StoreError, match=r"is not empty \(1 documents\)"):
        copy_store(source, target)
    assert dump(target) == before
    done = CliRunner().invoke(main, ["copy", "--from", source, "--to", target])
    assert done.exit_code == 1 and "is not empty" in done.output
