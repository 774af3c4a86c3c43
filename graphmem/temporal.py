"""When facts hold: validity intervals derived from provenance and passage times.

A fact is stated at the times of the passages that support it (a passage's time is its
document's stated time, else when the document was stored). Facts of a *single-valued*
relation (where someone lives, who they work for, who leads an organisation, ...; see
:class:`graphmem.config.TemporalConfig`) about the same key entity compete: at any moment the
value stated last holds, and an earlier value's validity ends when a later statement of another
value is made. Nothing is stored for this: intervals are recomputed from the provenance rows
whenever the index refreshes, so deleting the newer document brings the older fact back exactly
as if the newer one had never been added.

:func:`validity` is the fast path (one sort over all statements); :func:`validity_reference`
is a plain per-group loop kept beside it for the tests.

With an LLM, a model may also judge that a passage's fact contradicts an earlier fact the rules
do not relate ("has an apartment in Berlin now" after "lives in Paris"; see
:mod:`graphmem.graph.conflicts`). :func:`merge_groups` joins each judged pair into one
competition group, so the same sweep decides which of them holds when; the judgements are
stored with the passage they were read from, so they too come and go with provenance.
:func:`merge_groups_reference` is its plain union-find definition, for the tests.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from graphmem.config import SingleValued, TemporalConfig

# Entity kinds that are never the value of a single-valued relation: "moved in 2021" names a
# time, not a place.
VALUELESS_KINDS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})
_FILLER = frozenset({"now", "currently", "still", "also", "recently", "later", "then", "finally",
                     "eventually", "be", "have", "since"})


def normalize_predicate(predicate: str) -> str:
    """A predicate reduced for relation matching: lower case, auxiliaries and time adverbs
    (``be``, ``now``, ``currently``, ...) dropped, so "be now based in" matches "based in"."""
    words = [w for w in predicate.lower().split() if w not in _FILLER]
    return " ".join(words)


def relation_roles(
    relations: Sequence[SingleValued],
) -> dict[str, tuple[int, bool]]:
    """Normalised predicate -> (relation number, True when the subject is the key entity)."""
    out: dict[str, tuple[int, bool]] = {}
    for number, rel in enumerate(relations):
        for p in rel.predicates:
            out.setdefault(normalize_predicate(p), (number, True))
        for p in rel.inverse:
            out.setdefault(normalize_predicate(p), (number, False))
    return out


def role_of(predicate: str, roles: dict[str, tuple[int, bool]]) -> tuple[int, bool] | None:
    """The relation role of a normalised predicate: an exact match, else the longest
    relation phrase of two or more words that ends it ("make home in" ends with "home in",
    "succeed as ceo of" with "ceo of"), else a one-word phrase after a single word, the noun a
    genitive subject puts first ("the town of X was renamed Y": "town renamed"). Longer
    predicates do not end in a one-word phrase ("refuse to join" says nothing of an employer),
    and a negated predicate ("not live in") has no role."""
    role = roles.get(predicate)
    if role is not None:
        return role
    words = predicate.split()
    if not words or words[0] == "not":
        return None
    for i in range(1, len(words) - 1):
        role = roles.get(" ".join(words[i:]))
        if role is not None:
            return role
    return roles.get(words[1]) if len(words) == 2 else None


def fact_groups(
    predicates: Sequence[str],
    subjects: np.ndarray,
    objects: np.ndarray,
    kinds: Sequence[str],
    config: TemporalConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Per fact: its competition group (-1 when its relation is not single-valued) and the
    entity position of its value. Facts of one relation about one key entity share a group,
    numbered in order of their first fact."""
    groups = FactGroups(config)
    groups.extend(predicates, subjects, objects, kinds)
    return groups.group, groups.value


