"""Each race of issue 10 made to happen at its exact moment, on real stores: a second handle (its
own SQLite connection, as another process would have) commits inside the first one's window."""

from __future__ import annotations

import sqlite3

import pytest
from races import RacingEmbedder, add_docs, before_statement

from graphmem import ConflictError, Document, Memory, NotFoundError
from graphmem.memory import STORE_FILE

ADA = Document(
    id="ada", text="Ada Lovelace was born in London. Ada Lovelace wrote the first program."
)
LATER = Document(
    id="later", text="Ada Lovelace was born in London. Ada Lovelace met Charles Babbage in London."
)

NOVEL = Document(id="novel", title="Salt Lantern (novel)", text="Odile Marchetti wrote it in 1911.")
BOOK = Document(id="book", title="Salt Lantern novel", text="It was printed in Pellavon.")
RAILWAY = Document(id="rail", title="Askel Valley Railway", text="It opened in 1902.")
RAILROAD = Document(id="road", title="Askel Valley Railroad", text="Trains ran to Pellavon.")


def dump(path) -> dict[str, set]:
    """Store content by name (ids differ between stores)."""
    c = sqlite3.connect(path / STORE_FILE)
    q = {
        "documents": "SELECT doc_id FROM documents",
        "chunks": "SELECT chunk_id, text FROM chunks",
        "entities": "SELECT name, kind FROM entities",
        "facts": "SELECT s.name, f.predicate, o.name FROM facts f JOIN entities s ON s.id=f.subject_id "
        "JOIN entities o ON o.id=f.object_id",
        "fact_sources": "SELECT s.name, f.predicate, o.name, k.chunk_id FROM fact_sources fs "
        "JOIN facts f ON f.id=fs.fact_id JOIN entities s ON s.id=f.subject_id "
        "JOIN entities o ON o.id=f.object_id JOIN chunks k ON k.id=fs.chunk_id",
        "mentions": "SELECT k.chunk_id, e.name FROM mentions m JOIN chunks k ON k.id=m.chunk_id "
        "JOIN entities e ON e.id=m.entity_id",
        "synonyms": "SELECT x.name, y.name FROM synonyms s JOIN entities x ON x.id=s.a "
        "JOIN entities y ON y.id=s.b",
    }
    out = {k: set(c.execute(v).fetchall()) for k, v in q.items()}
    assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    c.close()
    return out


@pytest.fixture
def pair(tmp_path, embedder, extractor):
    """Open handles on one store: ``open_(racing_action)`` gives a memory whose embedder runs
    the action before its second call, and a plain second handle on the same directory."""
    opened: list[Memory] = []

    def open_(action=None, name: str = "m") -> Memory:
        e = RacingEmbedder(embedder, action) if action is not None else embedder
        m = Memory(tmp_path / name, embedder=e, extractor=extractor)
        opened.append(m)
        return m

    yield open_
    for m in opened:
        m.close()


def test_delete_during_add_loses_nothing(pair, tmp_path):
    """Item 1: the last document supporting entities and a fact the add found existing is
    deleted before the add writes. The add must store them anew with every mention, exactly as
    if the delete had come first."""
    other = pair()
    other.add([ADA])
    racing = pair(action=lambda: other.delete("ada"))
    racing.add([LATER])
    assert racing.embedder.fired
    expected = pair(name="expected")
    expected.add([LATER])
    got = dump(tmp_path / "m")
    assert got == dump(tmp_path / "expected")
    assert ("later#0", "ada lovelace") in got["mentions"]
    assert ("ada lovelace", "born in", "london", "later#0") in got["fact_sources"]


def test_same_document_added_by_another_writer_meanwhile_is_skipped(pair, tmp_path):
    other = pair()
    racing = pair(action=add_docs(other, [ADA]))
    assert racing.add([ADA, LATER]) == ["ada", "later"]
    sequential = pair(name="seq")
    sequential.add([ADA])
    sequential.add([ADA, LATER])
    assert dump(tmp_path / "m") == dump(tmp_path / "seq")


def test_conflicting_document_added_meanwhile_is_refused_whole(pair, tmp_path):
    other = pair()
    racing = pair(action=add_docs(other, [Document(id="ada", text="Another text, same id.")]))
    with pytest.raises(
        ConflictError, match="'ada' was stored with different text by another writer"
    ):
        racing.add([ADA, LATER])
    got = dump(tmp_path / "m")
    assert got["documents"] == {("ada",)}
    assert got["chunks"] == {("ada#0", "Another text, same id.")}


