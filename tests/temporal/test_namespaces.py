"""Namespaces: strict isolation, listing and deleting, per-namespace generations."""

from __future__ import annotations

import random

import pytest
from test_memory import DOCS, dump

from graphmem import Document, NotFoundError

ALICE = [
    Document("Ada Lovelace wrote the first program.", id="ada", time="2020-01-01"),
    Document("Oren Vale founded Kestrel Mills in Dunmore.", id="oren", time="2020-01-02"),
    Document("Kestrel Mills makes wool blankets.", id="kestrel", time="2020-01-03"),
]
BOB = [
    Document("Ada Lovelace was born in London.", id="ada", time="2021-01-01"),  # same id, other text
    Document("Oren Vale moved to Tallis Bay.", id="oren-2", time="2021-01-02"),
    Document("Tallis Bay has a lighthouse.", id="tallis", time="2021-01-03"),
]
QUESTIONS = [
    "Who wrote the first program?",
    "Where was Ada Lovelace born?",
    "What does the company founded by Oren Vale make?",
    "Where did Oren Vale move?",
    "What does Tallis Bay have?",
]


def _run(mem, ns):
    return [
        [(h.doc_id, h.chunk_id, h.text, h.score, h.explanation) for h in mem.retrieve(q, top_k=3, namespace=ns)]
        for q in QUESTIONS
    ]


def test_results_in_a_namespace_do_not_depend_on_another(memory_factory):
    alone, shared = memory_factory("alone"), memory_factory("shared")
    alone.add(ALICE, namespace="alice")
    shared.add(BOB, namespace="bob")
    shared.add(ALICE, namespace="alice")
    shared.add(DOCS)  # the default namespace too
    assert _run(alone, "alice") == _run(shared, "alice")
    assert alone.dense_ranking(QUESTIONS, 3, namespace="alice") == shared.dense_ranking(
        QUESTIONS, 3, namespace="alice"
    )
    assert alone.facts_about("Oren Vale", namespace="alice") == shared.facts_about(
        "Oren Vale", namespace="alice"
    )
    assert shared.namespaces() == ["alice", "bob", "default"]
    assert [d.doc_id for d in shared.documents(namespace="bob")] == ["ada", "oren-2", "tallis"]
    assert shared.stats(namespace="alice")["documents"] == 3
    assert shared.stats()["documents"] == 9


def test_no_hit_crosses_namespaces_in_1000_queries(memory_factory):
    mem = memory_factory()
    mem.add(ALICE, namespace="alice")
    mem.add(BOB, namespace="bob")
    texts = {ns: {d.text for d in docs} for ns, docs in (("alice", ALICE), ("bob", BOB))}
    words = sorted({w.strip(".") for d in ALICE + BOB for w in d.text.split()})
    rng = random.Random(7)
    queries = [" ".join(rng.sample(words, rng.randint(1, 5))) for _ in range(1000)]
    for ns in ("alice", "bob"):
        for hits in mem.retrieve_many(queries[:500] if ns == "alice" else queries[500:], top_k=3, namespace=ns):
            assert hits and all(h.text in texts[ns] and h.namespace == ns for h in hits)


def test_same_id_in_two_namespaces_and_delete_namespace(memory_factory):
    mem, fresh = memory_factory("mem"), memory_factory("fresh")
    mem.add(ALICE, namespace="alice")
    mem.add(BOB, namespace="bob")
    before = _run(mem, "bob")
    assert mem.delete("ada", namespace="alice").chunks == 1
    with pytest.raises(NotFoundError, match="no document with id 'ada' in namespace 'alice'"):
        mem.delete("ada", namespace="alice")
    assert _run(mem, "bob") == before
    assert mem.delete_namespace("alice") == 2
    assert mem.namespaces() == ["bob"]
    with pytest.raises(NotFoundError, match="no namespace 'alice'"):
        mem.retrieve("x", namespace="alice")
    fresh.add(BOB, namespace="bob")
    assert dump(mem) == dump(fresh)
    assert _run(mem, "bob") == _run(fresh, "bob")


def test_writing_one_namespace_leaves_the_others_generation(memory_factory):
    mem = memory_factory()
    mem.add(ALICE, namespace="alice")
    alice = mem.store.scoped("alice")
    generation = alice.generation()
    mem.add(BOB, namespace="bob")
    assert alice.generation() == generation
    assert mem.store.scoped("bob").generation() > generation
    mem.add(["Kestrel Mills opened a shop."], namespace="alice")
    assert alice.generation() > mem.store.scoped("bob").generation()
