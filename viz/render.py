"""``render``: a memory (or one query's walk through it) as one interactive, offline HTML page.

Three views, each capped at ``max_nodes`` with a note on the page saying what was left out:

- overview: the most central entities by PageRank over the whole memory graph, with the
  passages that mention them;
- entity: one entity (name normalised like the engine does), its relations, name variants and
  passages, then second-degree nodes;
- query: the nodes Personalized PageRank scored highest for a query, seeds marked, retrieved
  passages labelled with their rank.
"""

from __future__ import annotations

import difflib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmem import Memory
from graphmem.errors import MissingDependencyError
from graphmem.text import normalize_name
from viz import panel, select, source, style
from viz.errors import UnknownEntityError, VizError
from viz.page import build_page

log = logging.getLogger(__name__)

FACTS_PER_ENTITY = 25
PASSAGES_PER_FACT = 5
SUGGESTIONS = 5


@dataclass(frozen=True)
class RenderReport:
    """What ``render`` wrote: the file, the view, how many nodes and edges it shows out of the
    memory graph's total, the note the page displays, and the seconds it took."""

    path: Path
    view: str
    nodes: int
    edges: int
    total_nodes: int
    total_edges: int
    note: str
    seconds: float

    @property
    def left_out(self) -> int:
        """Nodes of the memory graph the page does not show."""
        return self.total_nodes - self.nodes

    @property
    def left_out_edges(self) -> int:
        return self.total_edges - self.edges


def resolve_entity(g: Any, name: str) -> str:
    """The node id of entity ``name`` (normalised with :func:`graphmem.text.normalize_name`);
    an unknown name raises :class:`UnknownEntityError` listing close names."""
    if not isinstance(name, str) or not name.strip():
        raise VizError(f"entity name must be a non-empty string, got {name!r}")
    normalized = normalize_name(name)
    node = source.entity_node(normalized)
    if node in g and g.nodes[node].get("kind") == "entity":
        return node
    names = [n.partition(":")[2] for n, d in g.nodes(data=True) if d.get("kind") == "entity"]
    close = difflib.get_close_matches(normalized, names, n=SUGGESTIONS, cutoff=0.6)
    if len(close) < SUGGESTIONS and normalized:
        containing = sorted((n for n in names if normalized in n and n not in close), key=len)
        close += containing[: SUGGESTIONS - len(close)]
    raise UnknownEntityError(name, normalized, tuple(close))


def _pyvis_network() -> Any:
    try:
        from pyvis.network import Network
    except ImportError as exc:
        raise MissingDependencyError(
            "graph visualization needs pyvis: pip install 'graphmem[viz]'"
        ) from exc
    return Network


