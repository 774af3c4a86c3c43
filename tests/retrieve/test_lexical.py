"""BM25 over passages: the fast index against its plain definition, kept up to date by adds
and deletes, and mixed into the walk's passage weights by RetrieveConfig.lexical_weight."""

from __future__ import annotations

import random

import numpy as np
import pytest

from graphmem import Document
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.graph.lexical import LexicalIndex, bm25_reference, terms

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "Caroline",
    "support",
    "group",
    "Oslo",
    "東京",
    "straße",
    "STRASSE",
    "did",
    "the",
]


def test_terms_are_casefolded_unicode_words():
    assert terms("Caroline's LGBTQ group, in Straße 9!") == [
        "caroline",
        "s",
        "lgbtq",
        "group",
        "in",
        "strasse",
        "9",
    ]
    assert terms("東京 is big") == ["東", "京", "is", "big"]


def test_worked_example():
    passages = ["a b b", "a c", "c c c d"]
    ix = LexicalIndex()
    ix.append(passages)
    # idf(b) = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)); passage 0: tf 2, length 3, mean length 3
    idf_b = np.log(1 + 2.5 / 1.5)
    want = idf_b * 2 * 2.2 / (2 + 1.2)
    assert ix.scores("b")[0] == pytest.approx(want)
    assert ix.scores("b b b").tolist() == ix.scores("b").tolist()  # a query word counts once
    assert ix.scores("zzz").tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("seed", range(20))
def test_fast_equals_reference_on_random_passages(seed):
    rng = random.Random(seed)
    passages = [
        " ".join(rng.choices(WORDS, k=rng.randint(0, 12))) for _ in range(rng.randint(1, 15))
    ]
    ix = LexicalIndex()
    cut = rng.randint(0, len(passages))
    ix.append(passages[:cut])
    ix.append(passages[cut:])
    for _ in range(5):
        q = " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))
        assert np.allclose(ix.scores(q), bm25_reference(passages, q), rtol=1e-12, atol=1e-12)


def test_keep_equals_an_index_of_the_kept_passages():
    passages = ["alpha beta", "beta gamma", "gamma delta alpha", "Oslo group"]
    ix = LexicalIndex()
    ix.append(passages)
    ix.scores("alpha")  # built once, then changed
    ix.keep(np.array([True, False, True, True]))
    kept = [passages[0], passages[2], passages[3]]
    for q in ("alpha", "beta gamma", "oslo"):
        assert np.allclose(ix.scores(q), bm25_reference(kept, q))


DOCS = [
    Document("Caroline went to the LGBTQ support group on Tuesday.", id="group"),
    Document("Caroline painted a sunrise over the lake.", id="paint"),
    Document("Melanie ran a charity race for mental health.", id="race"),
]


def test_memory_keeps_the_lexical_index_in_step_with_adds_and_deletes(memory_factory):
    cfg = MemoryConfig(retrieve=RetrieveConfig(lexical_weight=0.5))
    mem = memory_factory(config=cfg)
    mem.add(DOCS[:2])
    q = "When did Caroline go to the LGBTQ support group?"
    assert mem.retrieve(q, top_k=1)[0].doc_id == "group"
    mem.add(DOCS[2:])
    mem.delete("paint")
    mem.retrieve(q, top_k=1)
    index = mem.index()
    assert index.lexical is not None and index.lexical.n_passages == index.n_chunks == 2
    fresh = memory_factory("fresh", config=cfg)
    fresh.add([DOCS[0], DOCS[2]])
    fresh.retrieve(q, top_k=1)
    assert np.allclose(index.lexical.scores(q), fresh.index().lexical.scores(q))


def test_lexical_weight_zero_reads_no_text(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    mem.retrieve("Caroline", top_k=1)
    assert mem.index().lexical is None


def test_lexical_weight_out_of_range_is_refused():
    with pytest.raises(ValueError, match="lexical_weight"):
        RetrieveConfig(lexical_weight=1.5)


def test_conversation_turns_mix_bm25_by_default_and_documents_do_not(memory_factory, embedder):
    from graphmem.conversation import Turn
    from graphmem.retrieve.linking import min_max
    from graphmem.retrieve.retriever import passage_prior

    mem = memory_factory()
    mem.add(DOCS[1:])
    mem.add_conversation(
        [
            Turn("Caroline", "I went to the LGBTQ support group yesterday.", "t1"),
            Turn("Melanie", "That sounds lovely, how was it?", "t2"),
        ],
        session_time="2023-05-08T13:56:00Z",
        window=0,
    )
    q = "When did Caroline go to the LGBTQ support group?"
    assert mem.retrieve(q, top_k=1)[0].doc_id == "t1"
    index = mem.index()
    assert index.chunk_dialogue.tolist() == [False, False, True, True]
    assert index.lexical is not None and index.lexical.n_passages == 4
    cfg = RetrieveConfig()
    dense = index.chunks.vectors @ embedder.encode([q])[0]
    prior = passage_prior(index, q, dense, cfg)
    plain = min_max(dense)
    bm25 = min_max(index.lexical.scores(q))
    assert prior[:2].tolist() == plain[:2].tolist()  # documents: dense alone
    w = cfg.dialogue_lexical_weight
    assert np.allclose(prior[2:], (1 - w) * plain[2:] + w * bm25[2:])
