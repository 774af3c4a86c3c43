"""A few nodes of the knowledge graph with their neighbours, read from the retrieval index.

:meth:`graphmem.Memory.neighbours` is built on :func:`neighbourhood`; the live explorer of
``graphmem serve`` uses it to draw a query's explanation graph and to expand a clicked node,
without building the whole graph as :meth:`~graphmem.Memory.to_networkx` does.

Node ids are those of ``to_networkx``: ``"entity:<normalised name>"`` and
``"passage:<chunk id>"``. Edges follow the same graph, with facts kept directed:

* ``fact``: subject -> object, every predicate stated between the two in that direction,
  ``weight`` = supporting passages summed over those predicates;
* ``synonym``: two entities whose names embed close (``weight`` = cosine); as in
  ``to_networkx``, a pair that is also joined by a fact shows the fact only;
* ``mention``: passage -> entity it names (``weight`` 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from graphmem.export import ENTITY_PREFIX, PASSAGE_PREFIX
from graphmem.graph.index import GraphIndex
from graphmem.store.base import Store

__all__ = ["GraphEdge", "GraphNode", "Neighbourhood", "neighbourhood"]

# Per index (dropped with it): the generation read and its chunk id -> passage position map.
_CHUNK_POSITIONS: WeakKeyDictionary[GraphIndex, tuple[int, dict[str, int]]] = WeakKeyDictionary()


@dataclass(frozen=True)
class GraphNode:
    """One node: ``kind`` is ``"entity"`` (``label`` as first seen, ``type`` the NER label or
    ``NP``) or ``"passage"`` (``label`` = title or doc id, plus ``doc_id``, ``title``, ``text``)."""

    id: str
    kind: str
    label: str
    type: str | None = None
    doc_id: str | None = None
    title: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    kind: str
    weight: float
    predicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Neighbourhood:
    """The asked-for nodes (``focus``: those found, in the order asked; ``missing``: those not in
    the graph), their neighbours, every edge among all of them, and per focus node how many of
    its neighbours were left out by the limit (``more``)."""

    focus: tuple[str, ...]
    missing: tuple[str, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    more: dict[str, int]


def neighbourhood(index: GraphIndex, store: Store, nodes: Sequence[str], limit: int) -> Neighbourhood:
    """``nodes`` with up to ``limit`` neighbours each (0: the nodes alone, with the edges among
    them). Read ``index`` inside one store snapshot, so the passages it names are present."""
    entity_pos = {name: i for i, name in enumerate(index.entity_names)}
    n_e = index.n_entities
    asks_passages = any(n.startswith(PASSAGE_PREFIX) for n in nodes)
    chunk_pos = _chunk_positions(index, store) if asks_passages else {}
    focus: list[int] = []  # graph positions: entities 0..n_e-1, passages n_e + chunk position
    missing: list[str] = []
    for node in nodes:
        kind, _, key = node.partition(":")
        pos = entity_pos.get(key) if kind == "entity" else (
            n_e + chunk_pos[key] if kind == "passage" and key in chunk_pos else None)
        if pos is None:
            missing.append(node)
        elif pos not in focus:
            focus.append(pos)
    shown = list(focus)
    more: dict[int, int] = {}
    if limit > 0:
        for pos in focus:
            ranked = _ranked_neighbours(index, pos)
            more[pos] = max(len(ranked) - limit, 0)
            shown.extend(p for p in ranked[:limit] if p not in shown)
    graph_nodes = _nodes(index, store, shown)
    ids = {p: n.id for p, n in zip(shown, graph_nodes)}
    return Neighbourhood(
        focus=tuple(ids[p] for p in focus),
        missing=tuple(missing),
        nodes=tuple(graph_nodes),
        edges=tuple(_edges(index, shown, ids)),
        more={ids[p]: m for p, m in more.items()},
    )


def _chunk_positions(index: GraphIndex, store: Store) -> dict[str, int]:
    """Chunk id -> passage position in ``index``, read once per index generation."""
    cached = _CHUNK_POSITIONS.get(index)
    if cached is not None and cached[0] == index.generation:
        return cached[1]
    records = store.passages([int(i) for i in index.chunks.ids])
    positions = {records[int(i)].chunk_id: p for p, i in enumerate(index.chunks.ids)}
    _CHUNK_POSITIONS[index] = (index.generation, positions)
    return positions


def _ranked_neighbours(index: GraphIndex, pos: int) -> list[int]:
    """Neighbour positions of one node, best first (facts by support, synonyms by cosine,
    then mentions)."""
    n_e = index.n_entities
    scored: dict[int, tuple[int, float]] = {}
    if pos >= n_e:  # a passage: the entities it names, most widely mentioned first
        row = index.chunk_entities[pos - n_e]
        for e in row.indices.tolist():
            scored[e] = (2, -float(index.entity_passage_counts[e]))
        return sorted(scored, key=lambda p: (scored[p], p))
    support = np.diff(index.fact_chunks.indptr) if index.n_facts else np.zeros(0)
    subj, obj = np.asarray(index.fact_subject), np.asarray(index.fact_object)
    for f in np.flatnonzero((subj == pos) | (obj == pos)).tolist():
        other = int(obj[f]) if int(subj[f]) == pos else int(subj[f])
        if other != pos:
            prior = scored.get(other, (0, 0.0))[1]
            scored[other] = (0, prior - float(support[f]))
    adj = index.adjacency
    if adj.shape[0]:
        start, end = adj.indptr[pos], adj.indptr[pos + 1]
        for other, w in zip(adj.indices[start:end].tolist(), adj.data[start:end].tolist()):
            if other < n_e and other != pos and other not in scored:
                scored[other] = (1, -float(w))
    column = index.chunk_entities[:, pos] if index.n_chunks else None
    if column is not None:
        for c in column.nonzero()[0].tolist():
            scored[n_e + int(c)] = (2, 0.0)
    return sorted(scored, key=lambda p: (scored[p], p))


def _nodes(index: GraphIndex, store: Store, positions: list[int]) -> list[GraphNode]:
    n_e = index.n_entities
    chunk_ids = [int(index.chunks.ids[p - n_e]) for p in positions if p >= n_e]
    records = store.passages(chunk_ids)
    out = []
    for p in positions:
        if p < n_e:
            out.append(GraphNode(ENTITY_PREFIX + index.entity_names[p], "entity",
                                 index.entity_labels[p], type=index.entity_kinds[p]))
        else:
            r = records[int(index.chunks.ids[p - n_e])]
            out.append(GraphNode(PASSAGE_PREFIX + r.chunk_id, "passage", r.title or r.doc_id,
                                 doc_id=r.doc_id, title=r.title, text=r.text))
    return out


def _edges(index: GraphIndex, positions: list[int], ids: dict[int, str]) -> list[GraphEdge]:
    """Every edge between the nodes at ``positions``: facts, then synonyms, then mentions."""
    n_e = index.n_entities
    entities = np.array(sorted(p for p in positions if p < n_e), dtype=np.int64)
    chunks = np.array(sorted(p - n_e for p in positions if p >= n_e), dtype=np.int64)
    out: list[GraphEdge] = []
    facts: dict[tuple[int, int], tuple[list[str], float]] = {}
    if index.n_facts and entities.size:
        subj, obj = np.asarray(index.fact_subject), np.asarray(index.fact_object)
        support = np.diff(index.fact_chunks.indptr)
        inside = np.flatnonzero(np.isin(subj, entities) & np.isin(obj, entities))
        for f in inside.tolist():
            key = (int(subj[f]), int(obj[f]))
            preds, weight = facts.get(key, ([], 0.0))
            if index.fact_predicates[f] not in preds:
                preds.append(index.fact_predicates[f])
            facts[key] = (preds, weight + float(support[f]))
    for (a, b), (preds, weight) in facts.items():
        out.append(GraphEdge(ids[a], ids[b], "fact", weight, tuple(preds)))
    joined = {frozenset(k) for k in facts}
    if entities.size and index.adjacency.shape[0]:
        block = index.adjacency[entities][:, entities].tocoo()
        for i, j, w in zip(block.row.tolist(), block.col.tolist(), block.data.tolist()):
            a, b = int(entities[i]), int(entities[j])
            if a < b and frozenset((a, b)) not in joined:
                out.append(GraphEdge(ids[a], ids[b], "synonym", float(w)))
    if entities.size and chunks.size:
        block = index.chunk_entities[chunks][:, entities].tocoo()
        for i, j in zip(block.row.tolist(), block.col.tolist()):
            out.append(GraphEdge(ids[n_e + int(chunks[i])], ids[int(entities[j])], "mention", 1.0))
    return out
