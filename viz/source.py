"""What the visualization reads from a memory, in node-id terms of :meth:`Memory.to_networkx`.

This is the one module of :mod:`viz` that reaches past graphmem's public API; every such place
is marked ``TODO(public-api)`` with the public method that would replace it. The rest of the
package only sees the networkx graph and the plain values defined here.

Node ids follow ``Memory.to_networkx``: ``"entity:<normalised name>"`` and
``"passage:<chunk_id>"``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphmem import Hit, Memory

log = logging.getLogger(__name__)

ENTITY_PREFIX = "entity:"
PASSAGE_PREFIX = "passage:"


def entity_node(name: str) -> str:
    """Node id of the entity with normalised name ``name``."""
    return ENTITY_PREFIX + name


def passage_node(chunk_id: str) -> str:
    """Node id of the passage with chunk id ``chunk_id``."""
    return PASSAGE_PREFIX + chunk_id


@dataclass(frozen=True)
class FactView:
    """One stored fact, direction kept (``to_networkx`` merges both directions into one edge),
    with the passages that support it."""

    subject: str
    predicate: str
    object: str
    passages: tuple[str, ...]
    support: int


@dataclass(frozen=True)
class EntityFacts:
    """The first facts of an entity by support, and how many it has in all."""

    facts: tuple[FactView, ...]
    total: int


@dataclass(frozen=True)
class QueryTrace:
    """Why a query retrieved what it did, per node.

    ``scores`` holds the PPR score (dense cosine in ``"dense"`` mode) of the best-scored nodes,
    ``seeds`` the nodes the walk restarted from, ``hits`` the retrieved passages best first.
    """

    query: str
    hits: tuple[Hit, ...]
    scores: Mapping[str, float]
    seeds: frozenset[str]
    mode: str


def load_graph(mem: Memory) -> Any:
    """The memory graph as a ``networkx.Graph`` (public API)."""
    return mem.to_networkx()


def _index(mem: Memory, *, model: bool = True) -> Any:
    # TODO(public-api): replace with Memory.facts_about(...) (see module doc); queries use
    # the public Memory.trace.
    return mem.index(model=model)


def _chunk_ids(mem: Memory, index: Any, positions: Sequence[int]) -> dict[int, str]:
    """Chunk id strings of passage positions in the index."""
    internal = [int(index.chunks.ids[p]) for p in positions]
    # TODO(public-api): Memory.passages(...) or chunk ids returned by the trace call.
    records = mem.store.passages(internal)  # by id: a passage deleted meanwhile is absent
    return {p: records[i].chunk_id for p, i in zip(positions, internal) if i in records}


def entity_facts(
    mem: Memory, names: Collection[str], limit: int, provenance: int
) -> dict[str, EntityFacts]:
    """Facts of each entity in ``names`` (normalised names), the ``limit`` best supported first,
    each with at most ``provenance`` supporting passages.

    TODO(public-api): ``Memory.facts_about(names, limit) -> dict[name, list[FactInfo]]``.
    """
    if not names or limit < 0:
        return {}
    index = _index(mem, model=False)
    position = {n: i for i, n in enumerate(index.entity_names)}
    wanted = np.array(sorted(position[n] for n in names if n in position), dtype=np.int64)
    if wanted.size == 0 or index.n_facts == 0:
        return {n: EntityFacts((), 0) for n in names}
    subj, obj = np.asarray(index.fact_subject), np.asarray(index.fact_object)
    touching = np.flatnonzero(np.isin(subj, wanted) | np.isin(obj, wanted))
    fc = index.fact_chunks
    support = np.diff(fc.indptr)
    per_entity: dict[int, list[int]] = {int(e): [] for e in wanted}
    for f in touching.tolist():
        for e in {int(subj[f]), int(obj[f])}:
            if e in per_entity:
                per_entity[e].append(f)
    chosen: dict[int, list[int]] = {
        e: sorted(fs, key=lambda f: (-int(support[f]), f))[:limit] for e, fs in per_entity.items()
    }

    def sources(f: int) -> list[int]:
        return [int(c) for c in fc.indices[fc.indptr[f] : fc.indptr[f + 1]][:provenance]]

    chunk_positions = sorted({c for fs in chosen.values() for f in fs for c in sources(f)})
    chunk_ids = _chunk_ids(mem, index, chunk_positions)
    names_list = index.entity_names
    out: dict[str, EntityFacts] = {n: EntityFacts((), 0) for n in names}
    for e, fs in chosen.items():
        views = tuple(
            FactView(
                subject=entity_node(names_list[int(subj[f])]),
                predicate=index.fact_predicates[f],
                object=entity_node(names_list[int(obj[f])]),
                passages=tuple(passage_node(chunk_ids[c]) for c in sources(f) if c in chunk_ids),
                support=int(support[f]),
            )
            for f in fs
        )
        out[names_list[e]] = EntityFacts(views, len(per_entity[e]))
    return out


def trace_query(mem: Memory, query: str, top_k: int, keep: int) -> QueryTrace:
    """Retrieve ``query`` and score the nodes of the walk behind it (public API:
    :meth:`graphmem.Memory.trace`, the retriever's own Personalized PageRank over the same
    index, seeds and config); ``keep`` bounds how many entities and how many passages get a
    score (hits and seeds are always scored)."""
    t = mem.trace(query, top_k=top_k, keep=max(keep, top_k))
    return QueryTrace(query, t.hits, t.scores, t.seeds, t.mode)


def open_memory(store: str | Path) -> Memory:
    """Open an existing memory for rendering (the embedding model loads only for a query):
    a directory or a ``postgresql://`` URL (a string; a Path would collapse its ``//``)."""
    from graphmem.store.open import is_url, store_exists
    from viz.errors import VizError

    location: str | Path = store if is_url(store) else Path(store)
    if not store_exists(location):
        raise VizError(f"no graphmem store at {location} (create one with `graphmem ingest`)")
    # The model loads on first use only: the overview and entity views read the stored graph
    # (Memory.to_networkx and the index open without it); a query view embeds the query.
    return Memory(location)
