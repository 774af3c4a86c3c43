"""Query → seeds → Personalized PageRank → ranked passages (DESIGN.md §4, HippoRAG 2).

:func:`rank_passages` is a pure function of the index arrays, the query and the config; the
facade turns its output into :class:`graphmem.Hit` objects with text and metadata.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from graphmem.config import RetrieveConfig
from graphmem.graph.index import NOUN_PHRASE, GraphIndex
from graphmem.retrieve.dense_scan import start_dense_scores
from graphmem.retrieve.fusion import fuse, hub_factor, is_numeric_entity, pin_dense_top
from graphmem.retrieve.intent import answering_passages, relation_cues
from graphmem.retrieve.linking import (
    link_facts_ann,
    link_facts_quantized,
    link_query_entities,
    min_max,
    top_k_indices,
)
from graphmem.retrieve.local_walk import local_walk_scores
from graphmem.retrieve.mentions import QueryMentions, fuzzy_link
from graphmem.retrieve.ppr import personalized_pagerank, personalized_pagerank_cg
from graphmem.retrieve.scope import Scope, keeps_whole_prior, outdated_facts
from graphmem.types import Explanation, SeedFact


@dataclass(frozen=True)
class RankedPassage:
    """A passage position in the index, its score and why it ranks there."""

    chunk: int
    score: float
    explanation: Explanation


def entity_seeds(
    index: GraphIndex,
    fact_ids: np.ndarray,
    fact_scores: np.ndarray,
    linked_entities: list[int],
    max_seeds: int,
    config: RetrieveConfig | None = None,
    fuzzy: Sequence[tuple[int, float]] = (),
) -> dict[int, float]:
    """Entity seed weights: a fact's score / passages mentioning the entity (HippoRAG 2), the best
    value per entity; query-linked named entities get 1 / passages (an exact name match counts as
    a top fact), and ``fuzzy`` ones (entity, cosine), linked by embedding
    (:mod:`graphmem.retrieve.mentions`), cosine / passages. ``config``'s
    ``fact_seed_scale`` multiplies the fact-derived weights;
    ``hub_damping``, ``numeric_seed_scale`` and
    ``noun_phrase_seed_scale`` then adjust each
    weight (``config=None``: the plain HippoRAG 2 weights, no adjustment). Only the
    ``max_seeds`` heaviest entities are kept."""
    counts = index.entity_passage_counts
    fact_scale = config.fact_seed_scale if config is not None else 1.0
    weights: dict[int, float] = {}
    for f, score in zip(fact_ids, fact_scores):
        for e in (int(index.fact_subject[f]), int(index.fact_object[f])):
            w = fact_scale * float(score) / max(int(counts[e]), 1)
            if w > weights.get(e, 0.0):
                weights[e] = w
    linked = [(e, 1.0) for e in linked_entities]
    for e, sim in [*linked, *fuzzy]:
        w = sim / max(int(counts[e]), 1)
        if w > weights.get(e, 0.0):
            weights[e] = w
    if config is not None and (
        config.hub_damping or config.numeric_seed_scale != 1.0 or config.noun_phrase_seed_scale != 1.0
    ):
        for e in weights:
            if config.hub_damping:
                weights[e] *= hub_factor(int(counts[e]))
            kind = index.entity_kinds[e]
            if is_numeric_entity(index.entity_names[e], kind):
                weights[e] *= config.numeric_seed_scale
            elif kind == NOUN_PHRASE:
                weights[e] *= config.noun_phrase_seed_scale
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    return {e: w for e, w in ranked[:max_seeds] if w > 0}


@dataclass(frozen=True)
class Seeds:
    """What a query links to: the PPR reset vector (None when no entity was linked), the seeds
    behind it and the dense passage scores."""

    reset: np.ndarray | None
    dense: np.ndarray
    fact_ids: np.ndarray
    seed_facts: tuple[SeedFact, ...]
    seed_entities: tuple[tuple[str, float], ...]
    entity_positions: tuple[int, ...] = ()  # index positions of seed_entities, same order
    named: tuple[int, ...] = ()  # entities the query names (exact or fuzzy links)


def passage_prior(
    index: GraphIndex, query: str, dense: np.ndarray, config: RetrieveConfig
) -> np.ndarray:
    """Each passage's weight in the reset vector before ``passage_node_weight``: its min-max
    dense score (HippoRAG 2), mixed with its min-max BM25 score by ``lexical_weight``
    (``dialogue_lexical_weight`` for conversation turns) when the index has its lexical part
    (:meth:`GraphIndex.enable_lexical`)."""
    prior = min_max(dense)
    if not mixes_lexical(index, config):
        return prior
    lexical = index.lexical.scores(query)
    if lexical.max(initial=0.0) <= 0:  # no shared word: nothing to mix in
        return prior
    w = np.where(index.chunk_dialogue, config.dialogue_lexical_weight, config.lexical_weight)
    return (1.0 - w) * prior + w * min_max(lexical)


def mixes_lexical(index: GraphIndex, config: RetrieveConfig) -> bool:
    """Whether :func:`passage_prior` mixes BM25 in (else it is the dense min-max alone)."""
    return index.lexical is not None and wants_lexical(index, config)


def wants_lexical(index: GraphIndex, config: RetrieveConfig) -> bool:
    """Whether ranking in ``index`` with ``config`` mixes in BM25 for any passage."""
    return config.lexical_weight > 0 or (
        config.dialogue_lexical_weight > 0 and bool(index.chunk_dialogue.any())
    )


def candidate_facts(
    index: GraphIndex,
    query_vector: np.ndarray,
    config: RetrieveConfig,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``linking_top_k`` facts closest to the query and their min-max scores, best first:
    what a recognition filter (an LLM) chooses from. ``valid`` (bool per fact, e.g.
    :attr:`Scope.valid_facts`) leaves the other facts out. From ``config.ann_min_rows`` facts
    on, through the index's ANN graph (exact scores, approximate recall), else by the int8 scan."""
    q = np.ascontiguousarray(query_vector, dtype=np.float32)
    ann = index.ann("facts", config.ann_min_rows)
    if ann is not None:  # a large memory: candidates from the ANN graph, rescored exactly
        linked = link_facts_ann(
            ann, index.facts.ids, index.facts.vectors, q, config.linking_top_k, allowed=valid
        )
        if linked is not None:
            return linked
    return link_facts_quantized(
        index.fact_codes, index.fact_scales, index.facts.vectors, q, config.linking_top_k,
        allowed=valid,
    )


