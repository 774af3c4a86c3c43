"""Visual encoding: how nodes and edges of each view look, and the legend that explains it.

Shape says what a node is (entity: dot, passage: square, the focused entity: star); colour says
entity kind in the overview and entity views, and PPR score in the query view, where seeds and
retrieved passages get a thick coloured border. Fact edges are solid and labelled with their
predicates, mention edges are thin and light, synonym edges are dashed.

Every string produced here is plain text: vis-network draws labels on a canvas and puts string
tooltips into the page with ``innerText``, so no HTML escaping is applied (it would show up as
literal ``&lt;``); the page builder escapes the JSON that carries them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENTITY_NAMED = ("#4e79a7", "#2c4a6e")
ENTITY_PHRASE = ("#a8c8e8", "#4e79a7")
PASSAGE = ("#f28e2b", "#a85a12")
FOCUS = ("#e15759", "#8c1c1e")
SEED_BORDER = "#1a9850"
HIT_BORDER = "#27247a"
FACT_EDGE = "#6b6b6b"
MENTION_EDGE = "#d0d0d0"
SYNONYM_EDGE = "#9467bd"
# Yellow–orange–red ramp for PPR scores (low to high).
SCORE_RAMP = ((0.0, (255, 255, 178)), (0.5, (253, 141, 60)), (1.0, (189, 0, 38)))
NOUN_PHRASE = "NP"

LABEL_CHARS = 32
TOOLTIP_CHARS = 240
EDGE_LABEL_CHARS = 40


@dataclass(frozen=True)
class QueryMarks:
    """What the query view highlights: per-node scores, seed nodes, ranks of retrieved passages."""

    scores: Mapping[str, float]
    seeds: frozenset[str]
    ranks: Mapping[str, int] = field(default_factory=dict)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 1)].rstrip() + "…"


def display_name(g: Any, node: str) -> str:
    """What a node is called on screen: an entity's surface form, a passage's title or doc id."""
    d = g.nodes[node]
    if d.get("kind") == "passage":
        return str(d.get("title") or d.get("doc_id") or node)
    return str(d.get("label") or node.partition(":")[2] or node)


def kind_text(g: Any, node: str) -> str:
    """The node's type in words: ``entity (PERSON)``, ``entity (noun phrase)``, ``passage``."""
    d = g.nodes[node]
    if d.get("kind") == "passage":
        return "passage"
    t = str(d.get("type") or "")
    return f"entity ({'noun phrase' if t == NOUN_PHRASE else t or 'unknown type'})"


def score_color(t: float) -> str:
    """Colour of a relative score ``t`` in [0, 1] on :data:`SCORE_RAMP`."""
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in itertools.pairwise(SCORE_RAMP):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb = [round(a + (b - a) * f) for a, b in zip(c0, c1)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*SCORE_RAMP[-1][1])


def _color(background: str, border: str) -> dict[str, Any]:
    return {
        "background": background,
        "border": border,
        "highlight": {"background": background, "border": "#000000"},
        "hover": {"background": background, "border": "#000000"},
    }


def _relative(value: float, peak: float) -> float:
    return math.sqrt(value / peak) if peak > 0 and value > 0 else 0.0


def node_spec(
    g: Any,
    node: str,
    *,
    focus: str | None = None,
    size_by: Mapping[str, float] | None = None,
    marks: QueryMarks | None = None,
) -> dict[str, Any]:
    """The vis-network options of one node (id, label, hover text, shape, colour, size)."""
    d = g.nodes[node]
    is_passage = d.get("kind") == "passage"
    name = display_name(g, node)
    label = shorten(name, LABEL_CHARS)
    tooltip = [name, kind_text(g, node)]
    if is_passage:
        tooltip.append(shorten(str(d.get("text", "")), TOOLTIP_CHARS))
    shape = "square" if is_passage else "dot"
    if is_passage:
        palette = PASSAGE
    else:
        palette = ENTITY_PHRASE if d.get("type") == NOUN_PHRASE else ENTITY_NAMED
    border_width = 1
    size = 14.0
    if size_by:
        size = 10.0 + 25.0 * _relative(size_by.get(node, 0.0), max(size_by.values()))
    if node == focus:
        shape, palette, size = "star", FOCUS, 32.0
    spec: dict[str, Any] = {"id": node, "label": label, "shape": shape}
    if marks is not None:
        score = marks.scores.get(node, 0.0)
        peak = max(marks.scores.values(), default=0.0)
        rel = _relative(score, peak)
        background = score_color(rel)
        border = palette[1]
        size = 8.0 + 32.0 * rel
        tooltip.append(f"score {score:.4g}")
        if node in marks.seeds:
            border, border_width = SEED_BORDER, 5
            tooltip.append("seed of the walk")
        rank = marks.ranks.get(node)
        if rank is not None:
            border, border_width = HIT_BORDER, 5
            size = max(size, 16.0)  # a retrieved passage stays visible however little mass it has
            spec["label"] = f"#{rank} {label}"
            tooltip.append(f"retrieved at rank {rank}")
        palette = (background, border)
    spec.update(
        title="\n".join(tooltip),
        color=_color(*palette),
        borderWidth=border_width,
        size=round(size, 2),
    )
    return spec


