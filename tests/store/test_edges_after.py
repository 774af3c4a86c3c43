"""Loading only the edges added after given ids, and the ``deleted_at`` stamp that tells an
index whether such a load is all that changed (no models: batches are built by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from graphmem.errors import StoreError
from graphmem.store.base import NewChunk, NewDocument, NewEntity, NewFact, WriteBatch
from graphmem.store.sqlite import SQLiteStore

DIM = 4


def vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def batch(doc: str, old: list[str], new: list[str], synonyms=()) -> WriteBatch:
    """One document with one passage mentioning ``old`` (stored) and ``new`` entities, a fact
    from each new entity to the first mentioned one."""
    chunk = f"{doc}#0"
    names = old + new
    facts = [(n, "knows", names[0]) for n in new if n != names[0]]
    return WriteBatch(
        documents=[NewDocument(doc, f"h-{doc}", None, {})],
        chunks=[NewChunk(chunk, doc, 0, f"text of {doc}", vec(hash(doc) % 1000))],
        entities=[NewEntity(n, n, "PERSON", vec(i)) for i, n in enumerate(new)],
        facts=[NewFact(s, p, o, vec(7)) for s, p, o in facts],
        fact_sources=[(s, p, o, chunk) for s, p, o in facts],
        mentions=[(chunk, n) for n in names],
        synonyms=list(synonyms),
    )


def as_set(a: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(x) for x in row) for row in a}


def last_ids(store: SQLiteStore) -> tuple[int, int]:
    return int(store.alive_ids("chunks")[-1]), int(store.alive_ids("entities")[-1])


def test_edges_after_ids_are_those_of_later_writes(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.write(batch("d1", [], ["ann", "bob", "cy"], [("bob", "cy", 0.9)]))
    store.write(batch("d2", ["ann"], ["dee"]))
    before = store.load_edges()
    chunk, entity = last_ids(store)
    store.write(batch("d3", ["bob", "dee"], ["eve", "fay"], [("eve", "ann", 0.95), ("fay", "eve", 0.91)]))
    store.write(batch("d4", ["cy"], ["gus"], [("gus", "bob", 0.93)]))
    after = store.load_edges(after_chunk=chunk, after_entity=entity)
    full = store.load_edges()
    for name in ("fact_sources", "mentions", "synonyms"):
        whole, old, new = getattr(full, name), getattr(before, name), getattr(after, name)
        # what came later, and only that, and appended it gives the full load exactly
        assert as_set(new) == as_set(whole) - as_set(old)
        assert np.array_equal(np.concatenate([old, new]), whole)
    assert np.array_equal(
        np.concatenate([before.synonym_scores, after.synonym_scores]), full.synonym_scores
    )
    assert len(after.synonyms) == 3 and len(after.mentions) == 6
    assert np.all(after.mentions[:, 0] > chunk) and np.all(after.synonyms[:, 1] > entity)
    # defaults load everything; ids above everything load nothing
    assert np.array_equal(store.load_edges(0, 0).mentions, full.mentions)
    none = store.load_edges(10**9, 10**9)
    assert len(none.fact_sources) == len(none.mentions) == len(none.synonyms) == 0


def test_edges_after_ids_stay_in_their_namespace(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    a, b = store.scoped("a"), store.scoped("b")
    a.write(batch("d1", [], ["ann", "bob"], [("ann", "bob", 0.9)]))
    chunk, entity = last_ids(a)
    b.write(batch("d1", [], ["ann", "bob"], [("ann", "bob", 0.9)]))
    a.write(batch("d2", ["ann"], ["cy"], [("cy", "bob", 0.92)]))
    got = a.load_edges(chunk, entity)
    assert as_set(got.mentions[:, :1]) == {(int(a.alive_ids("chunks")[-1]),)}
    assert len(got.synonyms) == 1 and int(got.synonyms[0, 1]) == int(a.alive_ids("entities")[-1])
    assert len(b.load_edges(chunk, entity).mentions) == 2  # b's own, written after a's first


def test_writes_never_add_edges_between_stored_rows(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.write(batch("d1", [], ["ann", "bob"]))
    # a synonym between two stored entities is not written, so no later load can miss it
    store.write(batch("d2", ["ann"], ["cy"], [("ann", "bob", 0.99), ("cy", "ann", 0.9)]))
    syn = store.load_edges().synonyms
    assert len(syn) == 1
    # provenance or a mention naming a stored passage fails the whole batch
    bad = batch("d3", ["ann"], ["dee"])
    bad.mentions.append(("d1#0", "dee"))
    counts = store.counts()
    with pytest.raises(StoreError):
        store.write(bad)
    assert store.counts() == counts


def test_deleted_at_moves_with_deletions_only(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.write(batch("d1", [], ["ann", "bob"]))
    g1 = store.generation()
    assert store.deleted_at() < g1  # a new namespace row counts as a removal before it
    store.write(batch("d2", ["ann"], ["cy"]))
    assert store.deleted_at() < g1  # an add leaves it
    store.delete_document("d2")
    g2 = store.generation()
    assert g1 <= store.deleted_at() < g2
    store.write(batch("d3", ["ann"], ["dee"]))
    assert store.deleted_at() < g2
    # a namespace deleted and written again: an index of its old rows must see a removal
    g3 = store.generation()
    store.delete_namespace("default")
    store.write(batch("d4", [], ["eve"]))
    assert store.deleted_at() >= g3


def test_deleted_at_of_a_store_built_before_the_column(tmp_path):
    path = tmp_path / "s.sqlite"
    store = SQLiteStore(path)
    store.write(batch("d1", [], ["ann"]))
    store._conn.execute("ALTER TABLE namespaces DROP COLUMN deleted_at")
    assert store.deleted_at() == store.store_generation()  # unknown: reads as "maybe removed"
    store.close()
    reopened = SQLiteStore(path)  # a writable open adds the column back
    assert reopened.deleted_at() == 0
    reopened.write(batch("d2", ["ann"], ["bob"]))
    assert reopened.deleted_at() < reopened.generation()