def fact_triples(index: GraphIndex, fact_ids: np.ndarray) -> list[tuple[str, str, str]]:
    """(subject label, predicate, object label) of fact positions, as shown to a filter."""
    return [index.fact_triple(int(f)) for f in fact_ids]


def seed_query(
    index: GraphIndex,
    query: str,
    query_vector: np.ndarray,
    config: RetrieveConfig,
    facts: tuple[np.ndarray, np.ndarray] | None = None,
    mentions: QueryMentions | None = None,
    scope: Scope | None = None,
) -> Seeds:
    """Steps 1–3 of DESIGN.md §4: link facts and entities, build the reset vector.

    ``facts`` are linked facts already chosen by a recognition filter (positions and scores from
    :func:`candidate_facts`); without them the facts are linked here and kept by
    ``config.fact_score_floor``. ``mentions`` (from :func:`graphmem.retrieve.mentions.
    parse_mentions`) link by embedding when ``config.fuzzy_link_threshold`` is finite.
    ``scope`` leaves out facts that do not hold at its moment and passages that do not exist
    then (:mod:`graphmem.retrieve.scope`)."""
    n_e, n_c = index.n_entities, index.n_chunks
    q = np.ascontiguousarray(query_vector, dtype=np.float32)
    dense_of = start_dense_scores(index, q, config)  # on another thread in a large memory
    if facts is None:
        fact_ids, fact_scores = candidate_facts(
            index, q, config, None if scope is None else scope.valid_facts
        )
        kept = fact_scores >= config.fact_score_floor
        fact_ids, fact_scores = fact_ids[kept], fact_scores[kept]
    else:
        fact_ids, fact_scores = facts
    linked = (
        link_query_entities(query, index.named, config.link_max_ngram)
        if config.link_query_entities
        else []
    )
    fuzzy: list[tuple[int, float]] = []
    if mentions is not None and config.link_query_entities and config.fuzzy_link_threshold <= 1:
        fuzzy = fuzzy_link(index, mentions, config.fuzzy_link_threshold, config.ann_min_rows)
    seeds = entity_seeds(
        index, fact_ids, fact_scores, linked, config.max_seed_entities, config, fuzzy
    )
    seed_facts = tuple(
        SeedFact(sub, pred, obj, round(float(score), 6))
        for (sub, pred, obj), score in zip(fact_triples(index, fact_ids), fact_scores)
    )
    seed_entities = tuple((index.entity_labels[e], round(w, 6)) for e, w in seeds.items())
    dense = dense_of()
    reset = None
    if seeds:
        from graphmem.retrieve._scoring import scaled_min_max  # numba: imported on first use

        reset = np.empty(n_e + n_c)
        reset[:n_e] = 0.0
        if not mixes_lexical(index, config):
            scaled_min_max(dense, config.passage_node_weight, reset[n_e:])
        else:
            reset[n_e:] = passage_prior(index, query, dense, config) * config.passage_node_weight
        for e, w in seeds.items():
            home = index.lonely_passage[e]
            reset[e if home < 0 else n_e + home] += w
        if scope is not None and scope.existing is not None:
            reset[n_e:][~scope.existing] = 0.0
            if not reset.any():
                reset = None
    named = tuple(dict.fromkeys([*linked, *(e for e, _ in fuzzy)]))
    return Seeds(reset, dense, fact_ids, seed_facts, seed_entities, tuple(seeds), named)


