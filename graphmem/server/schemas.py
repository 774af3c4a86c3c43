"""Request and response bodies of the /v1 API (pydantic models: FastAPI validates requests
with them and publishes them in the OpenAPI schema at /openapi.json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DeleteReportOut",
    "DeleteRequest",
    "DeletedOut",
    "DocumentIn",
    "DocumentInfoOut",
    "DocumentsIn",
    "DocumentsOut",
    "ExplanationOut",
    "GraphEdgeOut",
    "GraphNodeOut",
    "HitOut",
    "HitsOut",
    "IdsOut",
    "NamespaceDeletedOut",
    "NamespacesOut",
    "NodeNeighbourhoodOut",
    "RetrieveRequest",
    "SeedFactOut",
    "TraceNodeOut",
    "TraceOut",
    "TraceRequest",
]


_NS = ("Namespace (also accepted as the ?namespace= query parameter). Default: the token's "
       "first namespace, else \"default\".")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored


class DocumentIn(_Strict):
    """One document to store; ``id`` defaults to a hash of ``text``."""

    text: str
    id: str | None = None
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    time: str | None = Field(None, description="When it was written, ISO-8601 (naive = UTC).")


class DocumentsIn(_Strict):
    """A batch for POST (add) or PUT (upsert) /v1/documents; one transaction."""

    documents: list[DocumentIn]
    source: str | None = Field(None, description="Names the batch in error messages.")
    namespace: str | None = Field(None, description=_NS)


class DeleteRequest(_Strict):
    ids: list[str]
    namespace: str | None = Field(None, description=_NS)


class RetrieveRequest(_Strict):
    query: str
    top_k: int = Field(5, ge=1)
    namespace: str | None = Field(None, description=_NS)
    as_of: str | None = Field(None, description="Answer as the memory stood then (ISO-8601).")
    since: str | None = Field(None, description="Only passages dated at or after (ISO-8601).")
    until: str | None = Field(None, description="Only passages dated at or before (ISO-8601).")
    where: dict[str, Any] | None = Field(None, description="Document metadata equality filter.")


class IdsOut(BaseModel):
    ids: list[str] = Field(description="Every item's document id, in input order.")


class DocumentInfoOut(BaseModel):
    id: str
    title: str | None
    passages: int
    metadata: dict[str, Any]
    content_hash: str
    added_at: float = Field(description="When it was stored, Unix seconds.")
    time: float | None = Field(None, description="The time it states, Unix seconds.")
    namespace: str = "default"


class DocumentsOut(BaseModel):
    count: int
    documents: list[DocumentInfoOut]


class DeleteReportOut(BaseModel):
    doc_id: str
    chunks: int
    facts: int
    entities: int
    synonyms: int


class DeletedOut(BaseModel):
    deleted: list[DeleteReportOut]


class SeedFactOut(BaseModel):
    subject: str
    predicate: str
    object: str
    score: float


class OutdatedFactOut(BaseModel):
    subject: str
    predicate: str
    object: str
    superseded_by: list[tuple[str, str, str]]
    superseded_at: str | None


class ExplanationOut(BaseModel):
    mode: str
    seed_facts: list[SeedFactOut]
    seed_entities: list[tuple[str, float]]
    matched_facts: list[SeedFactOut]
    bridge_entities: list[str]
    dense_score: float
    outdated_facts: list[OutdatedFactOut] = Field(default_factory=list)


class HitOut(BaseModel):
    doc_id: str
    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any]
    time: str | None = Field(None, description="The passage's time, ISO-8601.")
    namespace: str = "default"
    explanation: ExplanationOut


class HitsOut(BaseModel):
    hits: list[HitOut]


class NamespacesOut(BaseModel):
    namespaces: list[str] = Field(description="Sorted; only those the token may use.")


class NamespaceDeletedOut(BaseModel):
    namespace: str
    deleted: int = Field(description="Documents removed.")


class TraceRequest(_Strict):
    query: str
    top_k: int = Field(5, ge=1)
    namespace: str | None = None
    nodes: int = Field(40, ge=1, description="Most nodes of the explanation graph (hits and "
                       "seeds first, then by PPR score).")


class GraphNodeOut(BaseModel):
    id: str = Field(description='"entity:<normalised name>" or "passage:<chunk id>".')
    kind: str
    label: str
    type: str | None = Field(description="An entity's NER label (NP: noun phrase).")
    doc_id: str | None
    title: str | None
    text: str | None


class GraphEdgeOut(BaseModel):
    source: str
    target: str
    kind: str = Field(description="fact (subject -> object), synonym or mention "
                      "(passage -> entity).")
    weight: float
    predicates: list[str]


class TraceNodeOut(GraphNodeOut):
    score: float = Field(description="PPR probability (cosine in dense mode).")
    seed: bool
    seed_weight: float | None
    rank: int | None


class TraceOut(BaseModel):
    query: str
    mode: str = Field(description="ppr, dense (no seed) or empty (nothing stored).")
    hits: list[HitOut] = Field(description="Exactly what POST /v1/retrieve returns.")
    seed_facts: list[SeedFactOut]
    nodes: list[TraceNodeOut]
    edges: list[GraphEdgeOut]


class NodeNeighbourhoodOut(BaseModel):
    node: str
    more: int = Field(description="Neighbours left out by the limit.")
    nodes: list[GraphNodeOut] = Field(description="The node first, then its neighbours.")
    edges: list[GraphEdgeOut]


class NeighboursRequest(_Strict):
    nodes: list[str] = Field(description='Node ids: "entity:<name>" or "passage:<chunk id>".')
    limit: int = Field(25, ge=0, description="Most neighbours per node (0: the nodes alone).")
    namespace: str | None = None


class NeighbourhoodOut(BaseModel):
    focus: list[str] = Field(description="The asked-for nodes that are in the graph, in order.")
    missing: list[str] = Field(description="The asked-for ids that are not.")
    nodes: list[GraphNodeOut]
    edges: list[GraphEdgeOut]
    more: dict[str, int] = Field(description="Per focus node: neighbours left out by the limit.")


class AnswerRequest(_Strict):
    question: str
    top_k: int = Field(5, ge=1)
    max_steps: int = Field(1, ge=1, le=8, description="Retrieval rounds (IRCoT when above 1).")
    namespace: str | None = None


class CitationOut(BaseModel):
    number: int = Field(description="The passage's number in the prompt, from 1.")
    doc_id: str
    chunk_id: str


class AnswerOut(BaseModel):
    text: str = Field(description="The answer without its [n] markers.")
    citations: list[CitationOut]
    hits: list[HitOut] = Field(description="Every passage shown to the model, numbered from 1.")
    usage: dict[str, int]
