"""The growing arrays behind :class:`graphmem.graph.index.GraphIndex`: :class:`Rows` (a 2-D
array that grows without copying), :class:`Table` (a store table's ids and vectors, kept in
step with the store) and :func:`append_edges`."""

from __future__ import annotations

import sys

import numpy as np

from graphmem.store.base import EdgeRows

__all__ = ["Rows", "Table", "append_edges"]


class Rows:
    """A 2-D array that grows at the end without copying what it holds each time: rows live in a
    buffer with spare room, and :attr:`view` shows the rows held. Why: an add of a few rows
    used to ``vstack`` every stored vector (58k entity vectors, ~40 ms on the 2Wiki store).
    A view handed out earlier stays valid: new rows are written past its end only."""

    def __init__(self, array: np.ndarray):
        self._buf = array
        self.view = array

    def extend(self, more: np.ndarray) -> np.ndarray:
        """``view`` with ``more`` appended. The first rows given to an empty buffer are held as
        they are, no copy (a cold open loads every vector at once), with the spare rows of the
        array they head when they head one that nothing else refers to (no other view of it
        exists: :func:`graphmem.store.base.rows_and_vectors`); which is why ``more`` must not
        be written to afterwards. Later rows are copied into spare room."""
        n, k = len(self.view), len(more)
        if k and n == 0 and more.flags.c_contiguous and more.flags.writeable:
            base = more.base
            self._buf = more
            if (
                isinstance(base, np.ndarray) and base.flags.c_contiguous and base.dtype == more.dtype
                and base.shape[1:] == more.shape[1:] and len(base) >= k
                and base.ctypes.data == more.ctypes.data
                # referred to by ``more``, ``base`` and the call's argument only: no other view
                and sys.getrefcount(base) <= 3
            ):
                self._buf = base
            self.view = more
        elif k:
            if (
                len(self._buf) < n + k
                or self._buf.dtype != more.dtype
                or self._buf.shape[1:] != more.shape[1:]
            ):
                buf = np.empty((n + k + max(k, (n + k) // 8), *more.shape[1:]), dtype=more.dtype)
                buf[:n] = self.view
                self._buf = buf
            self._buf[n : n + k] = more
            self.view = self._buf[: n + k]
        return self.view

    def replace(self, array: np.ndarray) -> np.ndarray:
        """Hold ``array`` instead (after rows were dropped)."""
        self._buf = self.view = array
        return array


class Table:
    """Rows of one store table held in memory, ordered by (never reused) integer id."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray):
        self.ids = ids
        self._rows = Rows(vectors)

    @property
    def vectors(self) -> np.ndarray:
        return self._rows.view

    @classmethod
    def empty(cls, dim: int) -> Table:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32))

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Row positions of ``ids`` (which must all be present)."""
        return np.searchsorted(self.ids, ids)

    def sync(self, alive: np.ndarray) -> np.ndarray | None:
        """Drop rows whose id is no longer alive; returns the keep mask, or None if nothing changed."""
        if len(alive) == len(self.ids) and np.array_equal(alive, self.ids):
            return None
        keep = np.isin(self.ids, alive, assume_unique=True)
        if keep.all():
            return None
        self.ids = self.ids[keep]
        self._rows.replace(self.vectors[keep])
        return keep

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.ids = np.concatenate([self.ids, ids])
            self._rows.extend(vectors)


def append_edges(old: EdgeRows | None, new: EdgeRows | None) -> EdgeRows:
    """``old`` followed by ``new`` (either may be None: no edges). Edges loaded after some ids
    sort after those loaded before (see :meth:`Store.load_edges`), so the result is what one
    load of everything returns."""
    parts = [e for e in (old, new) if e is not None]
    pairs = np.zeros((0, 2), dtype=np.int64)

    def cat(name: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([empty] + [getattr(e, name) for e in parts])

    return EdgeRows(
        fact_sources=cat("fact_sources", pairs),
        mentions=cat("mentions", pairs),
        synonyms=cat("synonyms", pairs),
        synonym_scores=cat("synonym_scores", np.zeros(0)),
        conflicts=cat("conflicts", pairs),
    )
