"""Request and response bodies of the /v1 API (pydantic models: FastAPI validates requests
with them and publishes them in the OpenAPI schema at /openapi.json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DeleteReportOut", "DeleteRequest", "DeletedOut", "DocumentIn", "DocumentInfoOut",
    "DocumentsIn", "DocumentsOut", "ExplanationOut", "HitOut", "HitsOut", "IdsOut",
    "RetrieveRequest", "SeedFactOut",
]


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


class DeleteRequest(_Strict):
    ids: list[str]


class RetrieveRequest(_Strict):
    query: str
    top_k: int = Field(5, ge=1)
    namespace: str = "default"
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
