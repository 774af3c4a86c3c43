"""Turning documents into one :class:`WriteBatch`: validate, chunk, extract, embed, link synonyms.

Everything that can fail on bad input fails here, before the store is touched, so a rejected
``add`` call leaves the store unchanged. Two steps: :func:`build_content` does the model work
with no lock held; :func:`resolve_batch` runs inside the store's write transaction and decides,
against the store as it is then, which documents, entities and facts are new and which synonym
edges they get. Only rows that are new to the store are embedded, and synonym edges are computed
for new entities only.
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
from graphmem.graph.index import NOUN_PHRASE, GraphIndex
from graphmem.graph.synonyms import synonym_eligible, synonym_pairs
from graphmem.graph.synonyms_ann import synonym_pairs_ann
from graphmem.graph.titles import title_names, with_title
from graphmem.ids import chunk_id_for, content_hash, doc_id_for
from graphmem.store.base import (
    NewChunk,
    NewDocument,
    NewEntity,
    NewFact,
    Store,
    Triple,
    WriteBatch,
)
from graphmem.timeutil import to_timestamp
from graphmem.types import Document, Extraction
from graphmem.validate import validate_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedDocument:
    doc_id: str
    content_hash: str
    title: str | None
    metadata: Mapping[str, Any]
    passages: tuple[str, ...]
    time: float | None = None  # Unix seconds of Document.time


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


def document_id(doc: Document) -> str:
    """The id ``doc`` is stored under: its own, or the default from its text
    (:func:`graphmem.ids.doc_id_for`)."""
    return doc.id if doc.id is not None else doc_id_for(doc.text)


@dataclass(frozen=True)
class Standing:
    """Where one item of a write stands (see :func:`standings`): its id, its content ``key``
    (a text hash, or a :func:`graphmem.graph.update.fingerprint`), the key its id had before
    it (``previous``; None: a new document), and whether a later item of the same id supersedes
    it (then ``previous`` is None and means nothing)."""

    doc_id: str
    key: str
    previous: str | None = None
    superseded: bool = False

    @property
    def unchanged(self) -> bool:
        """Known already with this key: there is nothing to write."""
        return self.previous == self.key


def standings(
    ids: Sequence[str], keys: Sequence[str], known: Mapping[str, str], *, last_wins: bool = False
) -> list[Standing]:
    """The skip and conflict check shared by ``add`` (:func:`prepare`), ``upsert``
    (:func:`graphmem.graph.update.plan_upsert`) and the batch job (``pipelines.conflicts``):
    each item ``ids[i]`` with key ``keys[i]``, against ``known`` (id -> key: what is stored, and
    whatever the caller wrote or will write before this call) and the items before it.

    An item's ``previous`` is the key of the earlier item of its id that was new, else the key
    in ``known``. Only a new item claims its id for the items after it: an item whose id was
    known is either skipped or refused, which leaves the known key in place, or, with
    ``last_wins`` (only the last item of each id counts, the earlier ones are ``superseded``),
    the only item of its id that is compared at all. What to do with a changed item (refuse,
    skip, replace) is the caller's."""
    last = {doc_id: i for i, doc_id in enumerate(ids)} if last_wins else {}
    claimed: dict[str, str] = {}
    out: list[Standing] = []
    for i, (doc_id, key) in enumerate(zip(ids, keys)):
        if last.get(doc_id, i) != i:
            out.append(Standing(doc_id, key, superseded=True))
            continue
        previous = claimed.get(doc_id, known.get(doc_id))
        if previous is None:
            claimed[doc_id] = key
        out.append(Standing(doc_id, key, previous))
    return out


def prepare(
    items: Iterable[object], store: Store, chunking: ChunkConfig, source: str = "add()"
) -> tuple[list[str], list[PreparedDocument]]:
    """Validate and chunk. Returns every item's doc id (in order) and the documents to write:
    ones already stored with the same content, or repeated in this call, are skipped."""
    docs = [to_document(item, f"{source} item {i}") for i, item in enumerate(items)]
    hashes = [content_hash(d.text) for d in docs]
    ids = [document_id(d) for d in docs]
    out: list[PreparedDocument] = []
    for i, (doc, s) in enumerate(zip(docs, standings(ids, hashes, store.document_hashes(ids)))):
        if s.previous is None:
            out.append(prepare_document(doc, s.doc_id, chunking, s.key))
        elif not s.unchanged:
            raise ConflictError(
                f"{source} item {i}: document {s.doc_id!r} is already stored with different "
                "text; update() or upsert() replaces it"
            )
    return ids, out


def stored_title(title: str | None) -> str | None:
    """The title as stored: stripped, and None when blank."""
    return title if title is None else title.strip() or None


