"""The stored knowledge graph as a directed networkx graph, and its GraphML and JSON writers.

:func:`export_graph` reads one snapshot of a store through public :class:`~graphmem.store.base.Store`
methods only (no model, no index) and returns a ``networkx.MultiDiGraph`` whose every attribute
is a scalar, so GraphML can hold it and ``networkx.read_graphml(path, force_multigraph=True)``
gives it back unchanged (without ``force_multigraph`` networkx returns a DiGraph when no two
edges share endpoints and adds each edge key as an ``id`` attribute).

Nodes (ids as in :meth:`graphmem.Memory.to_networkx`):

* ``"entity:<name>"``: ``kind="entity"``, ``name`` (normalised), ``label`` (as first seen),
  ``type`` (spaCy label or ``NOUN_PHRASE``-like kind);
* ``"passage:<chunk_id>"``: ``kind="passage"``, ``chunk_id``, ``doc_id``, ``text``, ``title``
  (``""`` when the document has none), ``metadata`` (the document's metadata as a JSON object
  string, ``"{}"`` when none).

Edges, in this order (facts by store id, mentions and synonyms sorted by store ids), keyed
``"fact:<n>"``, ``"mention:<n>"``, ``"synonym:<n>"`` (n counts from 0 per kind; unique, so they
are valid GraphML edge ids):

* fact, subject -> object, one edge per stored fact (parallel edges for several predicates):
  ``kind="fact"``, ``predicate``, ``support`` (number of supporting passages), ``weight``
  (= support, as a float), ``sources`` (the supporting chunk ids as a JSON array string, e.g.
  ``'["doc-1#0", "doc-2#3"]'``: chunk ids are ``<doc id>#<position>`` and document ids may
  contain any character, so no separator character would be unambiguous);
* mention, passage -> entity: ``kind="mention"``, ``weight=1.0``;
* synonym, one edge per pair from the older entity to the newer (the relation is symmetric):
  ``kind="synonym"``, ``cosine``, ``weight`` (= cosine).

GraphML and XML 1.0: XML cannot carry C0 control characters other than tab and newline, nor
U+FFFE/U+FFFF, and an XML parser turns a carriage return into a newline. :func:`write_graphml`
therefore writes each such character as the visible escape text ``\\xNN`` / ``\\r`` /
``\\uFFFE`` (as ``graphmem documents`` prints them); everything else, ``<``, ``&`` and quotes
included, is XML-escaped by the writer and reads back exactly. JSON output keeps every
character exactly.

JSON shape (:func:`graph_json`, networkx node-link data)::

    {"directed": true, "multigraph": true, "graph": {},
     "nodes": [{"id": "entity:ada lovelace", "kind": "entity", ...}, ...],
     "edges": [{"source": ..., "target": ..., "key": "fact:0", "kind": "fact", ...}, ...]}
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import networkx as nx

    from graphmem.store.base import Store

__all__ = ["FORMATS", "export_graph", "graph_json", "write_export", "write_graphml", "xml_safe"]

log = logging.getLogger(__name__)

FORMATS = ("graphml", "json")
ENTITY_PREFIX = "entity:"
PASSAGE_PREFIX = "passage:"

# What XML 1.0 cannot hold verbatim: C0 controls but tab and newline (carriage return included:
# parsers normalise it to a newline), U+FFFE and U+FFFF. Lone surrogates never reach a store.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SHORT = {"\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return _SHORT.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04X}")


def xml_safe(value: Any) -> Any:
    """``value`` with the characters XML 1.0 cannot carry written as escape text (strings only;
    other values are returned as they are)."""
    return _NOT_XML_RE.sub(_escape, value) if isinstance(value, str) else value


def export_graph(store: Store) -> nx.MultiDiGraph:
    """The whole stored graph as a ``networkx.MultiDiGraph`` (shape in the module doc), read in
    one store snapshot so nodes and edges come from the same commit."""
    import networkx as nx

    g = nx.MultiDiGraph()
    with store.snapshot():
        entities = store.load_entities(0)
        facts = store.load_facts(0)
        edges = store.load_edges()
        chunk_ids = [int(i) for i in store.alive_ids("chunks")]
        records = store.passages(chunk_ids)
    entity_node = {
        int(i): ENTITY_PREFIX + name for i, name in zip(entities.ids.tolist(), entities.names)
    }
    for i, name, label, kind in zip(
        entities.ids.tolist(), entities.names, entities.labels, entities.kinds
    ):
        g.add_node(entity_node[i], kind="entity", name=name, label=label, type=kind)
    passage_node: dict[int, str] = {}
    for cid in chunk_ids:
        r = records[cid]  # one snapshot: every alive chunk is there
        passage_node[cid] = PASSAGE_PREFIX + r.chunk_id
        g.add_node(
            passage_node[cid],
            kind="passage",
            chunk_id=r.chunk_id,
            doc_id=r.doc_id,
            text=r.text,
            title=r.title or "",
            metadata=json.dumps(dict(r.metadata), ensure_ascii=False, sort_keys=True),
        )
    sources: dict[int, list[int]] = {}
    for fact_id, cid in sorted(map(tuple, edges.fact_sources.tolist())):
        sources.setdefault(int(fact_id), []).append(int(cid))
    for n, (f, s, pred, o) in enumerate(
        zip(
            facts.ids.tolist(),
            facts.subject_ids.tolist(),
            facts.predicates,
            facts.object_ids.tolist(),
        )
    ):
        support = [records[c].chunk_id for c in sources.get(int(f), []) if c in records]
        g.add_edge(
            entity_node[int(s)],
            entity_node[int(o)],
            key=f"fact:{n}",
            kind="fact",
            predicate=pred,
            support=len(support),
            weight=float(len(support)),
            sources=json.dumps(support, ensure_ascii=False),
        )
    for n, (cid, eid) in enumerate(sorted(map(tuple, edges.mentions.tolist()))):
        g.add_edge(
            passage_node[int(cid)],
            entity_node[int(eid)],
            f"mention:{n}",
            kind="mention",
            weight=1.0,
        )
    synonyms = sorted(zip(map(tuple, edges.synonyms.tolist()), edges.synonym_scores.tolist()))
    for n, ((a, b), score) in enumerate(synonyms):
        u, v = sorted((int(a), int(b)))
        g.add_edge(
            entity_node[u],
            entity_node[v],
            f"synonym:{n}",
            kind="synonym",
            cosine=score,
            weight=score,
        )
    log.debug("exported %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return g


def write_graphml(g: nx.MultiDiGraph) -> bytes:
    """``g`` as GraphML (UTF-8 bytes), every string passed through :func:`xml_safe`."""
    import networkx as nx

    safe = type(g)()
    safe.graph.update({k: xml_safe(v) for k, v in g.graph.items()})
    for n, data in g.nodes(data=True):
        safe.add_node(xml_safe(n), **{k: xml_safe(v) for k, v in data.items()})
    for u, v, key, data in g.edges(keys=True, data=True):
        attrs = {k: xml_safe(x) for k, x in data.items()}
        safe.add_edge(xml_safe(u), xml_safe(v), xml_safe(key), **attrs)
    out = io.BytesIO()
    nx.write_graphml(safe, out, encoding="utf-8")
    return out.getvalue()


def graph_json(g: nx.MultiDiGraph) -> dict[str, Any]:
    """``g`` as networkx node-link data (``nodes`` / ``edges`` lists, shape in the module doc)."""
    from networkx.readwrite import json_graph

    return json_graph.node_link_data(g, edges="edges")


def write_export(g: nx.MultiDiGraph, fmt: Literal["graphml", "json"] | str) -> bytes:
    """``g`` in format ``fmt`` (one of :data:`FORMATS`) as UTF-8 bytes; JSON ends with a newline."""
    if fmt == "graphml":
        return write_graphml(g)
    if fmt == "json":
        return (json.dumps(graph_json(g), ensure_ascii=False) + "\n").encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
