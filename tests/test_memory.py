"""Behaviour of the Memory facade on tiny real graphs (real spaCy, real embedder, real SQLite)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from graphmem import (
    ChunkConfig,
    ConflictError,
    Document,
    EmbedConfig,
    EmbedderMismatchError,
    InputError,
    Memory,
    MemoryConfig,
    NotFoundError,
)
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.memory import STORE_FILE

DOCS = [
    Document(id="ada", text="Ada Lovelace was born in London. Ada Lovelace wrote the first program."),
    Document(id="london", text="London is the capital of England. The Thames flows through London."),
    Document(id="babbage", text="Charles Babbage designed the Analytical Engine.", metadata={"year": 1837}),
]


def dump(mem: Memory) -> dict[str, set]:
    """Store content by name (ids differ between stores), for exact comparisons."""
    c = sqlite3.connect(mem.path / STORE_FILE)
    q = {
        "documents": "SELECT doc_id, title, metadata FROM documents",
        "chunks": "SELECT chunk_id, text FROM chunks",
        "entities": "SELECT name FROM entities",
        "facts": "SELECT s.name, f.predicate, o.name FROM facts f JOIN entities s ON s.id=f.subject_id "
        "JOIN entities o ON o.id=f.object_id",
        "fact_sources": "SELECT s.name, f.predicate, o.name, k.chunk_id FROM fact_sources fs "
        "JOIN facts f ON f.id=fs.fact_id JOIN entities s ON s.id=f.subject_id "
        "JOIN entities o ON o.id=f.object_id JOIN chunks k ON k.id=fs.chunk_id",
        "mentions": "SELECT k.chunk_id, e.name FROM mentions m JOIN chunks k ON k.id=m.chunk_id "
        "JOIN entities e ON e.id=m.entity_id",
        "synonyms": "SELECT x.name, y.name FROM synonyms s JOIN entities x ON x.id=s.a JOIN entities y ON y.id=s.b",
        "fact_conflicts": "SELECT xs.name, x.predicate, xo.name, ys.name, y.predicate, yo.name, k.chunk_id "
        "FROM fact_conflicts fc JOIN facts x ON x.id=fc.older JOIN facts y ON y.id=fc.newer "
        "JOIN entities xs ON xs.id=x.subject_id JOIN entities xo ON xo.id=x.object_id "
        "JOIN entities ys ON ys.id=y.subject_id JOIN entities yo ON yo.id=y.object_id "
        "JOIN chunks k ON k.id=fc.chunk_id",
    }
    out = {k: set(c.execute(v).fetchall()) for k, v in q.items()}
    c.close()
    return out


def test_add_returns_ids_and_counts_match_rows(memory_factory):
    mem = memory_factory()
    assert mem.add(DOCS) == ["ada", "london", "babbage"]
    d = dump(mem)
    s = mem.stats()
    assert s["documents"] == 3 and s["chunks"] == 3
    assert s["entities"] == len(d["entities"]) > 0
    assert s["facts"] == len(d["facts"]) > 0
    assert s["synonym_edges"] == len(d["synonyms"])
    assert ("ada lovelace", "born in", "london") in d["facts"]
    assert ("ada#0", "london") in d["mentions"] and ("london#0", "london") in d["mentions"]


def test_readd_is_noop_and_conflict_is_refused(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    before, gen = dump(mem), mem.stats()["generation"]
    assert mem.add(DOCS[::-1]) == ["babbage", "london", "ada"]
    assert mem.add(["plain"]) == mem.add(["plain"])  # content-hash id
    mem.delete(mem.add(["plain"])[0])
    assert dump(mem) == before
    with pytest.raises(ConflictError, match="'ada' is already stored with different text"):
        mem.add([Document(id="ada", text="Something else entirely.")])
    assert dump(mem) == before and mem.stats()["generation"] == gen + 2


def test_delete_equals_never_added(memory_factory):
    full = memory_factory("full")
    full.add(DOCS)
    full.delete("london")
    partial = memory_factory("partial")
    partial.add([DOCS[0], DOCS[2]])
    assert dump(full) == dump(partial)
    assert {k: v for k, v in full.stats().items() if k not in ("generation", "path")} == {
        k: v for k, v in partial.stats().items() if k not in ("generation", "path")
    }
    # "london" the entity survives: the ada passage still mentions it.
    assert ("london",) in dump(full)["entities"]
    hits = full.retrieve("What is the capital of England?", top_k=5)
    assert {h.doc_id for h in hits} == {"ada", "babbage"}


def test_delete_everything_leaves_empty_store(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    for d in DOCS:
        mem.delete(d.id)
    assert all(not v for v in dump(mem).values())
    assert mem.retrieve("Where was Ada Lovelace born?") == []


def test_delete_unknown_raises_not_found(memory_factory):
    mem = memory_factory()
    mem.add(DOCS[:1])
    with pytest.raises(NotFoundError, match="no document with id 'nope'"):
        mem.delete("nope")


def test_retrieve_multi_hop_and_explanation(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    hits = mem.retrieve("Which country's capital is the birthplace of Ada Lovelace?", top_k=2)
    assert [h.doc_id for h in hits] == ["ada", "london"]
    top = hits[0]
    assert top.chunk_id == "ada#0" and top.text == DOCS[0].text
    assert top.explanation.mode == "ppr"
    assert "Ada Lovelace" in [name for name, _ in top.explanation.seed_entities]
    assert hits[0].score >= hits[1].score > 0
    assert mem.retrieve("Analytical Engine", top_k=1)[0].metadata == {"year": 1837}


def test_retrieve_many_matches_retrieve(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    qs = ["Where was Ada Lovelace born?", "Who designed the Analytical Engine?"]
    many = mem.retrieve_many(qs, top_k=3)
    single = [mem.retrieve(q, top_k=3) for q in qs]
    assert [[h.chunk_id for h in r] for r in many] == [[h.chunk_id for h in r] for r in single]
    np.testing.assert_allclose(
        [h.score for r in many for h in r], [h.score for r in single for h in r], rtol=1e-5
    )


def test_dense_ranking_ranks_documents_by_best_passage(memory_factory):
    mem = memory_factory(config=MemoryConfig(chunk=ChunkConfig(max_tokens=12, overlap=2)))
    assert mem.dense_ranking(["anything"], top_k=2) == [[]]
    long_doc = Document(
        id="long",
        text="The Thames is a river. It flows east through Oxford and Reading. "
        "Ada Lovelace was born in London, on the Thames, in 1815.",
    )
    mem.add([*DOCS, long_doc])
    assert mem.stats()["chunks"] > len(DOCS) + 1  # the long document spans several passages
    qs = ["Where was Ada Lovelace born?", "Who designed the Analytical Engine?"]
    ranked = [mem.dense_ranking([q], top_k=10)[0] for q in qs]  # one query per batch, as
    # query_vector below embeds it: bf16 results can differ in the last bits between batches
    # expected: every document scored by its best passage's cosine, best first
    index = mem.index()
    recs = mem.store.passages([int(i) for i in index.chunks.ids])
    chunk_docs = [recs[int(i)].doc_id for i in index.chunks.ids]
    for q, got in zip(qs, ranked):
        cos = mem.query_vector(q) @ index.chunks.vectors.T
        best: dict[str, float] = {}
        for doc, c in zip(chunk_docs, cos.tolist()):
            best[doc] = max(best.get(doc, -2.0), c)
        assert got == sorted(best, key=lambda d: -best[d])
    assert sorted(ranked[0]) == ["ada", "babbage", "london", "long"]
    assert [mem.dense_ranking([q], top_k=1)[0] for q in qs] == [r[:1] for r in ranked]
    assert len(mem.dense_ranking(qs, top_k=2)) == 2
    mem.delete(ranked[0][0])  # the chunk -> document map follows the store
    assert mem.dense_ranking(qs[:1], top_k=10) == [ranked[0][1:]]
    with pytest.raises(TypeError, match="dense_ranking takes a list"):
        mem.dense_ranking("one query")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_k must be >= 1, got 0"):
        mem.dense_ranking(qs, top_k=0)


def test_empty_memory_returns_empty(memory_factory):
    mem = memory_factory()
    assert mem.retrieve("anything") == []
    assert mem.retrieve_many(["a", "b"]) == [[], []]
    assert mem.stats()["documents"] == 0


def test_reopen_gives_identical_results(tmp_path, embedder, extractor):
    q = "Which country's capital is the birthplace of Ada Lovelace?"
    with Memory(tmp_path / "m", embedder=embedder, extractor=extractor) as mem:
        mem.add(DOCS)
        first = mem.retrieve(q, top_k=3)
    with Memory(tmp_path / "m", embedder=embedder, extractor=extractor) as mem:
        again = mem.retrieve(q, top_k=3)
    assert first == again


def test_other_embedder_is_refused(tmp_path, embedder, extractor):
    with Memory(tmp_path / "m", embedder=embedder, extractor=extractor) as mem:
        mem.add(DOCS[:1])
    other = SentenceTransformerEmbedder(EmbedConfig(model="acme/other-model"))
    with pytest.raises(EmbedderMismatchError) as err:
        Memory(tmp_path / "m", embedder=other)
    assert "sentence-transformers/all-MiniLM-L6-v2" in str(err.value)
    assert "acme/other-model" in str(err.value)
    with pytest.raises(EmbedderMismatchError):
        Memory(tmp_path / "m", MemoryConfig(embed=EmbedConfig(model="acme/other-model")))


@pytest.mark.parametrize(
    "bad, message",
    [
        (["fine text", "   "], "add() item 1: text is empty"),
        ([Document(text="ok"), 42], "add() item 1: expected str or Document, got int"),
        ([Document(text="ok", metadata={"x": object()})], 'add() item 0: metadata["x"] is object, not a JSON value'),
        ([Document(text="ok", id="")], "add() item 0: id must be a non-empty string"),
    ],
)
def test_bad_input_leaves_store_unchanged(memory_factory, bad, message):
    mem = memory_factory()
    mem.add(DOCS[:1])
    before, gen = dump(mem), mem.stats()["generation"]
    with pytest.raises(InputError) as err:
        mem.add(bad)
    assert str(err.value).startswith(message)
    assert dump(mem) == before and mem.stats()["generation"] == gen


def test_interrupted_write_rolls_back(memory_factory, monkeypatch):
    mem = memory_factory()
    mem.add(DOCS[:1])
    before, gen = dump(mem), mem.stats()["generation"]
    import graphmem.store.sqlite as sqlite_module

    original = sqlite_module.write_rows

    def write_then_fail(c, batch, path, namespace):
        original(c, batch, path, namespace)  # every row of the batch is inside the open transaction here
        assert c.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
        raise RuntimeError("power cut")

    monkeypatch.setattr(sqlite_module, "write_rows", write_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        mem.add(DOCS[1:])
    monkeypatch.undo()
    assert dump(mem) == before and mem.stats()["generation"] == gen
    assert {h.doc_id for h in mem.retrieve("capital of England", top_k=5)} == {"ada"}
    mem.add(DOCS[1:])  # the store still works afterwards
    assert mem.stats()["documents"] == 3


def test_chunked_document_and_unicode(memory_factory):
    from graphmem import ChunkConfig

    mem = memory_factory(config=MemoryConfig(chunk=ChunkConfig(max_tokens=16, overlap=2)))
    text = (
        "Angela Schmidt lives in München. München is the capital of Bavaria. "
        "Jürgen Weiß founded Weiß Optik in München. 東京 is a large city."
    )
    mem.add([Document(id="de", text=text)])
    s = mem.stats()
    assert s["documents"] == 1 and s["chunks"] >= 3
    assert ("münchen",) in dump(mem)["entities"]
    hits = mem.retrieve("Who lives in München?", top_k=1)
    assert hits[0].doc_id == "de" and "München" in hits[0].text


def test_two_handles_on_one_store_stay_in_sync(tmp_path, embedder, extractor):
    """A second handle's writes reach the first one's index through the generation counter:
    appended rows are loaded by id, deleted rows are dropped from the matrices."""
    a = Memory(tmp_path / "m", embedder=embedder, extractor=extractor)
    b = Memory(tmp_path / "m", embedder=embedder, extractor=extractor)
    try:
        a.add(DOCS[:1])
        assert [h.doc_id for h in a.retrieve("Ada Lovelace", top_k=5)] == ["ada"]
        b.add(DOCS[1:])
        assert {h.doc_id for h in a.retrieve("Who designed the Analytical Engine?", top_k=5)} == {
            "ada", "london", "babbage"
        }
        b.delete("ada")
        hits = a.retrieve("Where was Ada Lovelace born?", top_k=5)
        assert {h.doc_id for h in hits} == {"london", "babbage"}
        index = a.index()
        assert (index.n_chunks, index.n_entities, index.n_facts) == (
            a.stats()["chunks"], a.stats()["entities"], a.stats()["facts"]
        )
        fresh = Memory(tmp_path / "m", embedder=embedder, extractor=extractor)
        try:
            q = "Which country's capital is on the Thames?"
            assert a.retrieve(q, top_k=3) == fresh.retrieve(q, top_k=3)
        finally:
            fresh.close()
    finally:
        a.close()
        b.close()


def test_to_networkx_mirrors_the_store(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    g = mem.to_networkx()
    s = mem.stats()
    kinds = [d["kind"] for _, d in g.nodes(data=True)]
    assert kinds.count("entity") == s["entities"] and kinds.count("passage") == s["chunks"]
    edge_kinds = [d["kind"] for _, _, d in g.edges(data=True)]
    assert edge_kinds.count("mention") == s["mentions"]
    assert g.nodes["passage:ada#0"]["doc_id"] == "ada"
    fact = g.edges["entity:ada lovelace", "entity:london"]
    assert fact["kind"] == "fact" and "born in" in fact["predicates"]


def test_graph_export_of_a_built_store_does_not_load_the_embedding_model(memory_factory, tmp_path):
    from graphmem.config import EmbedConfig
    from graphmem.embed import SentenceTransformerEmbedder

    built = memory_factory("built")
    built.add(["Ada Lovelace was born in London.", "London is the capital of England."])
    expected = sorted(built.to_networkx().nodes)
    built.close()
    fresh = SentenceTransformerEmbedder(EmbedConfig())
    with Memory(tmp_path / "built", embedder=fresh) as mem:
        assert sorted(mem.to_networkx().nodes) == expected
        assert fresh._model is None  # opened for reading the graph: no model load
        assert mem.retrieve("Where was Ada Lovelace born?", top_k=1)[0].text.startswith("Ada")
        assert fresh._model is not None
