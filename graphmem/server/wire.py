"""graphmem's value types as JSON and back: what the server sends and the client rebuilds.

Plain functions over dicts (no FastAPI, no httpx), shared by both ends so that a Hit that
crosses the wire compares equal to the one :meth:`graphmem.Memory.retrieve` returned."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from graphmem.graph.neighbours import GraphEdge, GraphNode, Neighbourhood
from graphmem.store.base import DeleteReport, DocumentInfo
from graphmem.types import Answer, Citation, Document, Explanation, Hit, OutdatedFact, SeedFact

__all__ = [
    "answer_from_json", "answer_json", "delete_report_from_json", "delete_report_json",
    "document_from_json", "document_json", "edge_from_json", "edge_json", "hit_from_json",
    "hit_json", "info_from_json", "info_json", "neighbourhood_from_json", "neighbourhood_json",
    "node_from_json", "node_json",
]


def _fact_json(f: SeedFact) -> dict[str, Any]:
    return {"subject": f.subject, "predicate": f.predicate, "object": f.object,
            "score": float(f.score)}


def _fact(d: Mapping[str, Any]) -> SeedFact:
    return SeedFact(d["subject"], d["predicate"], d["object"], float(d["score"]))


def time_json(t: datetime | None) -> str | None:
    """A time as ISO-8601 (UTC offset included), None as null."""
    return None if t is None else t.isoformat()


def time_from_json(s: str | None) -> datetime | None:
    return None if s is None else datetime.fromisoformat(s)


def _outdated_json(f: OutdatedFact) -> dict[str, Any]:
    return {"subject": f.subject, "predicate": f.predicate, "object": f.object,
            "superseded_by": [list(t) for t in f.superseded_by],
            "superseded_at": time_json(f.superseded_at)}


def _outdated(d: Mapping[str, Any]) -> OutdatedFact:
    return OutdatedFact(d["subject"], d["predicate"], d["object"],
                        tuple((s, p, o) for s, p, o in d["superseded_by"]),
                        time_from_json(d["superseded_at"]))


def hit_json(h: Hit) -> dict[str, Any]:
    """A Hit as JSON (floats as Python floats, tuples as lists, times as ISO-8601)."""
    e = h.explanation
    return {
        "doc_id": h.doc_id, "chunk_id": h.chunk_id, "text": h.text, "score": float(h.score),
        "metadata": dict(h.metadata), "time": time_json(h.time), "namespace": h.namespace,
        "explanation": {
            "mode": e.mode,
            "seed_facts": [_fact_json(f) for f in e.seed_facts],
            "seed_entities": [[name, float(s)] for name, s in e.seed_entities],
            "matched_facts": [_fact_json(f) for f in e.matched_facts],
            "bridge_entities": list(e.bridge_entities),
            "dense_score": float(e.dense_score),
            "outdated_facts": [_outdated_json(f) for f in e.outdated_facts],
        },
    }


def hit_from_json(d: Mapping[str, Any]) -> Hit:
    e = d["explanation"]
    explanation = Explanation(
        mode=e["mode"],
        seed_facts=tuple(_fact(f) for f in e["seed_facts"]),
        seed_entities=tuple((str(n), float(s)) for n, s in e["seed_entities"]),
        matched_facts=tuple(_fact(f) for f in e["matched_facts"]),
        bridge_entities=tuple(e["bridge_entities"]),
        dense_score=float(e["dense_score"]),
        outdated_facts=tuple(_outdated(f) for f in e.get("outdated_facts", ())),
    )
    return Hit(d["doc_id"], d["chunk_id"], d["text"], float(d["score"]), dict(d["metadata"]),
               explanation, time_from_json(d.get("time")), d.get("namespace", "default"))


def info_json(i: DocumentInfo) -> dict[str, Any]:
    """A stored document's listing (``added_at`` in Unix seconds, as DocumentInfo holds it)."""
    return {"id": i.doc_id, "title": i.title, "passages": i.passages,
            "metadata": dict(i.metadata), "content_hash": i.content_hash,
            "added_at": float(i.added_at), "time": i.time, "namespace": i.namespace}


