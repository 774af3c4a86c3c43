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
        mentions=[(f"{doc_id}#0", f"entity of {doc_id}", 1)],
    )


def write_and_hang(location: str, dim: int, out) -> None:  # pragma: no cover - child process
    """Write a batch inside an open write transaction, say so, and wait to be killed."""
    store = open_store(location)
    with store.writing():
        store.write(one_document("killed", dim))
        out.put("wrote")
        time.sleep(120)
