"""Questions that ask for a single-valued relation rank the passage stating it first."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from graphmem import Document
from graphmem.config import SINGLE_VALUED, MemoryConfig, SingleValued, TemporalConfig
from graphmem.retrieve.intent import RelationCues, answering_passages

NUMBER = {rel.name: i for i, rel in enumerate(SINGLE_VALUED)}


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Who employs Zoltan Wexlonte?", {"employer"}),
        ("Where does Ada Brill WORK now?", {"employer"}),
        ("Where does Ada Brill live?", {"residence"}),
        ("Who is the spouse of Ada Brill?", {"spouse"}),
        ("Who is the chief executive of Brill Foods?", {"leader"}),
        ("What is Brill Foods known as today?", {"name"}),
        ("Where was Ada Brill born?", set()),
        ("Who worked with the wife of Ada Brill?", {"employer", "spouse"}),
        ("", set()),
    ],
)
def test_default_cues(question, asked):
    got = RelationCues(SINGLE_VALUED).asked(question)
    assert got == frozenset(NUMBER[name] for name in asked)


def test_cues_match_whole_words_in_any_script():
    cues = RelationCues((SingleValued("wohnort", ("wohnen in",), cues=("wohnt", "lebt")),
                         SingleValued("住所", ("住む",), cues=("住んで",))))
    assert cues.asked("Wo wohnt Jürgen Maß?") == frozenset({0})
    assert cues.asked("Wo wohntest du?") == frozenset()
    assert cues.asked("どこに 住んで いますか") == frozenset({1})
    assert RelationCues(()).asked("Who employs x?") == frozenset()


def test_answering_passages_worked_example():
    # facts: 0 (key 7, employer) holds, 1 (key 7, employer) superseded, 2 (key 8, employer),
    # 3 (key 7, residence); passages: 0 states 0, 1 states 1, 2 states 2 and 3, 3 states nothing
    chunk_facts = sp.csr_matrix(
        np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0]], dtype=np.float32)
    )
    relation = np.array([1, 1, 1, 0])
    key = np.array([7, 7, 8, 7])
    holding = np.array([True, False, True, True])
    got = answering_passages(chunk_facts, relation, key, holding, frozenset({1}), [7])
    assert got.tolist() == [True, False, False, False]
    got = answering_passages(chunk_facts, relation, key, holding, frozenset({0, 1}), [7, 8])
    assert got.tolist() == [True, False, True, False]
    assert answering_passages(chunk_facts, relation, key, holding, frozenset({1}), [9]) is None
    assert answering_passages(chunk_facts, relation, key, holding, frozenset(), [7]) is None


DOCS = [
    Document("Ada Brill lives in Oslo.", id="home", time="2020-05-01"),
    Document("Ada Brill works for Velstone Studios.", id="job", time="2019-02-01"),
    Document("Ada Brill took up chess in 2018.", id="chess", time="2018-01-01"),
    Document("Ada Brill joined Tarnwick Optics.", id="old-job", time="2016-01-01"),
]


def _first(mem, q, **kw):
    return mem.retrieve(q, top_k=4, **kw)[0].doc_id


def test_question_about_employer_ranks_the_current_employer_first(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    assert _first(mem, "Who employs Ada Brill?") == "job"
    assert _first(mem, "Where does Ada Brill live?") == "home"
    assert _first(mem, "Who employed Ada Brill in 2017?", as_of="2017-06-01") == "old-job"


def test_answer_scale_one_is_the_walk_without_intent(memory_factory):
    plain = MemoryConfig(temporal=TemporalConfig(answer_scale=1.0))
    a, b = memory_factory("a"), memory_factory("b", config=plain)
    a.add(DOCS)
    b.add(DOCS)
    q = "Who employs Ada Brill?"
    boosted = {h.doc_id: h.score for h in a.retrieve(q, top_k=4)}
    walk = {h.doc_id: h.score for h in b.retrieve(q, top_k=4)}
    assert boosted["job"] == pytest.approx(2.0 * walk["job"])
    assert {d: s for d, s in boosted.items() if d != "job"} == pytest.approx(
        {d: s for d, s in walk.items() if d != "job"}
    )


def test_answer_scale_below_one_is_refused():
    with pytest.raises(ValueError, match="answer_scale must be >= 1"):
        TemporalConfig(answer_scale=0.5)
