"""Saved ANN graphs (graphmem.graph.ann_files): a restored graph answers as the saved one, is
used only when it matches the table it will serve, and concurrent savers never leave a reader
a half-written or mismatched pair (real usearch graphs over seeded unit rows)."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usearch")

from graphmem.graph import ann
from graphmem.graph.ann import TableAnn
from graphmem.graph.ann_files import AnnFiles

DIM = 32


def rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.arange(1, 3 * n + 1, 3, dtype=np.int64), vectors  # ids with gaps, ascending


def built(ids: np.ndarray, vectors: np.ndarray) -> TableAnn:
    graph = TableAnn(DIM)
    assert graph.sync(ids, vectors) == "built"
    return graph


def answers(graph: TableAnn, ids: np.ndarray, queries: np.ndarray) -> list[list[int]]:
    return [list(graph.candidates(ids, q, 10)) for q in queries]


def files(tmp_path: Path) -> AnnFiles:
    return AnnFiles(tmp_path / "ann", "default", "minilm")


def test_restored_graph_answers_as_the_saved_one(tmp_path):
    ids, vectors = rows(500)
    graph = built(ids, vectors)
    store = files(tmp_path)
    assert store.save("facts", graph, 1) is True
    assert graph.saved_rows == 500
    restored = store.load("facts", ids, vectors, 1)
    assert restored is not None
    assert (restored.builds, restored.n_added, restored.saved_rows, restored.last_id) == (
        0, 500, 500, int(ids[-1]))
    queries = rows(20, seed=1)[1]
    assert answers(restored, ids, queries) == answers(graph, ids, queries)
    assert sorted(p.name.split(".")[-1] for p in (tmp_path / "ann").iterdir()) == ["json", "usearch"]


def test_restored_graph_appends_the_rows_added_since_and_masks_deleted_ones(tmp_path):
    ids, vectors = rows(600)
    store = files(tmp_path)
    store.save("facts", built(ids[:400], vectors[:400]), 1)
    keep = np.ones(600, dtype=bool)
    keep[[3, 50]] = False  # two rows deleted since the save
    restored = store.load("facts", ids[keep], vectors[keep], 1)
    assert restored is not None
    assert restored.sync(ids[keep], vectors[keep]) == "added"
    assert (restored.n_added, restored.deleted, restored.builds) == (600, 2, 0)
    for row in (0, 3, 450, 599):  # each row, old or appended, is its own nearest; deleted: gone
        found = restored.candidates(ids[keep], vectors[row], 1)
        assert (ids[keep][found[0]] == ids[row]) == bool(keep[row])


def corrupt_first_byte_after(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        ("truncate", "bytes, not"),
        ("flip", "fails its checksum"),
        ("delete", "is missing"),
        ("json", "unreadable"),
        ("embedder", "embedder is 'other'"),
        ("dim", "dim is 16"),
    ],
)
def test_a_damaged_or_foreign_save_is_not_used(tmp_path, caplog, damage, why):
    ids, vectors = rows(300)
    store = files(tmp_path)
    store.save("facts", built(ids, vectors), 1)
    meta_path = next((tmp_path / "ann").glob("*.json"))
    meta = json.loads(meta_path.read_text())
    graph = tmp_path / "ann" / meta["file"]
    if damage == "truncate":
        graph.write_bytes(graph.read_bytes()[:-100])
    elif damage == "flip":
        corrupt_first_byte_after(graph, graph.stat().st_size // 2)
    elif damage == "delete":
        graph.unlink()
    elif damage == "json":
        meta_path.write_text("{not json")
    else:
        meta["embedder" if damage == "embedder" else "dim"] = "other" if damage == "embedder" else 16
        meta_path.write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="graphmem.graph.ann_files"):
        assert store.load("facts", ids, vectors, 1) is None
    assert why in caplog.text and "building it" in caplog.text


def test_a_graph_of_other_rows_or_missing_rows_is_not_used(tmp_path, caplog):
    ids, vectors = rows(300)
    store = files(tmp_path)
    store.save("facts", built(ids, vectors), 1)
    other = rows(300, seed=7)[1]  # the same ids over other vectors: another store's graph
    with caplog.at_level(logging.WARNING):
        assert store.load("facts", ids, other, 1) is None
    assert "its vectors differ from the table's" in caplog.text
    caplog.clear()
    more_ids = np.sort(np.concatenate([ids, [2]]))  # a row up to the last id it never held
    more = np.vstack([vectors[:1], vectors[:1], vectors[1:]])
    with caplog.at_level(logging.WARNING):
        assert store.load("facts", more_ids, more, 1) is None
    assert "1 of the table's rows are not in it" in caplog.text


def test_a_store_older_than_the_save_is_not_served(tmp_path, caplog):
    """A store put back from an older copy would hand out again ids the graph holds for other
    rows; its generation is below the save's, so the graph is rebuilt."""
    ids, vectors = rows(200)
    store = files(tmp_path)
    store.save("facts", built(ids, vectors), 9)
    assert store.load("facts", ids, vectors, 9) is not None
    with caplog.at_level(logging.WARNING):
        assert store.load("facts", ids[:150], vectors[:150], 8) is None
    assert "saved at generation 9, the store is at 8" in caplog.text


