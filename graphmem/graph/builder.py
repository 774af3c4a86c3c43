"""Turning documents into one :class:`WriteBatch`: validate, chunk, extract, embed, link synonyms.

Everything that can fail on bad input fails here, before the store is touched, so a rejected
``add`` call leaves the store unchanged. Only rows that are new to the store are embedded, and
synonym edges are computed for new entities only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphmem.chunking import split_text
from graphmem.config import ChunkConfig, GraphConfig
from graphmem.embed import Embedder
from graphmem.errors import ConflictError, InputError
from graphmem.extract import Extractor
from graphmem.graph.index import NOUN_PHRASE, GraphIndex, synonym_eligible
from graphmem.graph.synonyms import synonym_pairs
from graphmem.ids import chunk_id_for, content_hash, doc_id_for
from graphmem.store.base import NewChunk, NewDocument, NewEntity, NewFact, Store, WriteBatch
from graphmem.text import normalize_name
from graphmem.types import Document, Extraction, Mention
from graphmem.validate import validate_document

log = logging.getLogger(__name__)

# Entity kind of a document title added as a mention of each of its passages.
TITLE = "TITLE"


@dataclass(frozen=True)
class PreparedDocument:
    doc_id: str
    content_hash: str
    title: str | None
    metadata: Mapping[str, Any]
    passages: tuple[str, ...]


@dataclass
class BuildTimings:
    """Seconds spent per stage of the last build (the ingestion benchmark reports the shares)."""

    extract: float = 0.0
    embed: float = 0.0
    synonyms: float = 0.0
    wall: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def to_document(item: object, where: str) -> Document:
    """Validate one ``add`` item: a string (the text of one document) or a :class:`Document`,
    checked by :func:`graphmem.validate.validate_document` (the check the batch job applies to
    every record too). Raises InputError naming ``where``."""
    if isinstance(item, str):
        item = Document(text=item)
    if not isinstance(item, Document):
        raise InputError(f"expected str or Document, got {type(item).__name__}", source=where)
    return validate_document(item, where)


def prepare(
    items: Iterable[object], store: Store, chunking: ChunkConfig, source: str = "add()"
) -> tuple[list[str], list[PreparedDocument]]:
    """Validate and chunk. Returns every item's doc id (in order) and the documents to write:
    ones already stored with the same content, or repeated in this call, are skipped."""
    docs = [to_document(item, f"{source} item {i}") for i, item in enumerate(items)]
    hashes = [content_hash(d.text) for d in docs]
    ids = [d.id if d.id is not None else doc_id_for(d.text) for d, h in zip(docs, hashes)]
    stored = store.document_hashes(ids)
    seen: dict[str, str] = {}
    out: list[PreparedDocument] = []
    for i, (doc, h, doc_id) in enumerate(zip(docs, hashes, ids)):
        previous = stored.get(doc_id, seen.get(doc_id))
        if previous is not None:
            if previous != h:
                raise ConflictError(
                    f"{source} item {i}: document {doc_id!r} is already stored with different "
                    "text; delete it first to replace it"
                )
            continue
        seen[doc_id] = h
        title = doc.title if doc.title is None else doc.title.strip() or None
        out.append(PreparedDocument(doc_id, h, title, dict(doc.metadata), tuple(split_text(doc.text, chunking))))
    return ids, out


def passage_input(title: str | None, text: str) -> str:
    """What the models see for a passage: the title adds context that the text often omits."""
    return f"{title}\n{text}" if title else text


def build_batch(
    docs: Sequence[PreparedDocument],
    store: Store,
    index: GraphIndex,
    embedder: Embedder,
    extractor: Extractor,
    graph: GraphConfig,
    timings: BuildTimings | None = None,
) -> WriteBatch:
    """Extract, embed and link everything new in ``docs``. ``index`` must be fresh (refreshed at
    the store's current generation): its entity matrix is what new entities are linked against."""
    timings = timings if timings is not None else BuildTimings()
    start = time.perf_counter()
    batch = WriteBatch()
    chunk_rows: list[tuple[str, str, int, str]] = []
    inputs: list[str] = []
    texts: list[str] = []
    titles: list[str | None] = []
    for d in docs:
        batch.documents.append(NewDocument(d.doc_id, d.content_hash, d.title, d.metadata))
        for pos, text in enumerate(d.passages):
            chunk_rows.append((chunk_id_for(d.doc_id, pos), d.doc_id, pos, text))
            inputs.append(passage_input(d.title, text))
            texts.append(text)
            titles.append(d.title if graph.title_entities else None)
    if not inputs:
        return batch

    # spaCy and torch both release the GIL for much of their work: run the parse beside the
    # passage embedding (measured ~1.4x faster than one after the other on 2 cores). The parser
    # sees the text alone: a title glued in front merges into the first sentence's entities.
    with ThreadPoolExecutor(max_workers=1) as pool:
        t0 = time.perf_counter()
        future = pool.submit(extractor.extract_batch, texts)
        passage_vectors = embedder.encode(inputs)
        t1 = time.perf_counter()
        extractions: list[Extraction] = future.result()
        t2 = time.perf_counter()
    timings.embed += t1 - t0
    timings.extract += t2 - t0
    for (cid, did, pos, text), vec in zip(chunk_rows, passage_vectors):
        batch.chunks.append(NewChunk(cid, did, pos, text, vec))

    t3 = time.perf_counter()
    extractions = [with_title(ex, t) for ex, t in zip(extractions, titles)]
    _entities_and_facts(batch, chunk_rows, extractions, store, embedder)
    t4 = time.perf_counter()
    timings.embed += t4 - t3
    candidates = [e for e in batch.entities if synonym_eligible(e.name, e.kind)]
    if candidates:
        new = np.stack([e.embedding for e in candidates])
        rows = index.synonym_rows
        existing = index.entities.vectors[rows]
        for i, t, score in synonym_pairs(
            new, existing, threshold=graph.synonym_threshold, top_k=graph.synonym_top_k
        ):
            other = (
                index.entity_names[rows[t]] if t < len(rows) else candidates[t - len(rows)].name
            )
            batch.synonyms.append((candidates[i].name, other, score))
    timings.synonyms += time.perf_counter() - t4
    timings.wall += time.perf_counter() - start
    timings.counts = {
        "passages": len(batch.chunks),
        "new_entities": len(batch.entities),
        "new_facts": len(batch.facts),
        "synonym_edges": len(batch.synonyms),
    }
    return batch


def with_title(extraction: Extraction, title: str | None) -> Extraction:
    """The extraction plus the document title as an entity mentioned by the passage.

    A title names what the passage is about, and the text often refers to it only by pronoun or
    not at all in later windows; as a node it joins every window of the document and any other
    passage that names the same thing, and queries can link to it by name."""
    if not title:
        return extraction
    name = normalize_name(title)
    if not name or any(m.name == name for m in extraction.mentions):
        return extraction
    return Extraction(extraction.mentions + (Mention(name, title, TITLE),), extraction.triples)


def _entities_and_facts(
    batch: WriteBatch,
    chunk_rows: list[tuple[str, str, int, str]],
    extractions: list[Extraction],
    store: Store,
    embedder: Embedder,
) -> None:
    labels: dict[str, tuple[str, str]] = {}
    facts: dict[tuple[str, str, str], None] = {}
    for (cid, *_), ex in zip(chunk_rows, extractions):
        for m in ex.mentions:
            if m.name not in labels or (labels[m.name][1] == NOUN_PHRASE and m.kind != NOUN_PHRASE):
                labels[m.name] = (m.label, m.kind)
            batch.mentions.append((cid, m.name, 1))
        for t in ex.triples:
            key = (t.subject, t.predicate, t.object)
            facts.setdefault(key)
            batch.fact_sources.append((t.subject, t.predicate, t.object, cid))
    known = store.existing_entities(list(labels))
    new_names = [n for n in labels if n not in known]
    known_facts = store.existing_facts(list(facts))
    new_facts = [k for k in facts if k not in known_facts]
    vectors = embedder.encode(new_names + [f"{s} {p} {o}" for s, p, o in new_facts])
    for name, vec in zip(new_names, vectors):
        label, kind = labels[name]
        batch.entities.append(NewEntity(name, label, kind, vec))
    for (s, p, o), vec in zip(new_facts, vectors[len(new_names) :]):
        batch.facts.append(NewFact(s, p, o, vec))