def edge_spec(g: Any, u: str, v: str) -> dict[str, Any]:
    """The vis-network options of one edge (from, to, style by kind, predicate label)."""
    d = g[u][v]
    kind = d.get("kind", "")
    weight = float(d.get("weight", 1.0))
    spec: dict[str, Any] = {"from": u, "to": v}
    if kind == "fact":
        predicates = [str(p) for p in d.get("predicates", [])]
        text = "; ".join(dict.fromkeys(predicates))
        spec.update(
            label=shorten(text, EDGE_LABEL_CHARS),
            title=f"fact: {text} (supported by {weight:g} passage{'s' if weight != 1 else ''})",
            color=FACT_EDGE,
            width=round(1.0 + min(4.0, math.log2(max(weight, 1.0))), 2),
        )
    elif kind == "synonym":
        spec.update(
            label=f"≈ {weight:.2f}",
            title=f"synonym: names embed at cosine {weight:.3f}",
            color=SYNONYM_EDGE,
            dashes=True,
            width=1.5,
        )
    else:
        spec.update(title="mention: the passage names the entity", color=MENTION_EDGE, width=1)
    return spec


def legend(view: str) -> list[dict[str, str]]:
    """Legend entries for ``view``: swatch kind, colours and the words that explain them."""
    entries = [
        {"swatch": "dot", "color": ENTITY_NAMED[0], "border": ENTITY_NAMED[1],
         "label": "entity: named (person, place, work...)"},
        {"swatch": "dot", "color": ENTITY_PHRASE[0], "border": ENTITY_PHRASE[1],
         "label": "entity: noun phrase"},
        {"swatch": "square", "color": PASSAGE[0], "border": PASSAGE[1], "label": "passage"},
    ]
    if view == "overview":
        entries.append({"swatch": "note", "color": "", "border": "", "label": "size: PageRank"})
    if view == "entity":
        entries.append({"swatch": "star", "color": FOCUS[0], "border": FOCUS[1],
                        "label": "the entity asked for"})
    if view == "query":
        entries = [
            {"swatch": "dot", "color": "#bbbbbb", "border": "#777777", "label": "entity"},
            {"swatch": "square", "color": "#bbbbbb", "border": "#777777", "label": "passage"},
            {"swatch": "gradient", "color": score_color(0.0) + "," + score_color(0.5) + ","
             + score_color(1.0), "border": "", "label": "colour and size: PPR score, low → high"},
            {"swatch": "ring", "color": "#ffffff", "border": SEED_BORDER,
             "label": "seed: where the walk restarts"},
            {"swatch": "ring", "color": "#ffffff", "border": HIT_BORDER,
             "label": "retrieved passage, label #rank"},
        ]
    entries += [
        {"swatch": "line", "color": FACT_EDGE, "border": "", "label": "fact (label: predicate)"},
        {"swatch": "line", "color": MENTION_EDGE, "border": "", "label": "mention"},
        {"swatch": "dashed", "color": SYNONYM_EDGE, "border": "", "label": "synonym (≈ cosine)"},
    ]
    return entries


def network_options(n_nodes: int) -> dict[str, Any]:
    """vis-network options. Physics lays the graph out in a bounded number of stabilization
    iterations (fewer for bigger graphs) and is switched off by the page once they are done, so
    time to interactive stays bounded."""
    iterations = int(min(300, max(60, 60_000 // max(n_nodes, 1))))
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": n_nodes <= 100},
        "physics": {
            "enabled": n_nodes > 1,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 90,
                                 "springConstant": 0.08, "avoidOverlap": 0.2},
            "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 50,
                              "fit": True},
            "minVelocity": 1.0,
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": n_nodes > 300},
        "nodes": {"font": {"size": 13, "face": "sans-serif"}},
        "edges": {"smooth": False, "color": {"inherit": False},
                  "font": {"size": 10, "align": "middle", "color": "#444444"}},
    }
