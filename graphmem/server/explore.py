"""The /v1 routes behind the live explorer: a query's explanation graph, one node's
neighbourhood, and the namespaces to switch between.

* ``POST /v1/trace``: :meth:`Memory.trace` (the hits exactly as ``/v1/retrieve`` returns them,
  the PPR score of each node, the seeds) plus the nodes worth drawing (hits, seeds, then the
  best-scored) with the edges among them (:meth:`Memory.neighbours` with ``limit=0``).
* ``GET /v1/graph/node?id=...&limit=...``: one node, its best ``limit`` neighbours and the edges
  among them (:meth:`Memory.neighbours`); 404 for a node not in the graph.
* ``POST /v1/graph/neighbours``: :meth:`Memory.neighbours` itself, for several nodes at once
  (what :meth:`graphmem.client.Client.neighbours` calls).

``namespace``: in the body of the POST (as for ``/v1/retrieve``), a query parameter of the
GETs (as for ``/v1/documents``). Only public Memory methods are called.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from graphmem.errors import NotFoundError
from graphmem.graph.neighbours import Neighbourhood
from graphmem.memory import Memory
from graphmem.server import schemas as s
from graphmem.server.access import Access, NamespaceQuery, namespace_for
from graphmem.server.errors import ApiError
from graphmem.server.limits import check_query
from graphmem.server.service import MemoryService
from graphmem.server.settings import ServerSettings
from graphmem.server.wire import edge_json, hit_json, neighbourhood_json, node_json
from graphmem.trace import Trace

__all__ = ["MAX_NEIGHBOURS", "add_explore_routes", "graph_nodes"]

MAX_NEIGHBOURS = 200
"""Most neighbours (``limit``) and most drawn nodes (``nodes``) one request may ask for."""

def graph_nodes(trace: Trace, budget: int) -> list[str]:
    """The node ids a query's explanation graph draws, at most ``budget``: the retrieved
    passages by rank, then the seeds by weight, then the best-scored other nodes."""
    chosen: dict[str, None] = {}
    for node in sorted(trace.ranks, key=trace.ranks.__getitem__):
        chosen.setdefault(node)
    for node in sorted(trace.seed_entities, key=lambda n: -trace.seed_entities[n]):
        chosen.setdefault(node)
    for node in sorted(trace.seed_passages):
        chosen.setdefault(node)
    for node in sorted(trace.scores, key=lambda n: (-trace.scores[n], n)):
        if trace.scores[node] > 0:
            chosen.setdefault(node)
    return list(chosen)[: max(budget, len(trace.ranks))]


def trace_json(t: Trace, view: Neighbourhood) -> dict[str, Any]:
    """A trace as the explorer draws it: hits as ``/v1/retrieve`` sends them, every drawn node
    with its score, whether the walk restarts from it (``seed``; ``seed_weight`` for a seed
    entity, ``None`` for a passage seeded by a one-passage entity) and its rank (``None``: not
    retrieved)."""
    nodes = []
    for n in view.nodes:
        weight = t.seed_entities.get(n.id)
        nodes.append({**node_json(n), "score": float(t.scores.get(n.id, 0.0)),
                      "seed": n.id in t.seeds,
                      "seed_weight": None if weight is None else float(weight),
                      "rank": t.ranks.get(n.id)})
    return {
        "query": t.query, "mode": t.mode, "hits": [hit_json(h) for h in t.hits],
        "seed_facts": [{"subject": f.subject, "predicate": f.predicate, "object": f.object,
                        "score": float(f.score)} for f in t.seed_facts],
        "nodes": nodes, "edges": [edge_json(e) for e in view.edges],
    }


def add_explore_routes(v1: APIRouter, service: MemoryService, settings: ServerSettings) -> None:
    """Register the explorer's routes on the (token-checked) /v1 router."""

    @v1.post("/trace", response_model=s.TraceOut,
             summary="Retrieve and explain per node (Memory.trace + Memory.neighbours)")
    async def trace(body: s.TraceRequest, grant: Access,
                    namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        if body.nodes > MAX_NEIGHBOURS:
            raise ApiError(422, "too_large", f"nodes is {body.nodes}, the limit is "
                           f"{MAX_NEIGHBOURS}", "nodes")
        check_query(body.query, body.top_k, settings)

        def run(m: Memory) -> dict[str, Any]:
            t = m.trace(body.query, top_k=body.top_k, keep=max(body.nodes, body.top_k),
                        namespace=ns)
            view = m.neighbours(graph_nodes(t, body.nodes), limit=0, namespace=ns)
            return trace_json(t, view)

        return await service.read(run)

    @v1.post("/graph/neighbours", response_model=s.NeighbourhoodOut,
             summary="Several nodes with their neighbours and every edge among them "
             "(Memory.neighbours; unknown ids are listed as missing)")
    async def graph_neighbours(body: s.NeighboursRequest, grant: Access,
                               namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        if len(body.nodes) > MAX_NEIGHBOURS:
            raise ApiError(422, "too_many", f"at most {MAX_NEIGHBOURS} nodes per request, "
                           f"got {len(body.nodes)}", "nodes")
        if body.limit > MAX_NEIGHBOURS:
            raise ApiError(422, "too_large", f"limit is {body.limit}, the limit is "
                           f"{MAX_NEIGHBOURS}", "limit")
        return neighbourhood_json(await service.read(
            lambda m: m.neighbours(body.nodes, limit=body.limit, namespace=ns)))

    @v1.get("/graph/node", response_model=s.NodeNeighbourhoodOut,
            summary="One node of the graph with its neighbours (Memory.neighbours)")
    async def graph_node(
        grant: Access,
        id: Annotated[str, Query(description='A node id: "entity:<name>" or "passage:<chunk id>".')],
        limit: Annotated[int, Query(ge=1, le=MAX_NEIGHBOURS)] = 25,
        namespace: NamespaceQuery = None,
    ) -> dict[str, Any]:
        ns = namespace_for(grant, namespace)

        def run(m: Memory) -> dict[str, Any]:
            view = m.neighbours([id], limit=limit, namespace=ns)
            if not view.focus:
                raise NotFoundError(f"node {id!r} is not in the graph")
            return {"node": view.focus[0], "more": view.more.get(view.focus[0], 0),
                    "nodes": [node_json(n) for n in view.nodes],
                    "edges": [edge_json(e) for e in view.edges]}

        return await service.read(run)
