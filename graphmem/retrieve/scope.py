"""What one retrieval may see: the moment it is asked about and the passages it may return.

``as_of`` answers as the memory stood then: passages dated later do not exist for the query
(they neither rank nor seed), and facts are taken as valid at that moment
(:meth:`graphmem.temporal.Validity.valid_at`). ``since``/``until`` and ``where`` only restrict
which passages are returned; the walk still runs over the whole namespace. Without ``as_of``
the query is asked now: superseded facts do not seed and passages that state only outdated
facts are demoted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphmem.errors import InputError
from graphmem.graph.index import GraphIndex
from graphmem.temporal import outdated_passages, seeding_facts
from graphmem.timeutil import to_datetime, to_timestamp
from graphmem.types import OutdatedFact

__all__ = ["Scope", "build_scope", "metadata_mask", "outdated_facts"]


@dataclass(frozen=True)
class Scope:
    """``at``: the moment asked about (inf: now). ``existing``: passages that exist at ``at``
    (None: all). ``eligible``: passages the query may return (None: all). ``valid_facts``: facts
    that hold at ``at``. ``outdated``: passages whose single-valued facts all stopped holding,
    scored ``outdated_scale`` times."""

    at: float
    existing: np.ndarray | None
    eligible: np.ndarray | None
    valid_facts: np.ndarray
    outdated: np.ndarray
    outdated_scale: float


def keeps_whole_prior(scope: Scope | None) -> bool:
    """Whether a reset built under ``scope`` keeps every passage's prior (a scope whose moment
    leaves passages out zeroes theirs; :func:`graphmem.retrieve.retriever.walk_scores`)."""
    return scope is None or scope.existing is None


def _moment(value: object, name: str, where: str) -> float:
    try:
        return to_timestamp(value, name)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), source=where) from None


def build_scope(
    index: GraphIndex,
    *,
    as_of: object = None,
    since: object = None,
    until: object = None,
    where: Mapping[str, Any] | None = None,
    outdated_scale: float = 1.0,
    caller: str = "retrieve()",
) -> Scope:
    """The scope of one call (see the module docstring). Bad times and filters raise
    :class:`graphmem.InputError` naming ``caller`` and the argument."""
    at = math.inf if as_of is None else _moment(as_of, "as_of", caller)
    existing = None if as_of is None else index.chunk_times <= at
    eligible = existing
    if since is not None:
        eligible = _and(eligible, index.chunk_times >= _moment(since, "since", caller))
    if until is not None:
        eligible = _and(eligible, index.chunk_times <= _moment(until, "until", caller))
    if where is not None:
        eligible = _and(eligible, metadata_mask(index.chunk_metadata, where, caller))
    if as_of is None:  # asked now: the index worked these out once at its refresh
        seeding, outdated = index.seeding_now, index.outdated_now
    else:
        valid = index.validity.valid_at(at)
        outdated = outdated_passages(index.chunk_facts, index.validity.group, valid)
        seeding = seeding_facts(index.fact_chunks, index.fact_dated, valid, outdated)
    return Scope(at, existing, eligible, seeding, outdated, outdated_scale)


def _and(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else a & b


def metadata_mask(
    metadata: list[Mapping[str, Any]], where: Mapping[str, Any], caller: str = "retrieve()"
) -> np.ndarray:
    """Passages whose document metadata matches every ``key: value`` of ``where`` (a list or
    tuple value: any of its items). A key no document has is an error, so a typo cannot pass
    for an empty result."""
    if not isinstance(where, Mapping) or not all(isinstance(k, str) for k in where):
        raise InputError(f"where must be a mapping of metadata keys to values, got {where!r}", source=caller)
    known: set[str] = set()
    for m in {id(m): m for m in metadata}.values():
        known.update(m)
    unknown = sorted(set(where) - known)
    if unknown:
        listed = ", ".join(repr(k) for k in sorted(known)[:20]) or "none"
        raise InputError(
            f"where: no document has metadata key {unknown[0]!r} (keys stored: {listed})",
            source=caller,
        )
    wanted = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in where.items()}
    hit: dict[int, bool] = {}
    out = np.zeros(len(metadata), dtype=bool)
    for i, m in enumerate(metadata):
        ok = hit.get(id(m))
        if ok is None:
            ok = hit[id(m)] = all(k in m and m[k] in vs for k, vs in wanted.items())
        out[i] = ok
    return out


def outdated_facts(index: GraphIndex, chunk: int, scope: Scope | None) -> tuple[OutdatedFact, ...]:
    """The single-valued facts passage ``chunk`` states that no longer hold at the scope's
    moment, each with the facts of its group that hold instead and when it stopped holding."""
    if scope is None:
        return ()
    row = index.chunk_facts
    validity = index.validity
    out: list[OutdatedFact] = []
    for f in row.indices[row.indptr[chunk] : row.indptr[chunk + 1]].tolist():
        group = int(validity.group[f])
        if group < 0 or scope.valid_facts[f]:
            continue
        rivals = np.flatnonzero((validity.group == group) & scope.valid_facts)
        ended = [end for start, end in validity.intervals(f) if end <= scope.at]
        out.append(
            OutdatedFact(
                *index.fact_triple(f),
                superseded_by=tuple(index.fact_triple(int(r)) for r in rivals),
                superseded_at=to_datetime(max(ended)) if ended else None,
            )
        )
    return tuple(out)