def build_vis_data(
    node_specs: list[dict[str, Any]], edge_specs: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Node and edge records for vis-network, assembled by pyvis.

    The network is declared directed only because pyvis then skips its quadratic duplicate-edge
    scan (the selection never repeats an edge); arrows are switched off on every edge.
    """
    network = _pyvis_network()(directed=True, cdn_resources="in_line")
    for spec in node_specs:
        rest = dict(spec)
        node_id, label, shape = rest.pop("id"), rest.pop("label"), rest.pop("shape")
        network.add_node(node_id, label=label, shape=shape, **rest)
    for spec in edge_specs:
        rest = dict(spec)
        no_arrows = {"to": {"enabled": False}}
        network.add_edge(rest.pop("from"), rest.pop("to"), arrows=no_arrows, **rest)
    return list(network.nodes), list(network.edges)


def _pagerank(g: Any) -> dict[str, float]:
    import networkx as nx

    if g.number_of_nodes() == 0:
        return {}
    return dict(nx.pagerank(g, weight="weight"))


def render(
    mem: Memory,
    path: str | Path,
    query: str | None = None,
    entity: str | None = None,
    max_nodes: int = 200,
    *,
    top_k: int = 5,
) -> RenderReport:
    """Write the view of ``mem`` chosen by ``query`` / ``entity`` (neither: the overview) to
    ``path`` as one self-contained HTML file, and report what it shows.

    Raises :class:`viz.errors.UnknownEntityError` (with close names) for an unknown entity,
    :class:`viz.errors.VizError` for conflicting or bad arguments, ``ValueError`` for a bad
    ``max_nodes``.
    """
    started = time.perf_counter()
    select.check_max_nodes(max_nodes)
    if query is not None and entity is not None:
        raise VizError("pass either query or entity, not both")
    if query is not None and (not isinstance(query, str) or not query.strip()):
        raise VizError(f"query must be a non-empty string, got {query!r}")
    out = Path(path)
    if out.is_dir():
        raise VizError(f"output path {out} is a directory; name an .html file")
    if not out.parent.is_dir():
        raise VizError(f"output directory {out.parent} does not exist")

    g = source.load_graph(mem)
    marks: style.QueryMarks | None = None
    size_by: dict[str, float] | None = None
    hits: tuple[Any, ...] = ()
    info: list[str] = []
    if query is not None:
        trace = source.trace_query(mem, query, top_k=top_k, keep=max_nodes)
        hits = trace.hits
        ranks = {source.passage_node(h.chunk_id): i for i, h in enumerate(hits, start=1)}
        sel = select.query_view(g, trace.scores, [*ranks, *sorted(trace.seeds)], max_nodes)
        shown = set(sel.nodes)
        marks = style.QueryMarks({n: s for n, s in trace.scores.items() if n in shown},
                                 trace.seeds, ranks)
        title = f"graphmem · query: {query}"
        info = _query_info(trace, hits)
    elif entity is not None:
        focus = resolve_entity(g, entity)
        sel = select.neighbourhood(g, focus, max_nodes)
        title = f"graphmem · entity: {style.display_name(g, focus)}"
        info = [f"neighbourhood of {focus.partition(':')[2]!r} ({style.kind_text(g, focus)})"]
    else:
        centrality = _pagerank(g)
        sel = select.overview(g, centrality, max_nodes)
        size_by = {n: centrality.get(n, 0.0) for n in sel.nodes}
        title = "graphmem · overview"
        info = ["most central entities by PageRank, with the passages that mention them"]
        if g.number_of_nodes() == 0:
            info = ["the memory is empty"]

    entity_names = [n.partition(":")[2] for n in sel.nodes if g.nodes[n].get("kind") == "entity"]
    facts = source.entity_facts(mem, entity_names, FACTS_PER_ENTITY, PASSAGES_PER_FACT)
    node_specs = [style.node_spec(g, n, focus=sel.focus, size_by=size_by, marks=marks)
                  for n in sel.nodes]
    edge_specs = [style.edge_spec(g, u, v) for u, v in sel.edges]
    vis_nodes, vis_edges = build_vis_data(node_specs, edge_specs)
    note = sel.note()
    payload = {
        "view": sel.view,
        "title": title,
        "note": note,
        "info": info,
        "nodes": vis_nodes,
        "edges": vis_edges,
        "options": style.network_options(len(vis_nodes)),
        "details": panel.details(g, sel.nodes, facts, marks, hits),
        "legend": style.legend(sel.view),
        "counts": {"nodes": len(sel.nodes), "edges": len(sel.edges),
                   "total_nodes": sel.total_nodes, "total_edges": sel.total_edges},
    }
    out.write_text(build_page(payload), encoding="utf-8")
    seconds = time.perf_counter() - started
    log.info("wrote %s view to %s in %.2fs: %s", sel.view, out, seconds, note)
    return RenderReport(out, sel.view, len(sel.nodes), len(sel.edges), sel.total_nodes,
                        sel.total_edges, note, seconds)


def _query_info(trace: source.QueryTrace, hits: tuple[Any, ...]) -> list[str]:
    lines = [f"query: {trace.query}",
             f"ranked by: {'Personalized PageRank' if trace.mode == 'ppr' else trace.mode}"]
    if hits:
        e = hits[0].explanation
        if e.seed_entities:
            seeds = ", ".join(f"{n} ({w:.3g})" for n, w in e.seed_entities)
            lines.append("seed entities: " + seeds)
        if e.seed_facts:
            lines.append("linked facts: " + "; ".join(
                f"({f.subject} | {f.predicate} | {f.object}) {f.score:.2f}" for f in e.seed_facts))
    else:
        lines.append("nothing retrieved (the memory is empty)")
    return lines