def test_concurrent_writers_link_synonyms_across_batches(pair, tmp_path):
    """Item 5: another writer's near-synonymous entities commit while this add is being built;
    the synonym edges must be those of the two adds one after the other."""
    other = pair()
    racing = pair(action=add_docs(other, [NOVEL, RAILWAY]))
    racing.add([BOOK, RAILROAD])
    sequential = pair(name="seq")
    sequential.add([NOVEL, RAILWAY])
    sequential.add([BOOK, RAILROAD])
    got, want = dump(tmp_path / "m"), dump(tmp_path / "seq")
    assert len(want["synonyms"]) == 2
    assert got == want


def test_index_refresh_reads_one_snapshot(pair, tmp_path):
    """Item 2: a commit lands between the SELECTs of an index refresh (just before the edge
    lists are read). The refresh must not mix the two states; the next one sees the commit."""
    from graphmem.graph.index import GraphIndex
    from graphmem.store.sqlite import SQLiteStore

    writer = pair()
    writer.add([ADA, BOOK])
    store = SQLiteStore(tmp_path / "m" / STORE_FILE)
    try:
        index = GraphIndex(store.dim)
        generation = store.generation()
        fired = before_statement(
            store._conn,  # injection point only: the trace hook sits on the reader's connection
            "SELECT s.fact_id, s.chunk_id FROM",  # the provenance edges
            add_docs(writer, [LATER]),
        )
        assert index.refresh(store)
        assert fired and store.generation() == generation + 1
        assert (index.generation, index.n_chunks) == (generation, 2)
        assert index.adjacency.shape == (index.n_entities + 2,) * 2
        assert index.refresh(store)
        assert (index.generation, index.n_chunks) == (generation + 1, 3)
    finally:
        store.close()
    hits = writer.retrieve("Who met Charles Babbage?", top_k=5)
    assert sorted(h.doc_id for h in hits) == ["ada", "book", "later"]


def test_hits_pair_text_by_id_when_a_delete_lands_before_the_fetch(pair):
    """Item 4: the best passage's document is deleted after ranking, before the texts are read.
    Every hit shows its own text (the snapshot's); none shows another passage's text."""
    docs = [
        Document(id=f"d{i}", text=f"Passage {i}: Odile Marchetti visited town number {i}.")
        for i in range(6)
    ]
    reader = pair()
    reader.add(docs)
    writer = pair()
    text_of = {d.id: d.text for d in docs}
    top = reader.retrieve("Which town did Odile Marchetti visit?", top_k=3)
    before_statement(
        reader.store._conn,  # injection point only
        "SELECT k.id, k.chunk_id, d.doc_id, k.text",
        lambda: writer.delete(top[0].doc_id),
    )
    hits = reader.retrieve("Which town did Odile Marchetti visit?", top_k=3)
    assert [h.doc_id for h in hits] == [h.doc_id for h in top]
    assert all(h.text == text_of[h.doc_id] for h in hits)
    after = reader.retrieve("Which town did Odile Marchetti visit?", top_k=3)
    assert top[0].doc_id not in {h.doc_id for h in after} and len(after) == 3
    assert all(h.text == text_of[h.doc_id] for h in after)


def _racing_before_the_build(pair, action) -> Memory:
    """A handle whose ``action`` runs after an update's plan, before its model work (the
    first encode call: the passages)."""
    racing = pair(action=action)
    racing.embedder.before_call = 1
    return racing


def test_update_whose_document_is_deleted_meanwhile_writes_nothing(pair, tmp_path):
    other = pair()
    other.add([ADA])
    racing = _racing_before_the_build(pair, lambda: other.delete("ada"))
    with pytest.raises(NotFoundError, match="update\\(\\): no document with id 'ada' is stored"):
        racing.update("ada", LATER.text)
    assert racing.embedder.fired
    assert all(not rows for rows in dump(tmp_path / "m").values())


def test_update_racing_another_update_commits_after_it(pair, tmp_path):
    """Both updates replace whatever is stored when they commit: the store equals the two
    applied one after the other (the later commit wins)."""
    other = pair()
    other.add([ADA])
    racing = _racing_before_the_build(pair, lambda: other.update("ada", NOVEL.text))
    racing.update("ada", LATER.text)
    assert racing.embedder.fired
    sequential = pair(name="seq")
    sequential.add([ADA])
    sequential.update("ada", NOVEL.text)
    sequential.update("ada", LATER.text)
    assert dump(tmp_path / "m") == dump(tmp_path / "seq")
    assert dump(tmp_path / "m")["chunks"] == {("ada#0", LATER.text)}


def test_upsert_whose_unchanged_document_changed_meanwhile_writes_nothing(pair, tmp_path):
    other = pair()
    other.add([ADA])
    racing = _racing_before_the_build(pair, lambda: other.update("ada", NOVEL.text))
    with pytest.raises(ConflictError, match="'ada' was changed by another writer"):
        racing.upsert([ADA, BOOK])  # ADA looked stored unchanged when planned
    got = dump(tmp_path / "m")
    assert got["chunks"] == {("ada#0", NOVEL.text)}
