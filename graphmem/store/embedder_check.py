"""The embedder check both stores share: a store records the embedding model that built it on
first use and refuses another one (name or vector size) afterwards, so vectors of two models are
never mixed in one index."""

from __future__ import annotations

from collections.abc import Callable

from graphmem.errors import EmbedderMismatchError
from graphmem.store.base import Store

__all__ = ["check_embedder"]


def check_embedder(
    store: Store, name: str, dim: int | None, record: Callable[[str, int], None]
) -> None:
    """Compare ``name`` and ``dim`` with what ``store`` recorded; record them when it recorded
    none (``record`` inserts both keys unless present: the first writer wins, and a model
    another process recorded meanwhile is compared again). ``dim=None`` checks the name only."""
    stored_name, stored_dim = store.meta("embedder_name"), store.meta("embedder_dim")
    if stored_name is not None and stored_name != name:
        raise EmbedderMismatchError(
            f"store {store.location} was built with embedder {stored_name!r} "
            f"(dim {stored_dim}); refusing to open it with {name!r}"
        )
    if dim is None:
        return
    if stored_dim is not None and int(stored_dim) != dim:
        raise EmbedderMismatchError(
            f"store {store.location} holds {stored_dim}-dim vectors from {stored_name!r}; "
            f"embedder {name!r} makes {dim}-dim vectors"
        )
    if (stored_name is None or stored_dim is None) and not store.readonly:
        record(name, dim)
        if store.meta("embedder_name") != name:  # another process recorded another model
            check_embedder(store, name, dim, record)