def info_from_json(d: Mapping[str, Any]) -> DocumentInfo:
    return DocumentInfo(d["id"], d["title"], int(d["passages"]), dict(d["metadata"]),
                        d["content_hash"], float(d["added_at"]), d.get("time"),
                        d.get("namespace", "default"))


def document_json(item: str | Document) -> dict[str, Any]:
    """An item of add()/upsert() as the request body holds it (a text becomes ``{"text": ...}``)."""
    if isinstance(item, str):
        return {"text": item}
    if not isinstance(item, Document):
        raise TypeError(f"expected str or Document, got {type(item).__name__}")
    out = {"text": item.text, "id": item.id, "title": item.title, "metadata": dict(item.metadata)}
    if item.time is not None:
        out["time"] = item.time.isoformat() if isinstance(item.time, (datetime, date)) else item.time
    return out


def document_from_json(d: Mapping[str, Any]) -> Document:
    return Document(
        d["text"], d.get("id"), d.get("title"), dict(d.get("metadata") or {}), d.get("time")
    )


def delete_report_json(r: DeleteReport) -> dict[str, Any]:
    return {"doc_id": r.doc_id, "chunks": r.chunks, "facts": r.facts, "entities": r.entities,
            "synonyms": r.synonyms}


def delete_report_from_json(d: Mapping[str, Any]) -> DeleteReport:
    return DeleteReport(d["doc_id"], int(d["chunks"]), int(d["facts"]), int(d["entities"]),
                        int(d["synonyms"]))


def answer_json(a: Answer) -> dict[str, Any]:
    """An Answer as JSON: its hits as :func:`hit_json` writes them."""
    return {
        "text": a.text,
        "citations": [
            {"number": c.number, "doc_id": c.doc_id, "chunk_id": c.chunk_id} for c in a.citations
        ],
        "hits": [hit_json(h) for h in a.hits],
        "usage": dict(a.usage),
    }


def answer_from_json(d: Mapping[str, Any]) -> Answer:
    return Answer(
        d["text"],
        tuple(Citation(int(c["number"]), c["doc_id"], c["chunk_id"]) for c in d["citations"]),
        tuple(hit_from_json(h) for h in d["hits"]),
        {k: int(v) for k, v in d["usage"].items()},
    )


def node_json(n: GraphNode) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "label": n.label, "type": n.type, "doc_id": n.doc_id,
            "title": n.title, "text": n.text}


def node_from_json(d: Mapping[str, Any]) -> GraphNode:
    return GraphNode(d["id"], d["kind"], d["label"], d.get("type"), d.get("doc_id"),
                     d.get("title"), d.get("text"))


def edge_json(e: GraphEdge) -> dict[str, Any]:
    return {"source": e.source, "target": e.target, "kind": e.kind, "weight": float(e.weight),
            "predicates": list(e.predicates)}


def edge_from_json(d: Mapping[str, Any]) -> GraphEdge:
    return GraphEdge(d["source"], d["target"], d["kind"], float(d["weight"]),
                     tuple(d["predicates"]))


def neighbourhood_json(v: Neighbourhood) -> dict[str, Any]:
    return {"focus": list(v.focus), "missing": list(v.missing),
            "nodes": [node_json(n) for n in v.nodes], "edges": [edge_json(e) for e in v.edges],
            "more": {k: int(n) for k, n in v.more.items()}}


def neighbourhood_from_json(d: Mapping[str, Any]) -> Neighbourhood:
    return Neighbourhood(tuple(d["focus"]), tuple(d["missing"]),
                         tuple(node_from_json(n) for n in d["nodes"]),
                         tuple(edge_from_json(e) for e in d["edges"]),
                         {k: int(n) for k, n in d["more"].items()})