def walk_scores(
    index: GraphIndex, reset: np.ndarray, config: RetrieveConfig, whole_prior: bool = True
) -> np.ndarray:
    """PPR scores of every node for ``reset`` (entities then passages): solved exactly over the
    whole graph, or, on a graph of at least ``config.local_ppr_min_nodes`` nodes (when set), by
    local push from the entity seeds and the ``config.local_ppr_passages`` best passage seeds,
    whose cost does not grow with the graph, with the other passages' prior folded back in
    (:mod:`graphmem.retrieve.local_walk`; ``whole_prior`` False, when a scope zeroed passages
    of the reset, only drops them).

    The exact solve eliminates low-degree nodes first (:func:`personalized_pagerank`), which
    needs a build per graph. With ``config.defer_elimination`` a graph refreshed after a write
    solves by plain conjugate gradients until those solves have cost what the build is expected
    to beyond eliminated solves (:mod:`graphmem.graph.deferral`); both solvers meet ``tol``."""
    t = index.transition
    if config.local_ppr_min_nodes is None or t.n < config.local_ppr_min_nodes:
        deferral = t.deferral
        if config.defer_elimination and deferral.deferring(config.damping):
            started = time.perf_counter()
            scores = personalized_pagerank_cg(
                t, reset, damping=config.damping, tol=config.tol, max_iter=config.max_iter
            )
            deferral.record_deferred(config.damping, time.perf_counter() - started)
            return scores
        built = t.has_elimination(config.damping)
        started = time.perf_counter()
        scores = personalized_pagerank(
            t, reset, damping=config.damping, tol=config.tol, max_iter=config.max_iter
        )
        if built:  # a solve alone, not its build: what the next graph's deferral weighs
            deferral.record_solve(config.damping, time.perf_counter() - started)
        return scores
    return local_walk_scores(t, reset, index.n_entities, config, tail=whole_prior)


def answers_of(index: GraphIndex, query: str, seeds: Seeds, scope: Scope | None) -> np.ndarray | None:
    """Passages that answer the single-valued relation ``query`` asks for about an entity it
    names (:mod:`graphmem.retrieve.intent`), or None."""
    temporal = index.temporal
    if not temporal.enabled or temporal.answer_scale == 1.0 or not seeds.named:
        return None
    asked = relation_cues(tuple(temporal.single_valued)).asked(query)
    holding = index.valid_now if scope is None else scope.valid_facts
    return answering_passages(
        index.chunk_facts, index.fact_relation, index.fact_key, holding, asked, seeds.named
    )