class FactGroups:
    """:func:`fact_groups` kept up to date as facts are appended: the in-memory index extends
    it with the facts of each add instead of classifying all of them again (a Python loop over
    59k predicates, ~80 ms on the 2Wiki store). Extending by parts gives what one call on the
    whole gives, since a fact's group depends on itself and on the groups numbered before it.
    Valid while entity positions do not move (no deletion); start a new one otherwise."""

    def __init__(self, config: TemporalConfig):
        self._roles = relation_roles(config.single_valued) if config.enabled else {}
        self._by_predicate: dict[str, tuple[int, bool] | None] = {}
        self._keys: dict[tuple[int, int], int] = {}
        self.group = np.zeros(0, dtype=np.int64)
        self.value = np.zeros(0, dtype=np.int64)
        self.relation = np.zeros(0, dtype=np.int64)  # per fact: its rule relation number, or -1
        self.key = np.zeros(0, dtype=np.int64)  # per fact: its key entity position, or -1
        self.dated = np.zeros(0, dtype=bool)  # per fact: its object is a date or number

    def extend(
        self, predicates: Sequence[str], subjects: np.ndarray, objects: np.ndarray,
        kinds: Sequence[str],
    ) -> None:
        """Classify facts appended after those seen so far (their predicates and entity
        positions; ``kinds`` per entity position)."""
        group = np.full(len(predicates), -1, dtype=np.int64)
        value = np.full(len(predicates), -1, dtype=np.int64)
        relation = np.full(len(predicates), -1, dtype=np.int64)
        keys = np.full(len(predicates), -1, dtype=np.int64)
        dated = np.array([kinds[int(o)] in VALUELESS_KINDS for o in objects], dtype=bool)
        for f, p in enumerate(predicates):
            if p not in self._by_predicate:
                self._by_predicate[p] = role_of(normalize_predicate(p), self._roles)
            role = self._by_predicate[p]
            if role is None:
                continue
            number, subject_keyed = role
            key, val = (subjects[f], objects[f]) if subject_keyed else (objects[f], subjects[f])
            if kinds[int(val)] in VALUELESS_KINDS or kinds[int(key)] in VALUELESS_KINDS:
                continue
            group[f] = self._keys.setdefault((number, int(key)), len(self._keys))
            value[f] = int(val)
            relation[f], keys[f] = number, int(key)
        self.group = np.concatenate([self.group, group])
        self.value = np.concatenate([self.value, value])
        self.relation = np.concatenate([self.relation, relation])
        self.key = np.concatenate([self.key, keys])
        self.dated = np.concatenate([self.dated, dated.reshape(-1)])


