"""Retrieval through the ANN path (``RetrieveConfig.ann_min_rows`` tiny) on the demo corpus
gives the passages the exact path gives, also after adds and a deletion refreshed the graph
incrementally, where it equals a memory that built its graph afresh (real models)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from graphmem import read_documents
from graphmem.config import MemoryConfig, RetrieveConfig, StoreConfig
from graphmem.retrieve.mentions import QueryMentions, fuzzy_link

pytest.importorskip("usearch")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUESTIONS = [q["question"] for q in json.loads((EXAMPLES / "questions.json").read_text("utf-8"))]
QUESTIONS += ["Marchetti's novel", "Who lives near the Tellan river?", "copper mines of Estrevel"]
EXACT = MemoryConfig(retrieve=RetrieveConfig(fuzzy_link_threshold=0.85))
ANN = MemoryConfig(retrieve=RetrieveConfig(fuzzy_link_threshold=0.85, ann_min_rows=1))
UNSAVED = MemoryConfig(
    retrieve=RetrieveConfig(fuzzy_link_threshold=0.85, ann_min_rows=1, save_ann=False)
)


def ranked(memory) -> list[list[tuple[str, float]]]:
    return [[(h.chunk_id, h.score) for h in memory.retrieve(q, top_k=5)] for q in QUESTIONS]


def assert_same_ranking(got, want) -> None:
    assert [[c for c, _ in hits] for hits in got] == [[c for c, _ in hits] for hits in want]
    for g, w in zip(got, want):  # scores: exact on both paths, up to the normalising minimum
        assert np.allclose([s for _, s in g], [s for _, s in w], rtol=1e-3, atol=1e-6)


def test_ann_path_ranks_as_the_exact_path(memory_factory, embedder):
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    exact = memory_factory("m", config=EXACT)
    exact.add(docs)
    ann = memory_factory("m", config=ANN)  # the same store, read by a second memory
    assert_same_ranking(ranked(ann), ranked(exact))
    index = ann.index()
    assert index.ann_tables[0] == "facts"  # the query path built it
    assert exact.index().ann_tables == ()
    names = ("marchetti", "tellan", "harbourlight", "estrevel prize", "lantern")
    mentions = QueryMentions(names, np.asarray(embedder.encode(list(names)), dtype=np.float32))
    assert fuzzy_link(index, mentions, -1.0, ann_min_rows=1) == fuzzy_link(index, mentions, -1.0)
    assert set(index.ann_tables) == {"facts", "entities"}


def test_ann_after_adds_and_a_deletion_equals_a_fresh_build(memory_factory):
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    grown = memory_factory("m", config=ANN)
    grown.add(docs[:12])
    ranked(grown)  # builds the graph over the first 12 documents' facts
    graph = grown.index().ann("facts", 1)
    first = graph.n_added
    grown.add(docs[12:])
    grown.delete(docs[0].id)
    got = ranked(grown)
    index = grown.index()
    assert index.ann("facts", 1) is graph and graph.builds == 1  # appended to, not rebuilt
    assert graph.n_added > first and graph.deleted >= 1  # the deleted document's facts masked
    assert graph.n_added - graph.deleted == index.n_facts
    fresh = memory_factory("m", config=UNSAVED)
    assert_same_ranking(got, ranked(fresh))
    assert fresh.index().ann("facts", 1).builds == 1
    assert_same_ranking(got, ranked(memory_factory("m", config=EXACT)))


def test_a_second_memory_restores_the_saved_graphs_and_ranks_the_same(memory_factory, tmp_path):
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    first = memory_factory("m", config=ANN)
    first.add(docs[:12])
    want = ranked(first)  # builds and saves the facts and entities graphs
    saved = sorted(p.name.split("-")[0] for p in (tmp_path / "m" / "ann").glob("*.json"))
    assert saved == ["entities", "facts"]
    second = memory_factory("m", config=ANN)
    assert_same_ranking(ranked(second), want)
    facts = second.index().ann("facts", 1)
    assert (facts.builds, facts.n_added) == (0, second.index().n_facts)  # restored, not built
    second.add(docs[12:])  # appended to the restored graphs, which grew enough to be saved again
    grown = ranked(second)
    third = memory_factory("m", config=ANN)
    assert_same_ranking(ranked(third), grown)
    assert third.index().ann("facts", 1).builds == 0
    assert_same_ranking(grown, ranked(memory_factory("m", config=UNSAVED)))


def test_deleting_a_namespace_removes_its_saved_graphs(memory_factory, tmp_path):
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    mem = memory_factory("m", config=ANN)
    mem.add(docs[:6], namespace="tenant-a")
    mem.add(docs[6:12], namespace="tenant-b")
    mem.retrieve(QUESTIONS[0], namespace="tenant-a")
    mem.retrieve(QUESTIONS[0], namespace="tenant-b")
    directory = tmp_path / "m" / "ann"
    assert len(list(directory.glob("facts-*.json"))) == 2
    mem.delete_namespace("tenant-a")
    assert len(list(directory.glob("facts-*.json"))) == 1
    assert len(list(directory.glob("facts-*.usearch"))) == 1
    assert mem.retrieve(QUESTIONS[0], namespace="tenant-b")


def test_a_store_put_back_from_an_older_copy_rebuilds_its_graphs(memory_factory, tmp_path, caplog):
    """The memory directory's store file replaced by a copy taken before later adds: the saved
    graphs (which hold the later rows' ids) are not restored, and retrieval equals an unsaved
    memory's on that older store, also after new adds reuse the later rows' ids."""
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    mem = memory_factory("m", config=ANN)
    mem.add(docs[:8])
    mem.close()
    store_file = tmp_path / "m" / "graphmem.sqlite"
    older = store_file.read_bytes()
    mem = memory_factory("m", config=ANN)
    mem.add(docs[8:])
    ranked(mem)  # saves graphs holding every document's facts
    mem.close()
    for suffix in ("-wal", "-shm"):
        (tmp_path / "m" / f"graphmem.sqlite{suffix}").unlink(missing_ok=True)
    store_file.write_bytes(older)
    back = memory_factory("m", config=ANN)
    with caplog.at_level(logging.WARNING, logger="graphmem.graph.ann_files"):
        ranked(back)
    assert "not used (it was saved at generation" in caplog.text
    assert back.index().ann("facts", 1).builds == 1
    back.add(docs[12:14])  # new rows take ids the saved graph held for other facts
    got = ranked(back)
    assert_same_ranking(got, ranked(memory_factory("m", config=UNSAVED)))


def test_a_read_only_memory_restores_saved_graphs_and_saves_none(memory_factory, tmp_path):
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    writer = memory_factory("m", config=ANN)
    writer.add(docs[:10])
    read_only = replace(ANN, store=StoreConfig(read_only=True))
    reader = memory_factory("m", config=read_only)
    ranked(reader)  # builds the graphs, saves none
    assert not (tmp_path / "m" / "ann").exists()
    want = ranked(writer)  # builds and saves them
    saved = sorted(p.name for p in (tmp_path / "m" / "ann").iterdir())
    again = memory_factory("m", config=read_only)
    assert_same_ranking(ranked(again), want)
    assert again.index().ann("facts", 1).builds == 0  # restored
    writer.add(docs[10:])
    ranked(memory_factory("m", config=read_only))  # grown past the save: appends, saves nothing
    assert sorted(p.name for p in (tmp_path / "m" / "ann").iterdir()) == saved
