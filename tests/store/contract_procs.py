"""Child processes of the contract tests (module level, so ``spawn`` can import them)."""

from __future__ import annotations

import time

import numpy as np

from graphmem.store.base import NewChunk, NewDocument, NewEntity, WriteBatch
from graphmem.store.open import open_store


def one_document(doc_id: str, dim: int) -> WriteBatch:
    """A batch of one document with one passage mentioning one new entity."""
    v = np.full(dim, 0.1, dtype=np.float32)
    return WriteBatch(
        documents=[NewDocument(doc_id, f"hash-{doc_id}", None, {})],
        chunks=[NewChunk(f"{doc_id}#0", doc_id, 0, f"Text of {doc_id}.", v)],
        entities=[NewEntity(f"entity of {doc_id}", f"Entity of {doc_id}", "ENT", v)],
        mentions=[(f"{doc_id}#0", f"entity of {doc_id}")],
    )


def write_and_hang(location: str, dim: int, out) -> None:  # pragma: no cover - child process
    """Write a batch inside an open write transaction, say so, and wait to be killed."""
    store = open_store(location)
    with store.writing():
        store.write(one_document("killed", dim))
        out.put("wrote")
        time.sleep(120)


def shared_entity_batch(doc_id: str, dim: int, shared: int) -> WriteBatch:
    """One document whose passage mentions its own entity and ``shared`` entities every
    writer also writes (the unique constraint must keep one row of each)."""
    batch = one_document(doc_id, dim)
    v = np.full(dim, 0.2, dtype=np.float32)
    for i in range(shared):
        batch.entities.append(NewEntity(f"shared {i}", f"Shared {i}", "ENT", v))
        batch.mentions.append((f"{doc_id}#0", f"shared {i}"))
    return batch


def write_many(location: str, prefix: str, n: int, start, out) -> None:  # pragma: no cover
    """After ``start``: ``n`` write transactions, each checking which of its two documents (one
    of its own, one every writer writes) is stored and writing the rest with shared entities."""
    store = open_store(location)
    try:
        start.wait()
        for i in range(n):
            with store.writing():
                wanted = [f"{prefix}{i}", f"common{i}"]
                stored = store.document_hashes(wanted)
                for doc_id in wanted:
                    if doc_id not in stored:
                        store.write(shared_entity_batch(doc_id, 8, 3))
        out.put(None)
    except Exception as exc:  # noqa: BLE001 - any error is reported to the test process
        out.put(f"{type(exc).__name__}: {exc}")
    finally:
        store.close()
