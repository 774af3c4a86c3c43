"""The dense-retrieval baseline: documents by the cosine of their best passage alone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphmem.graph.index import GraphIndex
from graphmem.retrieve.retriever import demoted
from graphmem.retrieve.scope import Scope

__all__ = ["dense_documents"]


def dense_documents(
    index: GraphIndex,
    chunk_docs: Sequence[str],
    vectors: np.ndarray,
    top_k: int,
    scope: Scope | None = None,
) -> list[list[str]]:
    """Ids of the ``top_k`` documents nearest each query vector, best first: a document scores
    as its best passage, ties go to the older passage. ``scope`` restricts the passages (its
    outdated-fact demotion is not applied: the baseline knows no facts)."""
    # the retriever's one-core kernel, not numpy's BLAS: OpenBLAS threads spinning after a
    # product fought torch's threads and made each query several times slower
    from graphmem.retrieve._scoring import f32_scores  # numba: loaded on first use

    plain = None if scope is None else Scope(
        scope.at, scope.existing, scope.eligible, scope.valid_facts, scope.outdated, 1.0
    )
    out: list[list[str]] = []
    for q in vectors:
        row = demoted(f32_scores(index.chunks.vectors, np.ascontiguousarray(q, dtype=np.float32)), plain)
        docs: dict[str, None] = {}
        for c in np.argsort(-row, kind="stable").tolist():
            if not np.isfinite(row[c]):
                break
            docs.setdefault(chunk_docs[c], None)
            if len(docs) == top_k:
                break
        out.append(list(docs))
    return out
