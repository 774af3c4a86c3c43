"""Which nodes a view shows: pure functions over the memory graph, each capped at ``max_nodes``.

A browser stays responsive with a few hundred nodes; the memory may hold tens of thousands, so
every view ranks candidates and keeps the best, and reports how many it left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Order in which an entity's direct neighbours fill a neighbourhood view: its relations first,
# then name variants, then the passages that mention it.
_EDGE_KIND_ORDER = {"fact": 0, "synonym": 1, "mention": 2}


@dataclass(frozen=True)
class Selection:
    """The nodes and edges a view shows, out of how many, and how they were chosen."""

    view: str
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    total_nodes: int
    total_edges: int
    ranked_by: str
    focus: str | None = None

    @property
    def left_out(self) -> int:
        """Nodes of the memory graph not shown."""
        return self.total_nodes - len(self.nodes)

    @property
    def left_out_edges(self) -> int:
        return self.total_edges - len(self.edges)

    def note(self) -> str:
        """The sentence the page shows about what it leaves out."""
        text = (
            f"showing {len(self.nodes):,} of {self.total_nodes:,} nodes and "
            f"{len(self.edges):,} of {self.total_edges:,} edges"
        )
        if self.left_out:
            noun = "node" if self.left_out == 1 else "nodes"
            text += f"; {self.left_out:,} {noun} left out (kept the top by {self.ranked_by})"
        return text


def check_max_nodes(max_nodes: object) -> int:
    """``max_nodes`` as a positive int, or a ValueError naming the bad value."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")
    return max_nodes


def induced_edges(g: Any, nodes: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Edges of ``g`` between shown nodes, each once, in the order of ``nodes``."""
    order = {n: i for i, n in enumerate(nodes)}
    out: list[tuple[str, str]] = []
    for u in nodes:
        i = order[u]
        later = sorted((v for v in g[u] if order.get(v, -1) > i), key=order.__getitem__)
        out.extend((u, v) for v in later)
    return tuple(out)


def _kind(g: Any, node: str) -> str:
    return str(g.nodes[node].get("kind", ""))


def _finish(
    g: Any, view: str, nodes: list[str], ranked_by: str, focus: str | None = None
) -> Selection:
    return Selection(
        view=view,
        nodes=tuple(nodes),
        edges=induced_edges(g, nodes),
        total_nodes=g.number_of_nodes(),
        total_edges=g.number_of_edges(),
        ranked_by=ranked_by,
        focus=focus,
    )


def overview(g: Any, centrality: Mapping[str, float], max_nodes: int) -> Selection:
    """The most central entities (half the budget) and the passages that mention most of them.

    Passages are ranked by how many chosen entities they mention, then by centrality, which
    keeps the picture connected; budget the passages cannot use goes to further entities.
    """
    max_nodes = check_max_nodes(max_nodes)

    def key(n: str) -> tuple[float, str]:
        return (-centrality.get(n, 0.0), n)

    entities = sorted((n for n in g if _kind(g, n) == "entity"), key=key)
    passages = sorted((n for n in g if _kind(g, n) == "passage"), key=key)
    n_entities = min(len(entities), (max_nodes + 1) // 2)
    chosen = entities[:n_entities]
    linked: Counter[str] = Counter()
    for e in chosen:
        linked.update(v for v in g[e] if _kind(g, v) == "passage")
    room = max_nodes - len(chosen)
    ranked_passages = sorted(linked, key=lambda p: (-linked[p], *key(p)))[:room]
    room -= len(ranked_passages)
    more_entities = entities[n_entities : n_entities + room]
    room -= len(more_entities)
    taken = set(ranked_passages)
    spare = [p for p in passages if p not in taken][: max(room, 0)]
    nodes = chosen + more_entities + ranked_passages + spare
    return _finish(g, "overview", nodes, "PageRank over the whole graph")


def neighbourhood(g: Any, focus: str, max_nodes: int) -> Selection:
    """``focus``, its direct neighbours (relations, name variants, then mentioning passages, each
    by edge weight then degree), then second-degree nodes by how many shown nodes they touch."""
    max_nodes = check_max_nodes(max_nodes)
    if focus not in g:
        raise KeyError(focus)

    def first_key(v: str) -> tuple[int, float, int, str]:
        d = g[focus][v]
        kind_rank = _EDGE_KIND_ORDER.get(d.get("kind", ""), 3)
        return (kind_rank, -float(d.get("weight", 1.0)), -g.degree(v), v)

    nodes = [focus] + sorted(g[focus], key=first_key)[: max_nodes - 1]
    room = max_nodes - len(nodes)
    if room > 0:
        shown = set(nodes)
        touches: Counter[str] = Counter()
        for u in nodes[1:]:
            touches.update(v for v in g[u] if v not in shown)
        second = sorted(touches, key=lambda v: (-touches[v], -g.degree(v), v))[:room]
        nodes += second
    return _finish(g, "entity", nodes, "closeness to the entity", focus=focus)


def query_view(
    g: Any, scores: Mapping[str, float], must: Iterable[str], max_nodes: int
) -> Selection:
    """``must`` (retrieved passages and seeds, in that priority) and then the best-scored nodes."""
    max_nodes = check_max_nodes(max_nodes)
    nodes: list[str] = []
    shown: set[str] = set()
    for n in must:
        if n in g and n not in shown and len(nodes) < max_nodes:
            nodes.append(n)
            shown.add(n)
    ranked = sorted(
        (n for n, s in scores.items() if s > 0 and n in g and n not in shown),
        key=lambda n: (-scores[n], n),
    )
    nodes += ranked[: max_nodes - len(nodes)]
    return _finish(g, "query", nodes, "Personalized PageRank score for the query")
