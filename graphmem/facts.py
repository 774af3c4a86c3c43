"""``Memory.facts_about``: an entity's facts with when they held and where they were read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from graphmem.graph.index import GraphIndex
from graphmem.store.base import Store
from graphmem.text import normalize_name
from graphmem.timeutil import to_datetime

__all__ = ["FactInfo", "FactSource", "facts_about"]


@dataclass(frozen=True)
class FactSource:
    """A passage that states a fact, and its time."""

    doc_id: str
    chunk_id: str
    time: datetime | None


@dataclass(frozen=True)
class FactInfo:
    """One fact about an entity at the moment asked about (``as_of``, or now).

    ``holds`` says whether it holds then; ``valid_from``/``valid_until`` bound the interval it
    holds in (``valid_until`` None: it still holds), or, for a fact that no longer holds, its
    last interval before that moment. ``intervals`` lists every interval; ``superseded_by`` the
    facts of its single-valued relation that hold instead; ``sources`` the passages stating it
    (dated at or before the moment)."""

    subject: str
    predicate: str
    object: str
    holds: bool
    valid_from: datetime | None
    valid_until: datetime | None
    intervals: tuple[tuple[datetime | None, datetime | None], ...]
    superseded_by: tuple[tuple[str, str, str], ...]
    sources: tuple[FactSource, ...]


def facts_about(index: GraphIndex, store: Store, name: str, at: float = math.inf) -> list[FactInfo]:
    """Facts with ``name`` (normalised like stored names) as subject or object, stated at or
    before ``at``, holding ones first, then by time. Unknown names give []."""
    wanted = normalize_name(name)
    entity = next((i for i, n in enumerate(index.entity_names) if n == wanted), None)
    if entity is None:
        return []
    facts = np.flatnonzero((index.fact_subject == entity) | (index.fact_object == entity))
    validity = index.validity
    valid = index.valid_now if math.isinf(at) else validity.valid_at(at)
    fc = index.fact_chunks
    chunk_rows = {int(c) for f in facts for c in fc.indices[fc.indptr[f] : fc.indptr[f + 1]]}
    records = store.passages([int(index.chunks.ids[c]) for c in chunk_rows])
    out: list[tuple[tuple[int, float], FactInfo]] = []
    for f in facts.tolist():
        if validity.first[f] > at:
            continue
        spans = [(s, e) for s, e in validity.intervals(f) if s <= at]
        current = next(((s, e) for s, e in spans if s <= at < e), None)
        shown = current if current is not None else (spans[-1] if spans else (math.inf, math.inf))
        group = int(validity.group[f])
        rivals = (
            np.flatnonzero((validity.group == group) & valid).tolist()
            if group >= 0 and not valid[f]
            else []
        )
        sources = []
        for c in sorted(fc.indices[fc.indptr[f] : fc.indptr[f + 1]].tolist()):
            rec = records.get(int(index.chunks.ids[c]))
            if rec is not None and index.chunk_times[c] <= at:
                sources.append(FactSource(rec.doc_id, rec.chunk_id, to_datetime(rec.time)))
        info = FactInfo(
            *index.fact_triple(f),
            bool(valid[f]),
            _moment(shown[0]),
            _moment(shown[1]),
            tuple((_moment(s), _moment(e)) for s, e in spans),
            tuple(index.fact_triple(r) for r in rivals),
            tuple(sources),
        )
        out.append(((0 if valid[f] else 1, float(validity.first[f])), info))
    out.sort(key=lambda kv: kv[0])
    return [info for _, info in out]


def _moment(seconds: float) -> datetime | None:
    return None if not math.isfinite(seconds) else to_datetime(seconds)