def prepare_document(
    doc: Document, doc_id: str, chunking: ChunkConfig, digest: str | None = None
) -> PreparedDocument:
    """One validated document as it will be written: id, text hash, title, passages."""
    digest = digest if digest is not None else content_hash(doc.text)
    passages = tuple(split_text(doc.text, chunking))
    stated = None if doc.time is None else to_timestamp(doc.time)
    return PreparedDocument(
        doc_id, digest, stored_title(doc.title), dict(doc.metadata), passages, stated
    )


def passage_input(title: str | None, text: str) -> str:
    """What the models see for a passage: the title adds context that the text often omits."""
    return f"{title}\n{text}" if title else text


@dataclass
class BatchContent:
    """The model work for a batch, done outside any lock: passages with their vectors and
    extractions, plus vectors of the entity names and fact strings that looked new when
    checked (a hint: :func:`resolve_batch` decides under the write lock what is new), and the
    contradictions the model judged (:mod:`graphmem.graph.conflicts`): (older fact, newer fact,
    chunk id)."""

    docs: list[PreparedDocument]
    chunks: list[NewChunk]
    extractions: list[Extraction]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    conflicts: list[tuple[Triple, Triple, str]] = field(default_factory=list)


def fact_text(s: str, p: str, o: str) -> str:
    """The string a fact is embedded (and linked to queries) as."""
    return f"{s} {p} {o}"


def build_content(
    docs: Sequence[PreparedDocument],
    store: Store,
    embedder: Embedder,
    extractor: Extractor,
    graph: GraphConfig,
    timings: BuildTimings | None = None,
    *,
    embed_new: bool = True,
) -> BatchContent:
    """Extract and embed everything in ``docs`` that is likely new to the store.

    ``embed_new=False`` embeds the passages only and leaves the entity names and facts to
    :func:`resolve_batch`, which embeds what is missing under the write lock. A replacement
    needs that: before the old version is deleted its entities look stored, so the texts
    embedded together here would not be those a delete followed by an add embeds together,
    and vectors depend (in their last bits) on the company they are computed in."""
    timings = timings if timings is not None else BuildTimings()
    start = time.perf_counter()
    chunk_rows: list[tuple[str, str, int, str]] = []
    inputs: list[str] = []
    texts: list[str] = []
    titles: list[str | None] = []
    for d in docs:
        for pos, text in enumerate(d.passages):
            chunk_rows.append((chunk_id_for(d.doc_id, pos), d.doc_id, pos, text))
            inputs.append(passage_input(d.title, text))
            texts.append(text)
            titles.append(d.title if graph.title_entities else None)
    content = BatchContent(list(docs), [], [])
    if not inputs:
        return content

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
        content.chunks.append(NewChunk(cid, did, pos, text, vec))
    owners = [d for d in docs for _ in d.passages]
    names = title_names(titles, texts, extractions, owners)
    content.extractions = [with_title(ex, names.get(id(d))) for ex, d in zip(extractions, owners)]

    if not embed_new:
        timings.wall += time.perf_counter() - start
        return content
    t3 = time.perf_counter()
    labels, facts = _references(content.extractions)
    known = store.existing_entities(list(labels))
    known_facts = store.existing_facts(list(facts))
    _embed_missing(
        content.vectors,
        [n for n in labels if n not in known] + [fact_text(*k) for k in facts if k not in known_facts],
        embedder,
    )
    timings.embed += time.perf_counter() - t3
    timings.wall += time.perf_counter() - start
    return content


def resolve_batch(
    content: BatchContent,
    store: Store,
    index: GraphIndex,
    embedder: Embedder,
    graph: GraphConfig,
    timings: BuildTimings | None = None,
    source: str = "add()",
) -> WriteBatch:
    """The rows to write, decided against the store as it is now. Call inside
    :meth:`Store.writing`, so that nothing changes between these checks and the write:
    documents another writer stored meanwhile are dropped (same text) or refused (other text),
    entities and facts that vanished meanwhile are written anew, and synonym edges are linked
    against every entity stored now, including those written since ``index`` was refreshed."""
    timings = timings if timings is not None else BuildTimings()
    start = time.perf_counter()
    batch = WriteBatch()
    stored = store.document_hashes([d.doc_id for d in content.docs])
    kept: set[str] = set()
    for d in content.docs:
        previous = stored.get(d.doc_id)
        if previous is None:
            kept.add(d.doc_id)
            batch.documents.append(
                NewDocument(d.doc_id, d.content_hash, d.title, d.metadata, d.time)
            )
        elif previous != d.content_hash:
            raise ConflictError(
                f"{source}: document {d.doc_id!r} was stored with different text by another "
                "writer while this batch was being built; nothing of the batch was written"
            )
    pairs = [(k, ex) for k, ex in zip(content.chunks, content.extractions) if k.doc_id in kept]
    batch.chunks = [k for k, _ in pairs]
    labels, facts = _references([ex for _, ex in pairs])
    for k, ex in pairs:
        batch.mentions.extend((k.chunk_id, m.name) for m in ex.mentions)
        batch.fact_sources.extend((t.subject, t.predicate, t.object, k.chunk_id) for t in ex.triples)
    known = store.existing_entities(list(labels))
    new_names = [n for n in labels if n not in known]
    known_facts = store.existing_facts(list(facts))
    new_facts = [k for k in facts if k not in known_facts]
    t0 = time.perf_counter()
    _embed_missing(content.vectors, new_names + [fact_text(*k) for k in new_facts], embedder)
    timings.embed += time.perf_counter() - t0
    for name in new_names:
        label, kind = labels[name]
        batch.entities.append(NewEntity(name, label, kind, content.vectors[name]))
    for s, p, o in new_facts:
        batch.facts.append(NewFact(s, p, o, content.vectors[fact_text(s, p, o)]))
    t1 = time.perf_counter()
    kept_chunks = {k.chunk_id for k in batch.chunks}
    judged = [c for c in content.conflicts if c[2] in kept_chunks]
    older = store.existing_facts(list(dict.fromkeys(c[0] for c in judged)))
    batch.conflicts = [c for c in judged if c[0] in older]  # not deleted meanwhile
    batch.synonyms = _synonyms(batch.entities, store, index, graph)
    timings.synonyms += time.perf_counter() - t1
    timings.wall += time.perf_counter() - start
    timings.counts = {
        "passages": len(batch.chunks),
        "new_entities": len(batch.entities),
        "new_facts": len(batch.facts),
        "synonym_edges": len(batch.synonyms),
        "judged_conflicts": len(batch.conflicts),
    }
    return batch


