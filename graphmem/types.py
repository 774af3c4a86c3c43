"""Plain frozen value types passed between stages and returned to users."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A unit of input. ``id`` defaults to a content hash of ``text`` (see :func:`graphmem.ids.doc_id_for`)."""

    text: str
    id: str | None = None
    title: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage: a document or a token window of it. Passages are the retrieval unit."""

    chunk_id: str
    doc_id: str
    position: int
    text: str


@dataclass(frozen=True)
class Mention:
    """An entity found in a passage. ``name`` is normalised, ``label`` the surface form first seen,
    ``kind`` the NER type (``PERSON``, ``GPE``...) or ``"NP"`` for a plain noun phrase."""

    name: str
    label: str
    kind: str


@dataclass(frozen=True)
class Triple:
    """A (subject, predicate, object) fact; subject and object are normalised entity names."""

    subject: str
    predicate: str
    object: str


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one passage."""

    mentions: tuple[Mention, ...]
    triples: tuple[Triple, ...]


@dataclass(frozen=True)
class SeedFact:
    """A fact linked to the query and the score it was linked with (min-max normalised cosine)."""

    subject: str
    predicate: str
    object: str
    score: float


@dataclass(frozen=True)
class Explanation:
    """Why a passage was retrieved.

    ``seed_facts`` and ``seed_entities`` are the query's seeds (shared by all hits of a query);
    ``matched_facts`` are seed facts this passage supports; ``bridge_entities`` are entities
    mentioned in the passage, by PPR mass, that carried the walk there; ``dense_score`` is the
    passage's cosine to the query; ``mode`` is ``"ppr"`` or ``"dense"`` (no seeds were found).
    """

    mode: str
    seed_facts: tuple[SeedFact, ...]
    seed_entities: tuple[tuple[str, float], ...]
    matched_facts: tuple[SeedFact, ...]
    bridge_entities: tuple[str, ...]
    dense_score: float


@dataclass(frozen=True)
class Hit:
    """One retrieved passage."""

    doc_id: str
    chunk_id: str
    text: str
    score: float
    metadata: Mapping[str, Any]
    explanation: Explanation
