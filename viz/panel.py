"""The side panel's content per node, as plain data the page's script turns into DOM text.

Each node's entry has a ``kind``, a ``heading``, ``fields`` (label/value pairs), an optional
passage ``text`` and ``sections`` of items; an item may name a ``node`` (the page focuses it when
clicked, if shown) and carry ``links`` to more nodes (a fact's supporting passages). ``search``
lists the names the search box matches. Nothing here is HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphmem import Hit
from graphmem.text import normalize_name
from viz.source import EntityFacts, entity_node, passage_node
from viz.style import QueryMarks, display_name, kind_text

MAX_ITEMS = 25


def _item(g: Any, node: str, shown: set[str], text: str | None = None) -> dict[str, Any]:
    return {"text": text if text is not None else display_name(g, node),
            "node": node if node in shown else None}


def _section(title: str, items: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    total = len(items) if total is None else total
    more = total - min(len(items), MAX_ITEMS)
    return {"title": title, "items": items[:MAX_ITEMS],
            "more": f"and {more:,} more" if more > 0 else ""}


def _neighbours(g: Any, node: str, edge_kind: str, shown: set[str]) -> list[str]:
    """Neighbours over ``edge_kind`` edges: shown ones first, then by degree."""
    found = [v for v in g[node] if g[node][v].get("kind") == edge_kind]
    return sorted(found, key=lambda v: (v not in shown, -g.degree(v), v))


def _labelled(label: str, shown: set[str]) -> dict[str, Any]:
    """An item for an entity known by its label (explanations carry labels, not ids)."""
    node = entity_node(normalize_name(label))
    return {"text": label, "node": node if node in shown else None}


def _query_fields(node: str, marks: QueryMarks | None) -> list[list[str]]:
    if marks is None:
        return []
    fields = [["PPR score", f"{marks.scores.get(node, 0.0):.6g}"]]
    if node in marks.seeds:
        fields.append(["seed", "yes: the walk restarts here"])
    if node in marks.ranks:
        fields.insert(0, ["retrieved", f"rank #{marks.ranks[node]}"])
    return fields


def passage_details(
    g: Any, node: str, shown: set[str], marks: QueryMarks | None, hit: Hit | None
) -> dict[str, Any]:
    d = g.nodes[node]
    fields = [["document", str(d.get("doc_id", ""))], ["passage", node.partition(":")[2]]]
    fields += _query_fields(node, marks)
    sections = []
    if hit is not None:
        e = hit.explanation
        fields.append(["dense cosine", f"{e.dense_score:.4f}"])
        fields.append(["ranked by", e.mode])
        sections.append(_section("Matched query facts", [
            {"text": f"{f.subject} — {f.predicate} — {f.object} ({f.score:.2f})", "node": None}
            for f in e.matched_facts
        ]))
        sections.append(_section("Entities that carried the walk here", [
            _labelled(name, shown) for name in e.bridge_entities
        ]))
    mentioned = _neighbours(g, node, "mention", shown)
    sections.append(_section("Entities mentioned", [_item(g, v, shown) for v in mentioned]))
    return {
        "kind": "passage",
        "heading": display_name(g, node),
        "fields": fields,
        "text": str(d.get("text", "")),
        "sections": sections,
        "search": [display_name(g, node), str(d.get("doc_id", ""))],
    }


def entity_details(
    g: Any, node: str, shown: set[str], facts: EntityFacts | None, marks: QueryMarks | None
) -> dict[str, Any]:
    name = node.partition(":")[2]
    mentions = _neighbours(g, node, "mention", shown)
    fields = [["type", kind_text(g, node)], ["normalised name", name],
              ["passages mentioning it", f"{len(mentions):,}"]]
    fields += _query_fields(node, marks)
    sections = []
    if facts is not None:
        fact_items = [
            {
                "text": f"{_name(g, f.subject)} — {f.predicate} — {_name(g, f.object)}",
                "node": None,
                "links": [_item(g, p, shown) for p in f.passages if p in g],
            }
            for f in facts.facts
        ]
        sections.append(
            _section("Facts (with the passages that state them)", fact_items, facts.total)
        )
    sections.append(_section("Mentioned in", [_item(g, p, shown) for p in mentions]))
    synonyms = _neighbours(g, node, "synonym", shown)
    if synonyms:
        items = [_item(g, s, shown) for s in synonyms]
        sections.append(_section("Similar names (synonym edges)", items))
    label = display_name(g, node)
    return {
        "kind": "entity",
        "heading": label,
        "fields": fields,
        "text": None,
        "sections": sections,
        "search": list(dict.fromkeys([label, name])),
    }


def _name(g: Any, node: str) -> str:
    return display_name(g, node) if node in g else node.partition(":")[2]


def details(
    g: Any,
    nodes: Sequence[str],
    facts: Mapping[str, EntityFacts],
    marks: QueryMarks | None = None,
    hits: Sequence[Hit] = (),
) -> dict[str, dict[str, Any]]:
    """Panel content for every shown node, keyed by node id."""
    shown = set(nodes)
    by_node = {passage_node(h.chunk_id): h for h in hits}
    out: dict[str, dict[str, Any]] = {}
    for n in nodes:
        if g.nodes[n].get("kind") == "passage":
            out[n] = passage_details(g, n, shown, marks, by_node.get(n))
        else:
            out[n] = entity_details(g, n, shown, facts.get(n.partition(":")[2]), marks)
    return out
