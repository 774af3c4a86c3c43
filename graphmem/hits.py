"""From ranked passage positions to :class:`graphmem.Hit` objects, and the LLM recognition
filter's choice of linked facts: the parts of a retrieval between the retriever's pure
functions and the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from graphmem.config import RetrieveConfig
from graphmem.graph.index import GraphIndex
from graphmem.retrieve.retriever import RankedPassage, candidate_facts, fact_triples
from graphmem.retrieve.scope import Scope
from graphmem.store.base import Store
from graphmem.timeutil import to_datetime
from graphmem.types import Hit

if TYPE_CHECKING:
    from graphmem.llm.client import LLMClient

__all__ = ["hits_for", "recognized_facts"]


def hits_for(
    index: GraphIndex, store: Store, rank: Callable[[int], list[RankedPassage]], top_k: int
) -> list[Hit]:
    """The ``top_k`` best ranked passages still stored, each paired with its own text by id.
    A passage deleted since the index was read is dropped and the next one fills its place
    (inside one snapshot none is, but the pairing never relies on that)."""
    want = top_k
    while True:
        ranked = rank(want)
        records = store.passages([int(index.chunks.ids[r.chunk]) for r in ranked])
        hits = [
            Hit(
                rec.doc_id, rec.chunk_id, rec.text, r.score, rec.metadata, r.explanation,
                to_datetime(rec.time), store.namespace,
            )
            for r in ranked
            if (rec := records.get(int(index.chunks.ids[r.chunk]))) is not None
        ]
        if len(hits) >= top_k or want >= index.n_chunks:
            return hits[:top_k]
        want = min(2 * want, index.n_chunks)


def recognized_facts(
    client: LLMClient | None,
    index: GraphIndex,
    queries: Sequence[str],
    vectors: np.ndarray,
    config: RetrieveConfig,
    scope: Scope | None,
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """HippoRAG 2's recognition memory: with an LLM, it keeps at most four of each query's
    ``linking_top_k`` linked facts (facts that hold in ``scope``). None per query without an
    LLM or when its reply was unusable: then facts are kept by score in the retriever."""
    if client is None or index.n_facts == 0:
        return [None] * len(queries)
    from graphmem.llm.qa import recognize_facts

    valid = None if scope is None else scope.valid_facts
    linked = [candidate_facts(index, v, config, valid) for v in vectors]
    kept = recognize_facts(client, queries, [fact_triples(index, ids) for ids, _ in linked])
    return [None if k is None else (ids[k], scores[k]) for (ids, scores), k in zip(linked, kept)]