def test_changed_hnsw_parameters_rebuild(tmp_path, monkeypatch, caplog):
    ids, vectors = rows(200)
    store = files(tmp_path)
    store.save("facts", built(ids, vectors), 1)
    monkeypatch.setattr(ann, "CONNECTIVITY", 32)
    with caplog.at_level(logging.WARNING):
        assert store.load("facts", ids, vectors, 1) is None
    assert "connectivity is 16, not 32" in caplog.text


def test_namespaces_tables_and_embedders_keep_apart(tmp_path):
    ids, vectors = rows(200)
    files(tmp_path).save("facts", built(ids, vectors), 1)
    assert AnnFiles(tmp_path / "ann", "tenant-b", "minilm").load("facts", ids, vectors, 1) is None
    assert AnnFiles(tmp_path / "ann", "default", "other").load("facts", ids, vectors, 1) is None
    assert files(tmp_path).load("entities", ids, vectors, 1) is None
    assert files(tmp_path).load("facts", ids, vectors, 1) is not None
    files(tmp_path).remove()
    assert list((tmp_path / "ann").iterdir()) == []


def test_resaving_replaces_the_file_and_a_failed_save_only_logs(tmp_path, caplog):
    ids, vectors = rows(200)
    store = files(tmp_path)
    graph = built(ids, vectors)
    store.save("facts", graph, 1)
    first = {p.name for p in (tmp_path / "ann").glob("*.usearch")}
    store.save("facts", graph, 1)
    second = {p.name for p in (tmp_path / "ann").glob("*.usearch")}
    assert len(first) == len(second) == 1 and first != second
    (tmp_path / "blocked").write_text("a file where the directory would go")
    blocked = AnnFiles(tmp_path / "blocked" / "ann", "default", "minilm")
    with caplog.at_level(logging.WARNING):
        assert blocked.save("facts", graph, 1) is False
        assert blocked.save("facts", graph, 1) is False
    assert caplog.text.count("could not save the facts ANN graph") == 1
    assert graph.saved_rows == 200


def _save_repeatedly(directory: str, seed: int, times: int) -> None:
    ids, vectors = rows(400)
    store = AnnFiles(Path(directory), "default", "minilm")
    for i in range(times):
        graph = TableAnn(DIM)
        graph.sync(ids[: 200 + 20 * i + seed], vectors[: 200 + 20 * i + seed])
        assert store.save("facts", graph, 1)


def test_concurrent_savers_never_hand_a_reader_a_mismatched_pair(tmp_path):
    """Two processes save graphs of different sizes over and over while this one restores:
    every restore is either a graph that passes every check (and holds what its JSON says) or,
    when a saver removed the file just named, a miss; never an error or a mix."""
    directory = tmp_path / "ann"
    ids, vectors = rows(400)
    _save_repeatedly(str(directory), 0, 1)
    ctx = multiprocessing.get_context("spawn")
    savers = [ctx.Process(target=_save_repeatedly, args=(str(directory), s, 8)) for s in (0, 1)]
    for p in savers:
        p.start()
    loaded = missed = 0
    store = AnnFiles(directory, "default", "minilm")
    while any(p.is_alive() for p in savers) or loaded + missed < 5:
        graph = store.load("facts", ids, vectors, 1)
        if graph is None:
            missed += 1
            continue
        loaded += 1
        assert graph.n_added == int(np.searchsorted(ids, graph.last_id, side="right"))
    for p in savers:
        p.join()
        assert p.exitcode == 0
    assert loaded >= 1
    final = store.load("facts", ids, vectors, 1)
    assert final is not None and final.n_added in (340, 341)