def rank_passages(
    index: GraphIndex,
    query: str,
    query_vector: np.ndarray,
    config: RetrieveConfig,
    top_k: int,
    facts: tuple[np.ndarray, np.ndarray] | None = None,
    mentions: QueryMentions | None = None,
    scope: Scope | None = None,
) -> list[RankedPassage]:
    """Rank passages for one query. Empty memory gives ``[]``; no seeds gives dense ranking.
    ``facts``: recognition-filtered linked facts, and ``mentions``: the query's mentions for
    fuzzy linking, as in :func:`seed_query`; ``scope``: the moment asked about and the passages
    that may be returned (None: now, every passage)."""
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if index.n_chunks == 0:
        return []
    s = seed_query(index, query, query_vector, config, facts, mentions, scope)
    dense = s.dense
    if s.reset is None:
        ranking = demoted(dense, scope)
        order = top_k_indices(ranking, top_k)
        order = order[np.isfinite(ranking[order])]
        return [
            RankedPassage(
                int(c),
                float(ranking[c]),
                replace(
                    Explanation("dense", s.seed_facts, (), (), (), float(dense[c])),
                    outdated_facts=outdated_facts(index, int(c), scope),
                ),
            )
            for c in order
        ]
    scores = walk_scores(index, s.reset, config, keeps_whole_prior(scope))
    passage_scores = demoted(
        fuse(scores[index.n_entities :], dense, config.fusion, config.fusion_alpha, config.rrf_k),
        scope,
    )
    answers = answers_of(index, query, s, scope)
    if answers is not None:
        boost = np.where(answers & (passage_scores > 0), index.temporal.answer_scale, 1.0)
        passage_scores = passage_scores * boost
    walk_order = top_k_indices(passage_scores, top_k)
    walk_order = walk_order[np.isfinite(passage_scores[walk_order])]
    pin_dense = dense if scope is None or scope.eligible is None else np.where(scope.eligible, dense, -np.inf)
    if scope is not None:  # never pin an outdated passage over the current one
        pin_dense = np.where(scope.outdated, -np.inf, pin_dense)
    if answers is not None:  # nor another passage over one that answers what was asked
        pin_dense = np.where(answers, pin_dense, -np.inf)
    order = pin_dense_top(walk_order, pin_dense, config.pin_dense_margin)
    ranked = [
        RankedPassage(
            int(c),
            float(passage_scores[c]),
            replace(
                _explain(
                    index, int(c), scores, s.fact_ids, s.seed_facts, s.seed_entities, float(dense[c])
                ),
                outdated_facts=outdated_facts(index, int(c), scope),
            ),
        )
        for c in order
    ]
    if order.size and walk_order.size and order[0] != walk_order[0]:
        # The pinned passage ranks first by dense confidence, not by its walk score: say so, and
        # give it the walk's best score so that scores never increase down the list.
        top = ranked[0]
        ranked[0] = replace(
            top,
            score=max(top.score, float(passage_scores[walk_order[0]])),
            explanation=replace(top.explanation, mode="pinned"),
        )
    return ranked


def demoted(scores: np.ndarray, scope: Scope | None) -> np.ndarray:
    """Passage scores with the scope applied: passages it may not return get -inf, outdated
    ones (positive scores only) ``scope.outdated_scale`` times their score."""
    if scope is None:
        return scores
    out = scores.copy()
    if scope.outdated_scale != 1.0 and scope.outdated.any():
        hit = scope.outdated & (out > 0)
        out[hit] *= scope.outdated_scale
    if scope.eligible is not None:
        out[~scope.eligible] = -np.inf
    return out


def _explain(
    index: GraphIndex,
    chunk: int,
    scores: np.ndarray,
    fact_ids: np.ndarray,
    seed_facts: tuple[SeedFact, ...],
    seed_entities: tuple[tuple[str, float], ...],
    dense_score: float,
) -> Explanation:
    fc = index.fact_chunks
    matched = tuple(
        sf
        for f, sf in zip(fact_ids, seed_facts)
        if chunk in fc.indices[fc.indptr[f] : fc.indptr[f + 1]]
    )
    row = index.chunk_entities
    mentioned = row.indices[row.indptr[chunk] : row.indptr[chunk + 1]]
    bridges = sorted(mentioned.tolist(), key=lambda e: (-scores[e], e))[:3]
    return Explanation(
        "ppr",
        seed_facts,
        seed_entities,
        matched,
        tuple(index.entity_labels[e] for e in bridges),
        dense_score,
    )
