"""The knowledge graph as a networkx graph, read from one snapshot of the retrieval index.

Kept out of :mod:`graphmem.memory` so that the memory stays a thin facade; networkx is imported
when a view is made, not with graphmem.
"""

from __future__ import annotations

from typing import Any

from graphmem.graph.index import GraphIndex
from graphmem.store.base import Store


def undirected_view(index: GraphIndex, store: Store) -> Any:
    """``index`` (read inside a store snapshot, so every passage it names is present) as a
    ``networkx.Graph``: see :meth:`graphmem.memory.Memory.to_networkx` for its nodes and edges."""
    import networkx as nx

    g = nx.Graph()
    for name, label, kind in zip(index.entity_names, index.entity_labels, index.entity_kinds):
        g.add_node(f"entity:{name}", kind="entity", label=label, type=kind)
    by_id = store.passages([int(i) for i in index.chunks.ids])
    records = [by_id[int(i)] for i in index.chunks.ids]  # one snapshot: all present
    passage_nodes = [f"passage:{r.chunk_id}" for r in records]
    for node, r in zip(passage_nodes, records):
        g.add_node(node, kind="passage", doc_id=r.doc_id, text=r.text, title=r.title)
    ent = [f"entity:{n}" for n in index.entity_names]
    for f, pred in enumerate(index.fact_predicates):
        u, v = ent[index.fact_subject[f]], ent[index.fact_object[f]]
        support = int(index.fact_chunks.indptr[f + 1] - index.fact_chunks.indptr[f])
        if g.has_edge(u, v) and g[u][v]["kind"] == "fact":
            g[u][v]["predicates"].append(pred)
            g[u][v]["weight"] += support
        else:
            g.add_edge(u, v, kind="fact", predicates=[pred], weight=support)
    ce = index.chunk_entities.tocoo()
    for c, e in zip(ce.row.tolist(), ce.col.tolist()):
        g.add_edge(passage_nodes[c], ent[e], kind="mention", weight=1.0)
    adj = index.adjacency.tocoo()
    n_e = index.n_entities
    for a, b, w in zip(adj.row.tolist(), adj.col.tolist(), adj.data.tolist()):
        if a < b < n_e and not g.has_edge(ent[a], ent[b]):
            g.add_edge(ent[a], ent[b], kind="synonym", weight=w)
    return g
