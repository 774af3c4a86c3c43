"""graphmem's value types as JSON and back: what the server sends and the client rebuilds.

Plain functions over dicts (no FastAPI, no httpx), shared by both ends so that a Hit that
crosses the wire compares equal to the one :meth:`graphmem.Memory.retrieve` returned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphmem.store.base import DeleteReport, DocumentInfo
from graphmem.types import Document, Explanation, Hit, SeedFact

__all__ = [
    "delete_report_from_json", "delete_report_json", "document_from_json", "document_json",
    "hit_from_json", "hit_json", "info_from_json", "info_json",
]


def _fact_json(f: SeedFact) -> dict[str, Any]:
    return {"subject": f.subject, "predicate": f.predicate, "object": f.object,
            "score": float(f.score)}


def _fact(d: Mapping[str, Any]) -> SeedFact:
    return SeedFact(d["subject"], d["predicate"], d["object"], float(d["score"]))


def hit_json(h: Hit) -> dict[str, Any]:
    """A Hit as JSON (floats as Python floats, tuples as lists)."""
    e = h.explanation
    return {
        "doc_id": h.doc_id, "chunk_id": h.chunk_id, "text": h.text, "score": float(h.score),
        "metadata": dict(h.metadata),
        "explanation": {
            "mode": e.mode,
            "seed_facts": [_fact_json(f) for f in e.seed_facts],
            "seed_entities": [[name, float(s)] for name, s in e.seed_entities],
            "matched_facts": [_fact_json(f) for f in e.matched_facts],
            "bridge_entities": list(e.bridge_entities),
            "dense_score": float(e.dense_score),
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
    )
    return Hit(d["doc_id"], d["chunk_id"], d["text"], float(d["score"]), dict(d["metadata"]),
               explanation)


def info_json(i: DocumentInfo) -> dict[str, Any]:
    """A stored document's listing (``added_at`` in Unix seconds, as DocumentInfo holds it)."""
    return {"id": i.doc_id, "title": i.title, "passages": i.passages,
            "metadata": dict(i.metadata), "content_hash": i.content_hash,
            "added_at": float(i.added_at)}


def info_from_json(d: Mapping[str, Any]) -> DocumentInfo:
    return DocumentInfo(d["id"], d["title"], int(d["passages"]), dict(d["metadata"]),
                        d["content_hash"], float(d["added_at"]))


def document_json(item: str | Document) -> dict[str, Any]:
    """An item of add()/upsert() as the request body holds it (a text becomes ``{"text": ...}``)."""
    if isinstance(item, str):
        return {"text": item}
    if not isinstance(item, Document):
        raise TypeError(f"expected str or Document, got {type(item).__name__}")
    return {"text": item.text, "id": item.id, "title": item.title, "metadata": dict(item.metadata)}


def document_from_json(d: Mapping[str, Any]) -> Document:
    return Document(d["text"], d.get("id"), d.get("title"), dict(d.get("metadata") or {}))


def delete_report_json(r: DeleteReport) -> dict[str, Any]:
    return {"doc_id": r.doc_id, "chunks": r.chunks, "facts": r.facts, "entities": r.entities,
            "synonyms": r.synonyms}


def delete_report_from_json(d: Mapping[str, Any]) -> DeleteReport:
    return DeleteReport(d["doc_id"], int(d["chunks"]), int(d["facts"]), int(d["entities"]),
                        int(d["synonyms"]))
