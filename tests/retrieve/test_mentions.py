"""Fuzzy query linking (graphmem.retrieve.mentions): query mentions from real spaCy, nearest
named entity by real MiniLM name vectors, and the seeds it gives on a tiny real memory."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from graphmem import Document, Memory
from graphmem.config import RetrieveConfig
from graphmem.retrieve import mentions as mentions_module
from graphmem.retrieve.linking import link_query_entity_spans
from graphmem.retrieve.mentions import (
    QueryMentions,
    fuzzy_link,
    parse_mentions,
    query_mentions,
    query_parser,
)
from graphmem.retrieve.retriever import entity_seeds

DOCS = [
    Document(id="achebe", text="Dorian Achebe wrote the novel Salt Lantern in 1961.", title="Dorian Achebe"),
    Document(id="korrigan", text="Ines Korrigan painted the harbour of Velmora.", title="Ines Korrigan"),
    Document(
        id="tekeze",
        text="The Tekezé (Setit) River flows into the Atbara.",
        title="Tekezé (Setit) River",
    ),
    Document(id="velmora", text="Velmora is a port town on the Ferrow Coast.", title="Velmora"),
]
QUERIES = [
    "When did Achebe write Salt Lantern?",  # partial name
    "Which river does the Tekeze River flow into?",  # no accent, no "(Setit)"
    "What did Ines Korigan paint?",  # near spelling
    "Where is the Ferrow Coast of Velmora?",  # both exact: nothing left to link
    "Who painted the harbour of the port town?",  # no name at all
]


@pytest.fixture(scope="module")
def mem(tmp_path_factory, embedder, extractor):
    m = Memory(tmp_path_factory.mktemp("mentions") / "mem", embedder=embedder, extractor=extractor)
    m.add(DOCS)
    yield m
    m.close()


def names(index, linked):
    return [(index.entity_names[e], round(s, 3)) for e, s in linked]


def assert_linked(got, want):
    """Names exactly; cosines to 2e-3 (the embedder's kernels round differently across CPUs:
    0.6895 printed as 0.689 on one machine and 0.69 on another)."""
    assert [[n for n, _ in row] for row in got] == [[n for n, _ in row] for row in want]
    for g, w in zip(got, want, strict=True):
        assert [s for _, s in g] == pytest.approx([s for _, s in w], abs=2e-3)


def test_query_mentions_skip_exact_matches_and_trim_edges(mem, extractor):
    index = mem.index()
    got = []
    for q, doc in zip(QUERIES, extractor.nlp.pipe(QUERIES)):
        exact = [(a, b) for _, a, b in link_query_entity_spans(q, index.named)]
        got.append(query_mentions(doc, exact, index.named.keys()))
    # "Salt Lantern" matched exactly and is left out; "the" is trimmed off "the Tekeze River"
    assert got == [["achebe"], ["tekeze river"], ["ines korigan"], [], []]


def test_a_mention_inside_an_exact_match_is_dropped_and_a_longer_one_kept(extractor):
    doc = extractor.nlp("Who owns the New York Times and Akinoshu Kenji's house?")
    text = doc.text
    times = (text.index("New York Times"), text.index("New York Times") + len("New York Times"))
    kenji = (text.index("Kenji"), text.index("Kenji") + len("Kenji"))
    got = query_mentions(doc, [times, kenji])
    assert "akinoshu kenji" in got
    assert not any("york" in name for name in got)
    assert query_mentions(doc, [], known={"akinoshu kenji", "the new york times", "new york times"}) == []


def test_fuzzy_link_finds_the_nearest_named_entity(mem, extractor):
    index = mem.index()
    found = parse_mentions(extractor.nlp, mem.embedder, index, QUERIES)
    assert [m.names for m in found] == [("achebe",), ("tekeze river",), ("ines korigan",), (), ()]
    assert all(m.vectors.shape == (len(m.names), index.dim) for m in found)
    linked = [names(index, fuzzy_link(index, m, -1.0)) for m in found]
    # MiniLM's tokenizer drops accents; a partial name and a misspelling sit near 0.69
    assert_linked(linked, [
        [("dorian achebe", 0.689)],
        [("tekezé (setit) river", 0.896)],
        [("ines korrigan", 0.684)],
        [],
        [],
    ])
    assert_linked([names(index, fuzzy_link(index, m, 0.8)) for m in found][:3], [
        [],
        [("tekezé (setit) river", 0.896)],
        [],
    ])


def test_candidates_are_named_entities_only(mem):
    index = mem.index()
    cand = mentions_module._candidates(index)
    kinds = {index.entity_kinds[p] for p in cand.positions.tolist()}
    assert "NP" not in kinds and "DATE" not in kinds
    assert "velmora" in {index.entity_names[p] for p in cand.positions.tolist()}
    assert mentions_module._candidates(index) is cand  # cached for the generation


def test_entity_seeds_weigh_a_fuzzy_link_by_cosine_over_passages(mem):
    index = mem.index()
    e = index.named["velmora"]
    assert int(index.entity_passage_counts[e]) == 2
    none = np.zeros(0, dtype=np.int64)
    assert entity_seeds(index, none, np.zeros(0), [], 5, None, [(e, 0.9)]) == {e: 0.45}
    # an exact link beats a fuzzy one of the same entity
    assert entity_seeds(index, none, np.zeros(0), [e], 5, None, [(e, 0.9)]) == {e: 0.5}


@pytest.mark.parametrize(
    ("threshold", "seeds"),
    [
        (float("inf"), [(), (), ()]),
        (0.8, [(), (("Tekezé (Setit) River", 0.895552),), ()]),
        (
            0.6,
            [
                (("Dorian Achebe", 0.689177),),
                (("Tekezé (Setit) River", 0.895552),),
                (("Ines Korrigan", 0.684188),),
            ],
        ),
    ],
)
def test_retrieve_seeds_fuzzy_links_above_the_threshold(mem, threshold, seeds):
    base = mem.config
    # no fact seeds, so only linked names seed the walk
    mem.config = replace(base, retrieve=RetrieveConfig(linking_top_k=0, fuzzy_link_threshold=threshold))
    try:
        got = [mem.retrieve(q, top_k=1)[0].explanation.seed_entities for q in QUERIES[:3]]
        tops = [mem.retrieve(q, top_k=1)[0].doc_id for q in QUERIES[:3]]
    finally:
        mem.config = base
    exact = ("Salt Lantern", 1.0)  # the exact link of the first query
    assert_linked([[s for s in g if s != exact] for g in got], seeds)
    assert exact in got[0]
    assert tops == ["achebe", "tekeze", "korrigan"]


def test_nothing_is_parsed_when_fuzzy_linking_is_off(mem, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("parsed a query with fuzzy linking off")

    monkeypatch.setattr("graphmem.retrieve.mentions.parse_mentions", refuse)
    assert mem.config.retrieve.fuzzy_link_threshold == float("inf")
    assert mem.retrieve(QUERIES[0], top_k=1)[0].doc_id == "achebe"


def test_query_parser_reuses_the_spacy_extractor(extractor):
    assert query_parser(extractor, "en_core_web_sm") is extractor.nlp


def test_no_mentions_link_nothing(mem):
    index = mem.index()
    empty = QueryMentions((), np.zeros((0, index.dim), dtype=np.float32))
    assert fuzzy_link(index, empty, 0.0) == []


@pytest.mark.parametrize("bad", [1.5, -1.01, float("nan"), -float("inf")])
def test_threshold_must_be_a_cosine_or_inf(bad):
    with pytest.raises(ValueError, match="fuzzy_link_threshold"):
        RetrieveConfig(fuzzy_link_threshold=bad)
    with pytest.raises(ValueError, match="link_max_ngram"):
        RetrieveConfig(link_max_ngram=0)


@pytest.mark.parametrize(
    ("query", "exact", "expected"),
    [
        ("Who wrote Salt Lantern?", [(10, 22)], False),  # the only name links exactly
        ("Who wrote the book?", [], False),  # "Who" is capitalised only as the first word
        ("When did Achebe write?", [], True),
        ("Achebe wrote what?", [], True),  # a name opening the question still counts
        ("where is हिन्दी spoken", [], True),  # an uncased script: no case to go by
        ("what is 東京", [], True),
        ("what about the rugby union", [], False),  # lowercase: not a mention to look for
    ],
)
def test_may_mention(query, exact, expected):
    assert mentions_module.may_mention(query, exact) is expected
