"""Full loads of entities and passages in id order, by the rowid walk when the namespace holds
most of the table and by the namespace index otherwise: the same rows either way, exactly."""

from __future__ import annotations

import numpy as np

from graphmem.store import sqlite_read
from graphmem.store.base import NewChunk, NewDocument, NewEntity, WriteBatch
from graphmem.store.sqlite import SQLiteStore

DIM = 4


def vec(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def one_doc(doc: str, names: list[str], seed: int) -> WriteBatch:
    chunk = f"{doc}#0"
    return WriteBatch(
        documents=[NewDocument(doc, f"h-{doc}", None, {})],
        chunks=[NewChunk(chunk, doc, 0, f"text of {doc}", vec(seed))],
        entities=[NewEntity(n, n, "PERSON", vec(seed + i + 1)) for i, n in enumerate(names)],
        facts=[],
        fact_sources=[],
        mentions=[(chunk, n) for n in names],
        synonyms=[],
    )


def test_full_loads_choose_the_walk_by_share_and_return_the_same_rows(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    big, small = store.scoped("big"), store.scoped("small")
    # names that sort against their ids (zed before amy), so the namespace index's order
    # (namespace, name) differs from id order
    for i in range(6):
        big.write(one_doc(f"b{i}", [f"zed{9 - i}", f"amy{9 - i}"], 10 * i))
        if i == 2:
            small.write(one_doc("s0", ["yan", "bea"], 99))
    conn = store._conn
    assert sqlite_read._full_load_test(conn, "entities", "namespace", "big", 0) == "+namespace = ?"
    assert sqlite_read._full_load_test(conn, "entities", "namespace", "small", 0) == "namespace = ?"
    assert sqlite_read._full_load_test(conn, "chunks", "k.namespace", "small", 3) == "+k.namespace = ?"

    e_big, e_small = big.load_entities(0), small.load_entities(0)
    assert e_big.names == [n for i in range(6) for n in (f"zed{9 - i}", f"amy{9 - i}")]
    assert e_small.names == ["yan", "bea"]
    assert e_small.ids.tolist() == [7, 8]
    assert e_big.ids.tolist() == [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14]
    np.testing.assert_array_equal(e_small.embeddings, np.stack([vec(100), vec(101)]))

    c_big, c_small = big.load_chunks(0), small.load_chunks(0)
    assert c_big.ids.tolist() == [1, 2, 3, 5, 6, 7] and c_small.ids.tolist() == [4]
    np.testing.assert_array_equal(c_big.embeddings, np.stack([vec(10 * i) for i in range(6)]))
    # the later rows alone, as a refresh loads them
    assert big.load_entities(9).names == ["amy6", "zed5", "amy5", "zed4", "amy4"]
    store.close()
