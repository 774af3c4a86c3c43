"""Why a query retrieved what it did, per node: :class:`Trace`, built by :meth:`graphmem.Memory.trace`.

The explorer (viz, the server) shows a query's hits on the graph with the Personalized PageRank
mass of each node and the seeds the walk restarted from. :func:`trace_query` recomputes that
walk from the same index, seeds and config the retriever used for the hits (so the numbers are
the retriever's own), and names nodes as :meth:`graphmem.Memory.to_networkx` and
:meth:`graphmem.Memory.to_graph` do: ``"entity:<normalised name>"``, ``"passage:<chunk id>"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graphmem.export import ENTITY_PREFIX, PASSAGE_PREFIX
from graphmem.timeutil import to_datetime
from graphmem.types import Hit, SeedFact

if TYPE_CHECKING:
    from graphmem.config import RetrieveConfig
    from graphmem.graph.index import GraphIndex
    from graphmem.retrieve.mentions import QueryMentions
    from graphmem.retrieve.scope import Scope
    from graphmem.store.base import Store

__all__ = ["Trace", "trace_query"]


@dataclass(frozen=True)
class Trace:
    """One query's retrieval, explained per node.

    * ``hits``: what :meth:`~graphmem.Memory.retrieve` returns for the query, best first;
      ``ranks`` maps each hit's passage node to its rank (1 = best).
    * ``mode``: ``"ppr"`` (seeds were found and the walk ran), ``"dense"`` (no seed: passages
      ranked by cosine) or ``"empty"`` (nothing stored).
    * ``scores``: node -> PPR probability (``"dense"`` mode: passage -> cosine, no entities) for
      the ``keep`` best-scored entities and the ``keep`` best passages (positive scores only),
      every seed and every hit.
    * ``seed_entities``: entity node -> reset weight of the walk (fact- and name-linked seeds,
      heaviest first); an entity found in one passage only restarts from that passage instead,
      listed in ``seed_passages``.
    * ``seed_facts``: the linked facts (subject label, predicate, object label, score).
    """

    query: str
    mode: str
    hits: tuple[Hit, ...]
    ranks: Mapping[str, int]
    scores: Mapping[str, float]
    seed_entities: Mapping[str, float]
    seed_passages: frozenset[str]
    seed_facts: tuple[SeedFact, ...]

    @property
    def seeds(self) -> frozenset[str]:
        """Every node the walk restarted from: seed entities and seed passages."""
        return frozenset(self.seed_entities) | self.seed_passages


def trace_query(
    index: GraphIndex,
    store: Store,
    query: str,
    vector: np.ndarray,
    config: RetrieveConfig,
    top_k: int,
    keep: int,
    facts: tuple[np.ndarray, np.ndarray] | None = None,
    mentions: QueryMentions | None = None,
    scope: Scope | None = None,
) -> Trace:
    """The :class:`Trace` of ``query`` (embedded as ``vector``): its ``top_k`` hits ranked from
    ``index`` with ``config`` exactly as the retriever ranks them (given the same
    recognition-filtered ``facts`` and ``mentions``), and the walk behind them. Call it inside
    one store snapshot, so that the passages read match the index. ``scope``: as in
    :func:`graphmem.retrieve.retriever.rank_passages`."""
    from graphmem.retrieve.retriever import rank_passages, seed_query, walk_scores
    from graphmem.retrieve.scope import keeps_whole_prior

    if index.n_chunks == 0:
        return Trace(query, "empty", (), {}, {}, {}, frozenset(), ())
    n_e = index.n_entities
    ranked = rank_passages(index, query, vector, config, top_k, facts, mentions, scope)
    seeds = seed_query(index, query, vector, config, facts, mentions, scope)
    if seeds.reset is None:
        mode, scores = "dense", np.concatenate([np.zeros(n_e), seeds.dense])
    else:
        mode = "ppr"
        scores = walk_scores(index, seeds.reset, config, keeps_whole_prior(scope))
    seed_weights = dict(zip(seeds.entity_positions, (w for _, w in seeds.seed_entities)))
    lonely = [c for c in (int(index.lonely_passage[e]) for e in seed_weights) if c >= 0]
    entities = sorted(set(_top(scores[:n_e], keep).tolist()) | set(seed_weights))
    hit_chunks = [r.chunk for r in ranked]
    passages = sorted(set(_top(scores[n_e:], keep).tolist()) | set(lonely) | set(hit_chunks))
    records = store.passages([int(index.chunks.ids[c]) for c in passages])
    record = {c: records[int(index.chunks.ids[c])] for c in passages}  # one snapshot: all there
    hits = tuple(
        Hit(
            rec.doc_id, rec.chunk_id, rec.text, r.score, rec.metadata, r.explanation,
            to_datetime(rec.time), store.namespace,
        )
        for r in ranked
        for rec in (record[r.chunk],)
    )
    out = {ENTITY_PREFIX + index.entity_names[e]: float(scores[e]) for e in entities}
    out.update((PASSAGE_PREFIX + record[c].chunk_id, float(scores[n_e + c])) for c in passages)
    return Trace(
        query,
        mode,
        hits,
        {PASSAGE_PREFIX + h.chunk_id: r for r, h in enumerate(hits, 1)},
        out,
        {ENTITY_PREFIX + index.entity_names[e]: w for e, w in seed_weights.items()},
        frozenset(PASSAGE_PREFIX + record[c].chunk_id for c in lonely),
        seeds.seed_facts,
    )


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest positive scores (ties: any of them)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    return positive