def merge_groups(
    group: np.ndarray, value: np.ndarray, objects: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Competition groups joined by judged contradictions. ``group``/``value`` are per fact as
    from :func:`fact_groups`, ``objects`` each fact's object entity, ``pairs`` a (k, 2) array
    of fact positions (older, newer). Both facts of a pair end up in one group, and so does
    every fact of a group either was in (groups linked through a chain of pairs become one). A
    fact that had no group takes its object as its value; grouped facts keep theirs. Returns
    new arrays, groups numbered from 0 in order of their smallest member (with no pairs:
    ``group`` and ``value`` as given)."""
    if len(pairs) == 0:
        return group, value
    n_f = len(group)
    n_g = int(group.max()) + 1 if len(group) and group.max() >= 0 else 0
    node = np.where(group >= 0, group, n_g + np.arange(n_f))
    a, b = node[pairs[:, 0]], node[pairs[:, 1]]
    n = n_g + n_f
    links = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(links, directed=False)
    joined = (group >= 0) | np.isin(np.arange(n_f), pairs.ravel())
    out_group = np.full(n_f, -1, dtype=np.int64)
    labels = label[node[joined]]
    _, first = np.unique(labels, return_index=True)  # renumber by smallest member
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    out_group[joined] = rank[np.unique(labels, return_inverse=True)[1]]
    out_value = np.where(group >= 0, value, np.where(joined, objects, -1)).astype(np.int64)
    return out_group, out_value


def merge_groups_reference(
    group: Sequence[int], value: Sequence[int], objects: Sequence[int],
    pairs: Sequence[tuple[int, int]],
) -> tuple[list[int], list[int]]:
    """The plain definition of :func:`merge_groups`, for tests: union-find over facts, where
    facts of one rule group start joined."""
    parent = list(range(len(group)))

    def root(f: int) -> int:
        while parent[f] != f:
            f = parent[f]
        return f

    first_of: dict[int, int] = {}
    for f, g in enumerate(group):
        if g >= 0:
            parent[root(f)] = root(first_of.setdefault(g, f))
    for x, y in pairs:
        parent[root(x)] = root(y)
    joined = {f for f, g in enumerate(group) if g >= 0} | {f for p in pairs for f in p}
    numbers: dict[int, int] = {}
    out_group = [numbers.setdefault(root(f), len(numbers)) if f in joined else -1
                 for f in range(len(group))]
    out_value = [value[f] if group[f] >= 0 else (objects[f] if f in joined else -1)
                 for f in range(len(group))]
    return out_group, out_value


@dataclass(frozen=True)
class Validity:
    """Validity intervals of every fact: fact ``iv_fact[i]`` holds from ``iv_start[i]`` until
    ``iv_end[i]`` (``inf``: still holds), ``first`` is each fact's first statement time
    (``inf`` when none is indexed), ``group``/``value`` as from :func:`fact_groups`."""

    iv_fact: np.ndarray
    iv_start: np.ndarray
    iv_end: np.ndarray
    first: np.ndarray
    group: np.ndarray
    value: np.ndarray

    @classmethod
    def empty(cls) -> Validity:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, np.zeros(0), np.zeros(0), np.zeros(0), z, z)

    def valid_at(self, t: float) -> np.ndarray:
        """Bool per fact: stated at or before ``t`` and not superseded at ``t``
        (``t = inf``: holds now)."""
        mask = np.zeros(len(self.first), dtype=bool)
        live = (self.iv_start <= t) & (t < self.iv_end) if math.isfinite(t) else np.isinf(self.iv_end)
        mask[self.iv_fact[live]] = True
        return mask

    def intervals(self, fact: int) -> list[tuple[float, float]]:
        """The (start, end) intervals of one fact, in time order."""
        rows = np.flatnonzero(self.iv_fact == fact)
        return sorted((float(self.iv_start[r]), float(self.iv_end[r])) for r in rows)


def outdated_passages(chunk_facts: sp.csr_matrix, group: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Bool per passage (``chunk_facts``: passages x facts): it states at least one fact of a
    competition ``group`` and none of them holds per ``valid``."""
    if chunk_facts.shape[0] == 0 or chunk_facts.shape[1] == 0:
        return np.zeros(chunk_facts.shape[0], dtype=bool)
    grouped = (group >= 0).astype(np.float32)
    stated = chunk_facts @ grouped
    holding = chunk_facts @ (grouped * valid.astype(np.float32))
    return (stated > 0) & (holding == 0)


def seeding_facts(
    fact_chunks: sp.csr_matrix, dated: np.ndarray, valid: np.ndarray, outdated: np.ndarray
) -> np.ndarray:
    """``valid`` without the dated companions of outdated statements: a fact whose object is a
    date or number ("hired in October 2013") stated only by ``outdated`` passages says when an
    outdated statement was made, and as a seed it would carry the walk back to it."""
    if not outdated.any() or fact_chunks.shape[0] == 0:
        return valid
    current = fact_chunks @ (~outdated).astype(np.float32)
    return valid & ~(dated & (current == 0))


def validity(
    fact_chunks: sp.csr_matrix, chunk_times: np.ndarray, group: np.ndarray, value: np.ndarray
) -> Validity:
    """Intervals for every fact (see the module docstring). ``fact_chunks`` is the facts x
    passages provenance matrix, ``chunk_times`` each passage's time."""
    n_f = fact_chunks.shape[0]
    rows = sp.csr_matrix(fact_chunks)  # statements row by row, as tocoo() lists them
    counts = np.diff(rows.indptr)
    st_fact = np.repeat(np.arange(n_f, dtype=np.int64), counts)
    st_time = chunk_times[rows.indices] if len(rows.indices) else np.zeros(0)
    first = np.full(n_f, np.inf)
    some = counts > 0  # reduceat over each fact's statements (ufunc.at is ~10x slower)
    if some.any():
        first[some] = np.minimum.reduceat(st_time, rows.indptr[:-1][some])
    stated = np.isfinite(first)
    free = stated & (group < 0)
    iv_fact = [np.flatnonzero(free)]
    iv_start = [first[free]]
    iv_end = [np.full(int(free.sum()), np.inf)]
    in_group = group[st_fact] >= 0
    sf, stt = st_fact[in_group], st_time[in_group]
    sg = group[sf]
    order = np.lexsort((sf, stt, sg))
    sf, stt, sg = sf[order], stt[order], sg[order]
    # walk each group's statements in time order; a run of equal times is one moment
    starts = np.flatnonzero(np.r_[True, sg[1:] != sg[:-1]]) if len(sg) else np.zeros(0, int)
    bounds = np.r_[starts, len(sg)].astype(np.int64)
    # Groups stating one value only (most of them) need no walk: each fact holds from its first
    # statement on. Done for all such groups at once, which is what _sweep does for one of them
    # (a Python call per group cost ~30 ms on the 2Wiki store, on every index refresh).
    vals = value[sf]
    if len(sg):
        one_value = np.minimum.reduceat(vals, starts) == np.maximum.reduceat(vals, starts)
        alone = np.repeat(one_value, np.diff(bounds))
    else:
        one_value, alone = np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    g1, f1, t1 = sg[alone], sf[alone], stt[alone]
    by = np.lexsort((t1, f1, g1))  # by group, fact, time: a fact's first row is its earliest
    g1, f1, t1 = g1[by], f1[by], t1[by]
    head = np.r_[True, (g1[1:] != g1[:-1]) | (f1[1:] != f1[:-1])] if len(g1) else alone[:0]
    facts_out: list[int] = []
    s_out: list[float] = []
    e_out: list[float] = []
    g_out: list[int] = []
    for k in np.flatnonzero(~one_value).tolist():
        a, b = int(bounds[k]), int(bounds[k + 1])
        _sweep(sf[a:b], stt[a:b], value, facts_out, s_out, e_out)
        g_out.extend([int(sg[a])] * (len(facts_out) - len(g_out)))
    # both parts in group order, as one walk over every group would give them
    labels = np.concatenate([g1[head], np.asarray(g_out, dtype=np.int64)])
    merged = np.argsort(labels, kind="stable")
    iv_fact.append(np.concatenate([f1[head], np.asarray(facts_out, dtype=np.int64)])[merged])
    iv_start.append(np.concatenate([t1[head], np.asarray(s_out, dtype=np.float64)])[merged])
    iv_end.append(
        np.concatenate([np.full(int(head.sum()), np.inf), np.asarray(e_out, dtype=np.float64)])[
            merged
        ]
    )
    return Validity(
        np.concatenate(iv_fact), np.concatenate(iv_start), np.concatenate(iv_end), first, group, value
    )


def _sweep(
    facts: np.ndarray,
    times: np.ndarray,
    value: np.ndarray,
    facts_out: list[int],
    s_out: list[float],
    e_out: list[float],
) -> None:
    """One group's statements (sorted by time): from each moment on, the values stated at it
    hold, and so does every fact stated so far with one of those values."""
    if len(np.unique(value[facts])) == 1:  # one value only: nothing competes
        for f in np.unique(facts).tolist():
            facts_out.append(f)
            s_out.append(float(times[facts == f].min()))
            e_out.append(math.inf)
        return
    seen: dict[int, set[int]] = defaultdict(set)  # value -> facts stated so far
    open_since: dict[int, float] = {}
    i = 0
    while i < len(times):
        j = i
        while j < len(times) and times[j] == times[i]:
            j += 1
        now = float(times[i])
        for f in facts[i:j].tolist():
            seen[int(value[f])].add(f)
        holding = {f for v in {int(value[f]) for f in facts[i:j].tolist()} for f in seen[v]}
        for f in [f for f in open_since if f not in holding]:
            facts_out.append(f)
            s_out.append(open_since.pop(f))
            e_out.append(now)
        for f in holding:
            open_since.setdefault(f, now)
        i = j
    for f, since in open_since.items():
        facts_out.append(f)
        s_out.append(since)
        e_out.append(math.inf)


def validity_reference(
    statements: Sequence[tuple[int, float]], group: Sequence[int], value: Sequence[int]
) -> dict[int, list[tuple[float, float]]]:
    """The plain definition, for tests: ``statements`` are (fact, time) pairs. At time t a
    grouped fact holds when it was stated at or before t and its value is one of those stated
    at the latest moment at or before t at which its group stated anything. Returns each
    stated fact's maximal intervals, in time order."""
    by_fact: dict[int, list[float]] = defaultdict(list)
    for f, t in statements:
        by_fact[f].append(t)
    moments = sorted({t for _, t in statements})

    def holds(f: int, t: float) -> bool:
        if min(by_fact[f]) > t:
            return False
        if group[f] < 0:
            return True
        mates = [(x, g) for g, ts in by_fact.items() if group[g] == group[f] for x in ts if x <= t]
        latest = max(x for x, _ in mates)
        return value[f] in {value[g] for x, g in mates if x == latest}

    out: dict[int, list[tuple[float, float]]] = {}
    for f in by_fact:
        spans: list[tuple[float, float]] = []
        for k, t in enumerate(moments):
            if not holds(f, t) or (spans and spans[-1][1] > t):
                continue
            end = next((m for m in moments[k + 1 :] if not holds(f, m)), math.inf)
            spans.append((t, end))
        out[f] = spans
    return out
