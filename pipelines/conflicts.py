"""Sorting a batch's records before any model work: new, stored unchanged, or in conflict.

A record is in conflict when its id is already taken, stored or earlier in the input, by a
document with other content (text, title or metadata: what :meth:`graphmem.Memory.upsert`
compares). What the job does with it is ``IngestConfig.on_conflict``:

* ``"error"`` (the default): stop before the record's batch. Batches before it stay committed,
  nothing of it is written, the job fails naming the record (CLI: exit status 1). An edited
  record is either an intended update or two records colliding on one id; the job cannot tell
  which, and guessing either way loses something (the edit, or a document), so it asks.
* ``"skip"``: report it as a bad record (``FILE:LINE: document 'x' is already stored ...``)
  and keep what is stored; the job completes (exit status 0; ``--strict`` stops on it).
* ``"replace"``: write it with :meth:`graphmem.Memory.upsert`, replacing the stored version in
  the batch's transaction. An id given twice in the input ends with its last record: within a
  batch the earlier record is skipped before extraction; across batches each replaces the one
  before (so a rerun replays them, ending the same).

A record without an id is named by its text (a content hash): a repeat of a stored text is the
same document and is skipped, whatever its title or metadata, in every mode.

Resuming is unaffected: every decision is made against the store and the input alone, so a
rerun after a crash skips what the interrupted run committed (stored with the record's content)
and settles the rest as the uninterrupted run would have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from graphmem.graph.builder import document_id, standings
from graphmem.graph.update import document_fingerprint, stored_fingerprints
from graphmem.store.base import Store
from graphmem.types import Document
from pipelines.config import OnConflict
from pipelines.sources import BadRecord, Record

__all__ = ["SortedBatch", "conflict_stop", "sort_batch"]


@dataclass
class SortedBatch:
    """A batch's records sorted. ``docs``: the documents to write, by id, in input order;
    ``fingerprints``: what each of them will be stored as; ``added``/``replaced``: records
    that are new, that replace a document of their id (stored, or in an earlier batch);
    ``skipped``: records stored unchanged (or, replacing, superseded by a later record of
    their id in the batch); ``conflicts``: records refused (not ``"replace"``), with why."""

    docs: dict[str, Document] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    added: int = 0
    replaced: int = 0
    skipped: int = 0
    conflicts: list[tuple[Record, str]] = field(default_factory=list)


def sort_batch(
    records: Sequence[Record], store: Store, in_flight: Mapping[str, str], on_conflict: OnConflict
) -> SortedBatch:
    """Sort ``records`` against the store (one read), the batches planned but not committed
    yet (``in_flight``: id -> fingerprint) and the batch itself."""
    ids = [document_id(r.document) for r in records]
    digests = [document_fingerprint(r.document) for r in records]
    known = {**stored_fingerprints(store, ids), **in_flight}  # a batch not committed is newer
    # replace: only the last record of an id in the batch is written, the earlier ones are
    # superseded (skipped), so a rerun compares that one with the store and writes nothing
    standing = standings(ids, digests, known, last_wins=on_conflict == "replace")
    out = SortedBatch()
    for rec, s in zip(records, standing):
        if s.superseded or (s.previous is not None and (s.unchanged or rec.document.id is None)):
            out.skipped += 1
            continue
        if s.previous is not None and on_conflict != "replace":
            out.conflicts.append((rec, _reason(s.doc_id, s.previous, s.key, on_conflict)))
            continue
        if s.previous is None:
            out.added += 1
        else:
            out.replaced += 1
        out.docs[s.doc_id] = rec.document
        out.fingerprints[s.doc_id] = s.key
    return out


def _reason(doc_id: str, previous: str, digest: str, on_conflict: OnConflict) -> str:
    same_text = previous.split(":")[0] == digest.split(":")[0]
    what = "the same text but another title or metadata" if same_text else "different text"
    reason = f"document {doc_id!r} is already stored (or earlier in the input) with {what}"
    if on_conflict == "skip":
        return f"{reason}; skipped, the earlier one kept (--on-conflict replace replaces it)"
    return reason


def conflict_stop(rec: Record, reason: str) -> str:
    """Why an ``on_conflict="error"`` job stopped, naming the record."""
    return (
        f"{BadRecord(rec.source, rec.line, reason)} (--on-conflict error: stopped before this "
        "record's batch; --on-conflict replace replaces the stored document, skip keeps it)"
    )
