"""View selection on hand-made graphs: exact nodes, edges, caps and notes."""

from __future__ import annotations

import networkx as nx
import pytest

from viz import select


def small_graph() -> nx.Graph:
    """Three entities a-b-c in a fact chain, a synonym a~a2, passages p1 (a, b) and p2 (c)."""
    g = nx.Graph()
    for name in ("a", "b", "c", "a2"):
        g.add_node(f"entity:{name}", kind="entity", label=name.upper(), type="PERSON")
    for p in ("p1", "p2"):
        g.add_node(f"passage:{p}", kind="passage", doc_id=p, text=f"text of {p}", title=p)
    g.add_edge("entity:a", "entity:b", kind="fact", predicates=["knows"], weight=2)
    g.add_edge("entity:b", "entity:c", kind="fact", predicates=["likes"], weight=1)
    g.add_edge("entity:a", "entity:a2", kind="synonym", weight=0.93)
    g.add_edge("passage:p1", "entity:a", kind="mention", weight=1.0)
    g.add_edge("passage:p1", "entity:b", kind="mention", weight=1.0)
    g.add_edge("passage:p2", "entity:c", kind="mention", weight=1.0)
    return g


def test_overview_takes_central_entities_then_their_passages():
    g = small_graph()
    centrality = {"entity:b": 0.4, "entity:a": 0.3, "entity:c": 0.1, "entity:a2": 0.05,
                  "passage:p1": 0.1, "passage:p2": 0.05}
    sel = select.overview(g, centrality, max_nodes=4)
    # Half the budget to entities (b, a); p1 mentions both; p2 mentions neither, so the last
    # slot goes to the next entity, c.
    assert sel.nodes == ("entity:b", "entity:a", "entity:c", "passage:p1")
    assert sel.edges == (("entity:b", "entity:a"), ("entity:b", "entity:c"),
                         ("entity:b", "passage:p1"), ("entity:a", "passage:p1"))
    assert (sel.total_nodes, sel.total_edges, sel.left_out, sel.left_out_edges) == (6, 6, 2, 2)
    assert sel.note() == (
        "showing 4 of 6 nodes and 4 of 6 edges; 2 nodes left out "
        "(kept the top by PageRank over the whole graph)"
    )


def test_overview_gives_unused_passage_budget_to_entities():
    g = small_graph()
    sel = select.overview(g, {"entity:a": 1.0}, max_nodes=6)
    assert sel.nodes == ("entity:a", "entity:a2", "entity:b", "entity:c", "passage:p1",
                         "passage:p2")
    assert sel.left_out == 0 and len(sel.edges) == 6
    assert sel.note() == "showing 6 of 6 nodes and 6 of 6 edges"


def test_neighbourhood_orders_facts_synonyms_mentions_then_second_degree():
    g = small_graph()
    assert select.neighbourhood(g, "entity:a", 4).nodes == (
        "entity:a", "entity:b", "entity:a2", "passage:p1"
    )
    full = select.neighbourhood(g, "entity:a", 10)
    assert full.nodes[4:] == ("entity:c",)  # second degree, via b
    assert full.focus == "entity:a" and full.left_out == 1  # p2 is three hops away
    assert select.neighbourhood(g, "entity:a", 1).nodes == ("entity:a",)


def test_query_view_keeps_must_nodes_first_and_skips_unscored():
    g = small_graph()
    scores = {"entity:c": 0.5, "entity:b": 0.3, "passage:p2": 0.1, "entity:a2": 0.0}
    sel = select.query_view(g, scores, ["passage:p1", "entity:a", "missing"], max_nodes=4)
    assert sel.nodes == ("passage:p1", "entity:a", "entity:c", "entity:b")
    assert select.query_view(g, scores, ["passage:p1"], max_nodes=10).nodes == (
        "passage:p1", "entity:c", "entity:b", "passage:p2"
    )


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True, None])
def test_max_nodes_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_nodes must be a positive integer"):
        select.overview(small_graph(), {}, bad)


def test_empty_graph_gives_an_empty_selection():
    sel = select.overview(nx.Graph(), {}, 10)
    assert sel.nodes == () and sel.edges == ()
    assert sel.note() == "showing 0 of 0 nodes and 0 of 0 edges"
