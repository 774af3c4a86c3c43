"""Plain frozen value types passed between stages and returned to users."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Document:
    """A unit of input. ``id`` defaults to a content hash of ``text`` (see :func:`graphmem.ids.doc_id_for`).

    ``time`` is when the document was written or what moment it describes (a timezone-aware
    ``datetime``, a naive one taken as UTC, a ``date`` or an ISO-8601 string; see
    :mod:`graphmem.timeutil`). Its facts count as stated then: a later statement of a
    single-valued relation supersedes them (:mod:`graphmem.temporal`). Without it, the time the
    document is stored stands in."""

    text: str
    id: str | None = None
    title: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    time: datetime | date | str | None = None


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
    """Everything extracted from one passage.

    ``failure`` is ``None`` for a complete extraction. An extractor that could not do its work
    for this passage (a model reply that was not the JSON asked for) sets it to the reason, in
    one line, and returns what it did get (possibly nothing). A failed extraction is not a
    result to keep: caches must not store it (the next attempt may succeed) and ingestion counts
    and reports its document. See :class:`graphmem.extract.Extractor`.
    """

    mentions: tuple[Mention, ...]
    triples: tuple[Triple, ...]
    failure: str | None = None

    @property
    def failed(self) -> bool:
        """True when the extractor could not extract this passage in full (see ``failure``)."""
        return self.failure is not None


@dataclass(frozen=True)
class SeedFact:
    """A fact linked to the query and the score it was linked with (min-max normalised cosine)."""

    subject: str
    predicate: str
    object: str
    score: float


@dataclass(frozen=True)
class OutdatedFact:
    """A single-valued fact a passage states that no longer holds at the moment asked about:
    ``superseded_by`` are the facts (subject, predicate, object) that hold instead, and
    ``superseded_at`` is when it stopped holding (see :mod:`graphmem.temporal`)."""

    subject: str
    predicate: str
    object: str
    superseded_by: tuple[tuple[str, str, str], ...]
    superseded_at: datetime | None


@dataclass(frozen=True)
class Explanation:
    """Why a passage was retrieved.

    ``seed_facts`` and ``seed_entities`` are the query's seeds (shared by all hits of a query);
    ``matched_facts`` are seed facts this passage supports; ``bridge_entities`` are entities
    mentioned in the passage, by PPR mass, that carried the walk there; ``dense_score`` is the
    passage's cosine to the query; ``mode`` is ``"ppr"``, ``"dense"`` (no seeds were found) or ``"pinned"`` (dense's confident
    best passage put first, see ``RetrieveConfig.pin_dense_margin``; its score is the walk's best
    so that scores never increase down the list). ``outdated_facts`` are the facts the passage
    states that were superseded by the moment asked about (the passage is demoted for them).
    """

    mode: str
    seed_facts: tuple[SeedFact, ...]
    seed_entities: tuple[tuple[str, float], ...]
    matched_facts: tuple[SeedFact, ...]
    bridge_entities: tuple[str, ...]
    dense_score: float
    outdated_facts: tuple[OutdatedFact, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One retrieved passage. ``time`` is the passage's time: its document's stated time, else
    when the document was stored (UTC); ``namespace`` the namespace it was found in."""

    doc_id: str
    chunk_id: str
    text: str
    score: float
    metadata: Mapping[str, Any]
    explanation: Explanation
    time: datetime | None = None
    namespace: str = "default"


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites: its number in the answer prompt (from 1) and where it lives."""

    number: int
    doc_id: str
    chunk_id: str


@dataclass(frozen=True)
class Answer:
    """An LLM answer grounded in retrieved passages.

    ``text`` is the answer without its ``[n]`` markers; ``citations`` are the passages it cited,
    in order of first citation; ``hits`` are all passages shown to the model (numbered from 1 in
    this order); ``usage`` is what this call cost (calls, cache hits, tokens, retries)."""

    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    usage: Mapping[str, int]
