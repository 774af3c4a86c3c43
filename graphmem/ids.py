"""Content-hash identifiers. Re-adding the same text yields the same ids, which makes it a no-op."""

from __future__ import annotations

import hashlib


def content_hash(text: str) -> str:
    """SHA-256 of the UTF-8 text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def doc_id_for(text: str) -> str:
    """Default document id: ``doc-`` plus the first 16 hex digits of the content hash."""
    return "doc-" + content_hash(text)[:16]


def chunk_id_for(doc_id: str, position: int) -> str:
    """Passage id: the document id and the passage's position in it."""
    return f"{doc_id}#{position}"