def _synonyms(
    entities: Sequence[NewEntity], store: Store, index: GraphIndex, graph: GraphConfig
) -> list[tuple[str, str, float]]:
    """Synonym edges of the new entities: to each other, and to every synonym-eligible entity
    stored now (the index's live rows plus rows committed since its refresh): call it under the
    write lock, so the edges are a serial write's (see :mod:`graphmem.graph.synonyms`)."""
    candidates = [e for e in entities if synonym_eligible(e.name, e.kind)]
    if not candidates:
        return []
    rows: np.ndarray | None = index.synonym_rows  # of ``existing``: the targets, not copied
    existing, names = index.entities.vectors, None  # names: only when the targets change
    if store.generation() != index.generation:  # another writer committed since the refresh
        keep_rows = index.synonym_rows
        if store.deleted_at() >= index.generation:  # ... and removed rows: drop those
            keep_rows = keep_rows[np.isin(index.entities.ids[keep_rows], store.alive_ids("entities"))]
        names = [index.entity_names[r] for r in keep_rows]
        existing, rows = existing[keep_rows], None
        after = int(index.entities.ids[-1]) if index.n_entities else 0
        extra = store.load_entities(after)
        keep = [i for i, (n, k) in enumerate(zip(extra.names, extra.kinds)) if synonym_eligible(n, k)]
        names += [extra.names[i] for i in keep]
        existing = np.vstack([existing, extra.embeddings[keep]]) if keep else existing
    n_old = len(names) if names is not None else len(index.synonym_rows)
    new = np.stack([e.embedding for e in candidates])
    out: list[tuple[str, str, float]] = []
    ann = (index.ann("entities", graph.synonym_ann_min_rows)
           if rows is not None and len(rows) >= graph.synonym_ann_min_rows else None)
    if ann is not None and rows is not None:  # large, unchanged since the refresh: the graph
        pairs = synonym_pairs_ann(new, ann, index.entities.ids, existing, rows,
                                  threshold=graph.synonym_threshold, top_k=graph.synonym_top_k)
    else:
        pairs = synonym_pairs(new, existing, rows=rows, threshold=graph.synonym_threshold,
                              top_k=graph.synonym_top_k)
    for i, t, score in pairs:
        other = (candidates[t - n_old].name if t >= n_old else names[t] if names is not None
                 else index.entity_names[index.synonym_rows[t]])
        out.append((candidates[i].name, other, score))
    return out


def _references(
    extractions: Sequence[Extraction],
) -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str, str], None]]:
    """Entity names (with the label and kind to store) and fact keys the passages refer to; a
    named-entity kind wins over a noun-phrase reading of the same name."""
    labels: dict[str, tuple[str, str]] = {}
    facts: dict[tuple[str, str, str], None] = {}
    for ex in extractions:
        for m in ex.mentions:
            if m.name not in labels or (labels[m.name][1] == NOUN_PHRASE and m.kind != NOUN_PHRASE):
                labels[m.name] = (m.label, m.kind)
        for t in ex.triples:
            facts.setdefault((t.subject, t.predicate, t.object))
    return labels, facts


def _embed_missing(vectors: dict[str, np.ndarray], texts: Sequence[str], embedder: Embedder) -> None:
    missing = list(dict.fromkeys(t for t in texts if t not in vectors))
    if missing:
        vectors.update(zip(missing, embedder.encode(missing)))
