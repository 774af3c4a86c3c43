"""Memory.neighbours agrees with the whole graph of Memory.to_networkx: the same neighbours,
the same edges among any set of nodes, the limit ranks relations first, and a deleted passage
is gone at once."""

from __future__ import annotations

import itertools

import pytest

from graphmem import Document

DOCS = [
    Document(id="ostrava", title="Maren Ostrava",
             text="Maren Ostrava wrote the novel Glass Orchard. Maren Ostrava was born in Tessaly."),
    Document(id="tessaly", text="Tessaly is a harbour town in the Vell Valley. The Corran River "
                                "flows through Tessaly."),
    Document(id="vane", text="Dorrik Vane sang at Quarry Hall. Dorrik Vane was born in Tessaly."),
]


@pytest.fixture
def mem(memory_factory):
    m = memory_factory()
    m.add(DOCS)
    return m


def test_neighbours_match_the_networkx_graph(mem):
    g = mem.to_networkx()
    for node in g:
        view = mem.neighbours([node], limit=1000)
        assert view.focus == (node,) and view.more == {node: 0}
        assert view.nodes[0].id == node
        assert {n.id for n in view.nodes[1:]} == set(g[node])
    nodes = sorted(g)
    for group in itertools.islice(itertools.combinations(nodes, 5), 0, None, 37):
        view = mem.neighbours(group, limit=0)
        assert {n.id for n in view.nodes} == set(group)
        assert {frozenset((e.source, e.target)) for e in view.edges} == {
            frozenset(e) for e in g.subgraph(group).edges()}


def test_node_details_and_edge_direction(mem):
    view = mem.neighbours(["passage:ostrava#0", "entity:maren ostrava", "entity:tessaly"], limit=0)
    passage, person, town = view.nodes
    assert town.label == "Tessaly" and town.type == "GPE"
    assert (passage.kind, passage.doc_id, passage.title, passage.label) == (
        "passage", "ostrava", "Maren Ostrava", "Maren Ostrava")
    assert passage.text == DOCS[0].text
    assert (person.kind, person.label, person.type) == ("entity", "Maren Ostrava", "PERSON")
    facts = [e for e in view.edges if e.kind == "fact"]
    assert [(e.source, e.target) for e in facts] == [("entity:maren ostrava", "entity:tessaly")]
    assert facts[0].predicates and facts[0].weight == 1.0
    mentions = {(e.source, e.target) for e in view.edges if e.kind == "mention"}
    assert mentions == {("passage:ostrava#0", "entity:maren ostrava"),
                        ("passage:ostrava#0", "entity:tessaly")}


def test_limit_keeps_relations_first_and_counts_the_rest(mem):
    full = mem.neighbours(["entity:tessaly"], limit=1000)
    kinds = {e.target if e.source == "entity:tessaly" else e.source: e.kind
             for e in full.edges if "entity:tessaly" in (e.source, e.target)}
    one = mem.neighbours(["entity:tessaly"], limit=1)
    assert len(one.nodes) == 2 and one.more == {"entity:tessaly": len(full.nodes) - 2}
    assert kinds[one.nodes[1].id] == "fact"


def test_unknown_and_deleted_nodes_are_missing(mem):
    assert mem.neighbours(["passage:vane#0"], limit=0).focus == ("passage:vane#0",)
    mem.delete("vane")
    view = mem.neighbours(["passage:vane#0", "entity:nowhere", "bogus"], limit=5)
    assert view.focus == () and view.nodes == () and view.edges == ()
    assert view.missing == ("passage:vane#0", "entity:nowhere", "bogus")
    assert "passage:vane#0" not in {n.id for n in mem.neighbours(["entity:tessaly"]).nodes}
