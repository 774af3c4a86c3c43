"""Int8 quantisation of embedding rows, built with the index at refresh and read by the int8
scoring kernels of :mod:`graphmem.retrieve._scoring`."""

from __future__ import annotations

import numpy as np


def quantize_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-row int8 quantisation: ``vectors ≈ codes * scales[:, None]``."""
    if len(vectors) == 0:
        return np.zeros(vectors.shape, dtype=np.int8), np.zeros(0, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales
