"""Every passage's dense score for a query: the float32 scan, or int8 codes with the best
rescored exactly in a large memory.

The walk needs every passage's cosine (its reset vector seeds each passage by its min-max dense
score), so this is a scan of all passage vectors, bound by reading them: 1.5 GB of float32 at
10^6 passages. From ``RetrieveConfig.int8_dense_min_rows`` passages on it reads int8 codes
instead (:class:`graphmem.graph.quantize.TableCodes`, a quarter of the bytes; scores within
~2.5e-3 of exact on unit vectors), then rescores in float32 every passage within
:data:`RESCORE_MARGIN` of the best code score, so the best passages (whose scores the ranking
compares: dense's pin of its top passage, the hits' explanations) carry exact cosines and only
the tail, which enters the walk as a small seed weight, is approximate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from graphmem.config import RetrieveConfig
from graphmem.graph.index import GraphIndex

__all__ = ["RESCORE_MARGIN", "dense_scores", "start_dense_scores"]

#: Passages whose code score is at least the best one less this are rescored exactly. Four
#: times the largest code error measured (2.4e-3 on 10^6 seeded unit rows of 384 dimensions),
#: so the exact best and runner-up are always among them.
RESCORE_MARGIN = 0.01


def dense_scores(index: GraphIndex, query: np.ndarray, config: RetrieveConfig) -> np.ndarray:
    """Cosine of ``query`` (unit, float32) with every passage of ``index``, as float64."""
    # one-core numba kernels, not numpy's BLAS: see graphmem.retrieve._scoring
    from graphmem.retrieve._scoring import f32_scores, int8_scores

    codes = index.passage_codes(config.int8_dense_min_rows)
    if codes is None:
        return f32_scores(index.chunks.vectors, query).astype(np.float64)
    if len(codes.codes) >= config.split_dense_min_rows:
        scores = _int8_scores_split(codes.codes, codes.scales, query)
    else:
        scores = int8_scores(codes.codes, codes.scales, query).astype(np.float64)
    best = np.flatnonzero(scores >= scores.max() - RESCORE_MARGIN)
    scores[best] = f32_scores(index.chunks.vectors[best], query)
    return scores


def _int8_scores_split(codes: np.ndarray, scales: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``int8_scores`` of the first half of the rows here and of the second on a thread of its
    own (the kernel releases the GIL); the same numbers, as float64."""
    from graphmem.retrieve._scoring import int8_scores

    half = len(codes) // 2
    out = np.empty(len(codes), dtype=np.float64)
    second = _on_thread(lambda: int8_scores(codes[half:], scales[half:], query), "graphmem-dense-half")
    try:
        out[:half] = int8_scores(codes[:half], scales[:half], query)
    finally:
        out[half:] = second()  # joined even when the first half failed
    return out


def _on_thread(fn: Callable[[], np.ndarray], name: str) -> Callable[[], np.ndarray]:
    """``fn()`` begun now on a daemon thread; the function returned joins it and gives its
    result, or raises its error in the caller's thread."""
    done: dict[str, object] = {}

    def run() -> None:
        try:
            done["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
            done["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()

    def wait() -> np.ndarray:
        worker.join()
        if "error" in done:
            raise done["error"]  # type: ignore[misc]
        return done["value"]  # type: ignore[return-value]

    return wait


def start_dense_scores(
    index: GraphIndex, query: np.ndarray, config: RetrieveConfig
) -> Callable[[], np.ndarray]:
    """:func:`dense_scores`, begun now and returned by the function this gives.

    In a memory of ``config.int8_dense_min_rows`` passages or more the scan runs on a thread of
    its own (the kernel releases the GIL) while the caller links the query's facts and
    entities, which do not need it, so a query uses the second core for what was the longest
    of its steps before the walk; in a smaller memory a thread costs more than it saves, and
    the scan runs here at once. An error in the scan is raised by the returned function."""
    if index.passage_codes(config.int8_dense_min_rows) is None:
        scores = dense_scores(index, query, config)
        return lambda: scores
    return _on_thread(lambda: dense_scores(index, query, config), "graphmem-dense-scan")
