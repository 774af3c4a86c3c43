"""An index kept up to date by refreshes (append-only after adds, full after deletions) equals
one built from scratch, array for array, and retrieves the same, after random sequences of
adds, deletes, updates and namespace deletions on a small real memory (real models)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp

from graphmem import Document, Memory
from graphmem.graph.index import GraphIndex
from graphmem.memory import STORE_FILE
from graphmem.store.sqlite import SQLiteStore

TEXTS = [
    ("Marta Quill lives in Paris. She works for Lumen Press.", "2019-03-01"),
    ("Marta Quill moved to Berlin and joined Orbis Labs.", "2021-06-01"),
    ("Marta Quill relocated to Lisbon.", "2023-02-01"),
    ("Orbis Labs is based in Berlin. Its founder is Tomas Vale.", None),
    ("Tomas Vale married Ines Duarte in Lisbon.", "2015-05-20"),
    ("Lumen Press publishes poetry from Paris and Lyon.", None),
    ("Ines Duarte lives in Porto and paints harbours.", "2018-01-01"),
    ("The Salt Lantern is a novel by Marta Quill set in Porto.", None),
    ("Tomas Vale works at Orbis Labs in Berlin.", "2020-09-09"),
    ("Lyon and Paris are linked by a fast train run by Rail Nova.", None),
]
QUERIES = ["Where does Marta Quill live?", "Who founded Orbis Labs?", "Ines Duarte"]
NAMESPACES = ("default", "other")


def sparse_equal(a: sp.spmatrix, b: sp.spmatrix) -> bool:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def assert_same_index(got: GraphIndex, want: GraphIndex) -> None:
    """Every array, list and matrix the retrieval reads, compared exactly."""
    for table in ("entities", "chunks", "facts"):
        g, w = getattr(got, table), getattr(want, table)
        assert np.array_equal(g.ids, w.ids), table
        assert np.array_equal(g.vectors, w.vectors), table
    for name in (
        "entity_names", "entity_labels", "entity_kinds", "fact_predicates", "chunk_metadata",
        "named",
    ):
        assert getattr(got, name) == getattr(want, name), name
    for name in (
        "chunk_times", "chunk_stated", "fact_subject_ids", "fact_object_ids", "fact_codes",
        "fact_scales", "synonym_rows", "fact_subject", "fact_object", "entity_passage_counts",
        "lonely_passage", "valid_now",
    ):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    for name in ("fact_chunks", "chunk_facts", "chunk_entities", "adjacency"):
        assert sparse_equal(getattr(got, name), getattr(want, name)), name
    for name in ("fact_sources", "mentions", "synonyms", "synonym_scores"):
        assert np.array_equal(getattr(got.edges, name), getattr(want.edges, name)), name
    for name in ("iv_fact", "iv_start", "iv_end", "first", "group", "value"):
        assert np.array_equal(getattr(got.validity, name), getattr(want.validity, name)), name
    gt, wt = got.transition, want.transition
    assert gt.n == wt.n
    for name in ("matrix", "symmetric"):
        assert sparse_equal(getattr(gt, name), getattr(wt, name)), name
    for name in ("dangling", "dangling_mask", "sqrt_out", "order", "cg_indptr", "cg_indices"):
        assert np.array_equal(getattr(gt, name), getattr(wt, name)), name


def fresh(memory: Memory, namespace: str) -> GraphIndex:
    """An index built from scratch from the store as it is now."""
    index = GraphIndex(memory.store.dim, memory.config.graph, memory.config.temporal)
    index.refresh(memory.store.scoped(namespace))
    return index


def hits(memory: Memory, namespace: str) -> list[list[tuple[str, float]]]:
    if not memory.store.scoped(namespace).documents():
        return []
    return [
        [(h.chunk_id, h.score) for h in memory.retrieve(q, 4, namespace=namespace)]
        for q in QUERIES
    ]


def random_step(rng: random.Random, memory: Memory, stored: dict[str, dict[str, str]]) -> str:
    """One random operation; ``stored`` maps namespace -> doc id -> text."""
    ns = rng.choice(NAMESPACES)
    docs = stored.setdefault(ns, {})
    roll = rng.random()
    if not docs or roll < 0.5:
        text, time = rng.choice(TEXTS)
        doc_id = f"doc-{rng.randrange(6)}"
        if doc_id in docs:
            memory.upsert([Document(text, id=doc_id, time=time)], namespace=ns)
        else:
            memory.add([Document(text, id=doc_id, time=time)], namespace=ns)
        docs[doc_id] = text
        return f"add {ns}/{doc_id}"
    if roll < 0.7:
        doc_id = rng.choice(sorted(docs))
        memory.delete(doc_id, namespace=ns)
        del docs[doc_id]
        return f"delete {ns}/{doc_id}"
    if roll < 0.9:
        doc_id = rng.choice(sorted(docs))
        text, time = rng.choice([t for t in TEXTS if t[0] != docs[doc_id]])
        memory.update(doc_id, Document(text, time=time), namespace=ns)
        docs[doc_id] = text
        return f"update {ns}/{doc_id}"
    memory.delete_namespace(ns)
    stored[ns] = {}
    return f"delete namespace {ns}"


@pytest.mark.parametrize("seed", [0, 1])
def test_refreshed_index_equals_a_fresh_build(memory_factory, seed):
    rng = random.Random(seed)
    memory = memory_factory(f"m{seed}")
    memory.add([Document(*TEXTS[0][:1], id="doc-0", time=TEXTS[0][1])])
    # a second reader on its own connection, like another process: it refreshes only now and
    # then, so several writes (a namespace deletion and its re-creation among them) pile up
    reader = SQLiteStore(memory.path / STORE_FILE)
    readers = {
        ns: GraphIndex(memory.store.dim, memory.config.graph, memory.config.temporal)
        for ns in NAMESPACES
    }
    stored: dict[str, dict[str, str]] = {"default": {"doc-0": TEXTS[0][0]}}
    log = []
    kinds: set[str] = set()
    for step in range(14):
        log.append(random_step(rng, memory, stored))
        for ns in NAMESPACES:
            want = fresh(memory, ns)
            assert_same_index(memory.index(ns), want)  # the writer's own, refreshed every step
            kinds.add(memory.index(ns).last_refresh)
            if rng.random() < 0.5:
                readers[ns].refresh(reader.scoped(ns))
                assert_same_index(readers[ns], want)
                kinds.add(readers[ns].last_refresh)
        ns = rng.choice(NAMESPACES)
        other = Memory(memory.path, memory.config, embedder=memory.embedder, extractor=memory.extractor)
        try:
            assert hits(memory, ns) == hits(other, ns), log  # a fresh memory loads from scratch
        finally:
            other.close()
    reader.close()
    assert any(s.startswith("delete ") for s in log) and any(s.startswith("add") for s in log)
    assert {"appended", "full"} <= kinds  # both refresh paths were compared


def test_a_write_leaves_the_walk_graph_to_the_first_walk(memory_factory):
    memory = memory_factory("lazy")
    memory.add([Document(TEXTS[0][0], id="doc-0")])
    index = memory.index()
    assert index.generation == memory.store.generation()  # refreshed by the write...
    assert index._walk_graph is None  # ...without building the walk's matrices
    memory.retrieve(TEXTS[0][0], top_k=1)
    built = index._walk_graph
    assert built is not None and index.transition is built  # built once, then kept
    assert built.n == index.adjacency.shape[0] == index.n_entities + index.n_chunks
    memory.add([Document(TEXTS[1][0], id="doc-1")])
    assert memory.index() is index and index._walk_graph is None
    assert index.transition is not built and index.transition.n == index.adjacency.shape[0]
    other = Memory(memory.path, memory.config, embedder=memory.embedder, extractor=memory.extractor)
    try:
        assert hits(memory, "default") == hits(other, "default")  # as a fresh load walks
    finally:
        other.close()
