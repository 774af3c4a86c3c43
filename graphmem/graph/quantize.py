"""Int8 quantisation of embedding rows, built with the index at refresh and read by the int8
scoring kernels of :mod:`graphmem.retrieve._scoring`."""

from __future__ import annotations

import numpy as np

from graphmem.graph.tables import Rows

_ROWS = 8192  # rows quantised at a time: the float temporaries stay small and are reused


def quantize_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-row int8 quantisation: ``vectors ≈ codes * scales[:, None]``.

    In blocks of rows, so the only large allocation is the codes: the whole-matrix version made
    three float32 temporaries of the input's size, and first touches of fresh memory are slow
    (on the project's VM, a large part of a 10^5-passage memory's cold open)."""
    if len(vectors) == 0:
        return np.zeros(vectors.shape, dtype=np.int8), np.zeros(0, dtype=np.float32)
    codes = np.empty(vectors.shape, dtype=np.int8)
    scales = np.empty(len(vectors), dtype=np.float32)
    for at in range(0, len(vectors), _ROWS):
        block = vectors[at : at + _ROWS]
        peak = np.abs(block).max(axis=1)
        scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        scales[at : at + len(block)] = scale
        codes[at : at + len(block)] = np.clip(np.rint(block / scale[:, None]), -127, 127)
    return codes, scales


class TableCodes:
    """Int8 codes of a table's rows kept in step with it by id (ids ascending, never reused):
    :meth:`sync` drops the codes of rows no longer held and quantises only the rows appended
    since, so a refresh after an add costs the new rows, not the table."""

    def __init__(self, dim: int):
        self.ids = np.zeros(0, dtype=np.int64)
        self._codes = Rows(np.zeros((0, dim), dtype=np.int8))
        self.scales = np.zeros(0, dtype=np.float32)

    @property
    def codes(self) -> np.ndarray:
        return self._codes.view

    def sync(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Bring the codes up to the table (``ids``, ``vectors`` its rows)."""
        n = len(self.ids)
        if n and (len(ids) < n or not np.array_equal(ids[:n], self.ids)):
            keep = np.isin(self.ids, ids, assume_unique=True)
            self.ids = self.ids[keep]
            self._codes.replace(self.codes[keep])
            self.scales = self.scales[keep]
            n = len(self.ids)
        if len(ids) > n:
            codes, scales = quantize_rows(vectors[n:])
            self._codes.extend(codes)
            self.ids = np.concatenate([self.ids, ids[n:]])
            self.scales = np.concatenate([self.scales, scales])
