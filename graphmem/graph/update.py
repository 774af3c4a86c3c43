"""Replacing stored documents: the planning and the locked step of ``Memory.update``/``upsert``.

An upsert is defined by what it must equal: delete every stored document it replaces, then add
the new versions, in one transaction. :func:`plan_upsert` decides optimistically, without a
lock, which items need model work (absent, or stored with other content); the caller builds
them with :func:`graphmem.graph.builder.build_content`; :func:`resolve_upsert` then runs inside
the store's write transaction, checks the plan against the store as it is now, deletes the old
versions and resolves the new rows against the store as it stands after the deletes. A failure
anywhere before the commit rolls the deletes back with the rest: the old versions stay.

"Same content" means same text, title and metadata (key order aside): what a fresh add would
store. Re-upserting a stored document unchanged writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from graphmem.config import ChunkConfig, GraphConfig
from graphmem.embed import Embedder
from graphmem.errors import ConflictError, InputError, NotFoundError
from graphmem.graph.builder import (
    BatchContent,
    BuildTimings,
    PreparedDocument,
    document_id,
    prepare_document,
    resolve_batch,
    standings,
    stored_title,
    to_document,
)
from graphmem.graph.index import GraphIndex
from graphmem.ids import content_hash
from graphmem.store.base import DeleteReport, Store, WriteBatch
from graphmem.timeutil import to_timestamp
from graphmem.types import Document

__all__ = [
    "UpsertPlan",
    "document_fingerprint",
    "fingerprint",
    "for_update",
    "plan_upsert",
    "resolve_upsert",
    "stored_fingerprints",
]


def fingerprint(
    digest: str, title: str | None, metadata: Mapping[str, Any], time: float | None = None
) -> str:
    """What decides whether a stored document already is what a caller asks for: the text's
    hash, then ``:`` and a hash of the stored title, metadata (JSON, keys sorted) and stated
    time. Two fingerprints with the same part before ``:`` differ in those only."""
    fields: list[Any] = [title, dict(metadata)] + ([] if time is None else [time])
    extra = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return f"{digest}:{content_hash(extra)[:16]}"


def document_fingerprint(doc: Document) -> str:
    """The fingerprint a validated :class:`Document` will have once stored."""
    stated = None if doc.time is None else to_timestamp(doc.time)
    return fingerprint(content_hash(doc.text), stored_title(doc.title), doc.metadata, stated)


def stored_fingerprints(store: Store, doc_ids: Sequence[str]) -> dict[str, str]:
    """Fingerprints of the documents of ``doc_ids`` that are stored (one read)."""
    return {
        d.doc_id: fingerprint(d.content_hash, d.title, d.metadata, d.time)
        for d in store.documents(doc_ids)
    }


def for_update(doc_id: object, item: object) -> Document:
    """The document ``update(doc_id, item)`` stores: ``item`` (a text or a Document) with id
    ``doc_id``. A Document carrying another id is refused (which one was meant is unclear)."""
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise InputError(f"doc_id must be a non-empty string, got {doc_id!r}", source="update()")
    doc = to_document(item, "update()")
    if doc.id is not None and doc.id != doc_id:
        raise InputError(
            f"the document's id {doc.id!r} is not {doc_id!r}: give a Document without an id, "
            "or with the id it replaces",
            source="update()",
        )
    return to_document(replace(doc, id=doc_id), "update()")


@dataclass(frozen=True)
class UpsertPlan:
    """What an upsert call means, as read before any lock.

    ``ids``: every item's id, in input order (what the call returns). ``docs``: the documents to
    write, absent or stored with other content when planned; an id given more than once counts
    with its last item, at that item's place. ``seen``: the fingerprint each id of the call had
    when planned (None: not stored), checked again under the write lock."""

    ids: list[str]
    docs: list[PreparedDocument]
    seen: dict[str, str | None]

    @property
    def replaces(self) -> bool:
        """True when some document to write was stored (with other content) when planned."""
        return any(self.seen[d.doc_id] is not None for d in self.docs)


def plan_upsert(
    items: Iterable[object],
    store: Store,
    chunking: ChunkConfig,
    source: str,
    *,
    must_exist: bool = False,
) -> UpsertPlan:
    """Validate every item (InputError naming it), give each its id, and decide which need
    writing. ``must_exist``: an id that is not stored raises NotFoundError (``update``)."""
    docs = [to_document(item, f"{source} item {i}") for i, item in enumerate(items)]
    ids = [document_id(d) for d in docs]
    unique = list(dict.fromkeys(ids))
    stored = stored_fingerprints(store, unique)
    if must_exist:
        _check_stored(source, unique, stored)
    keys = [document_fingerprint(d) for d in docs]
    out: list[PreparedDocument] = []
    for doc, s in zip(docs, standings(ids, keys, stored, last_wins=True)):
        if not s.superseded and not s.unchanged:
            out.append(prepare_document(doc, s.doc_id, chunking))
    return UpsertPlan(ids, out, {doc_id: stored.get(doc_id) for doc_id in unique})


def resolve_upsert(
    plan: UpsertPlan,
    content: BatchContent,
    store: Store,
    index: GraphIndex,
    embedder: Embedder,
    graph: GraphConfig,
    timings: BuildTimings,
    source: str,
    *,
    must_exist: bool = False,
) -> tuple[WriteBatch, list[DeleteReport]]:
    """Inside :meth:`Store.writing`: delete the stored versions ``plan`` replaces and return
    the rows to write (the caller writes them in the same transaction) with what the deletes
    removed. Against the store as it is now: a document another writer stored meanwhile with
    the wanted content is left as it is, one stored with other content is replaced too, and
    one the plan left alone (unchanged) that changed since, or (``must_exist``) a document
    deleted since, fails the call with nothing written."""
    now = stored_fingerprints(store, list(plan.seen))
    if must_exist:
        _check_stored(source, list(plan.seen), now)
    wanted = {d.doc_id: fingerprint(d.content_hash, d.title, d.metadata, d.time) for d in plan.docs}
    for doc_id, before in plan.seen.items():
        if doc_id not in wanted and now.get(doc_id) != before:
            raise ConflictError(
                f"{source}: document {doc_id!r} was changed by another writer while this call "
                "was being built; nothing was written, call again"
            )
    deleted = [
        store.delete_document(doc_id)
        for doc_id, want in wanted.items()
        if now.get(doc_id) not in (None, want)
    ]
    batch = resolve_batch(content, store, index, embedder, graph, timings, source)
    timings.counts["replaced_documents"] = len(deleted)
    return batch, deleted


def _check_stored(source: str, doc_ids: Sequence[str], stored: Mapping[str, str]) -> None:
    for doc_id in doc_ids:
        if doc_id not in stored:
            raise NotFoundError(
                f"{source}: no document with id {doc_id!r} is stored (add() or upsert() adds one)"
            )
