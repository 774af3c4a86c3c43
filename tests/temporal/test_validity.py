"""Validity intervals: the fast sweep against the plain definition, and a worked example."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import scipy.sparse as sp

from graphmem.config import SingleValued, TemporalConfig
from graphmem.temporal import (
    fact_groups,
    merge_groups,
    merge_groups_reference,
    normalize_predicate,
    relation_roles,
    role_of,
    validity,
    validity_reference,
)


def _run(statements, group, value, n_chunks):
    """statements: (fact, chunk) pairs; chunk c has time float(times[c])."""
    facts = [f for f, _ in statements]
    chunks = [c for _, c in statements]
    n_f = len(group)
    m = sp.csr_matrix((np.ones(len(facts), dtype=np.float32), (facts, chunks)), shape=(n_f, n_chunks))
    return m


def test_worked_example_paris_berlin_paris():
    # fact 0: lives in Paris (2019, and again 2023); fact 1: moved to Berlin (2021);
    # fact 2: a timeless fact; fact 3: lives in Berlin (same value as fact 1, 2022)
    times = np.array([2019.0, 2021.0, 2023.0, 2020.0, 2022.0])
    m = sp.csr_matrix(
        (np.ones(5, dtype=np.float32), ([0, 1, 0, 2, 3], [0, 1, 2, 3, 4])), shape=(4, 5)
    )
    group = np.array([0, 0, -1, 0])
    value = np.array([10, 11, -1, 11])
    v = validity(m, times, group, value)
    assert v.intervals(0) == [(2019.0, 2021.0), (2023.0, math.inf)]
    assert v.intervals(1) == [(2021.0, 2023.0)]
    assert v.intervals(3) == [(2022.0, 2023.0)]
    assert v.intervals(2) == [(2020.0, math.inf)]
    assert v.valid_at(2018.0).tolist() == [False, False, False, False]
    assert v.valid_at(2020.5).tolist() == [True, False, True, False]
    assert v.valid_at(2022.5).tolist() == [False, True, True, True]
    assert v.valid_at(math.inf).tolist() == [True, False, True, False]


def test_same_moment_keeps_both_values():
    m = sp.csr_matrix((np.ones(2, dtype=np.float32), ([0, 1], [0, 1])), shape=(2, 2))
    v = validity(m, np.array([5.0, 5.0]), np.array([0, 0]), np.array([1, 2]))
    assert v.valid_at(math.inf).tolist() == [True, True]


@pytest.mark.parametrize("seed", range(30))
def test_sweep_equals_reference(seed):
    rng = random.Random(seed)
    n_f, n_c = rng.randint(1, 12), rng.randint(1, 10)
    times = np.array([float(rng.randint(0, 6)) for _ in range(n_c)])
    group = np.array([rng.choice([-1, 0, 1, 2]) for _ in range(n_f)])
    value = np.array([rng.randint(0, 3) for _ in range(n_f)])
    pairs = {(rng.randrange(n_f), rng.randrange(n_c)) for _ in range(rng.randint(0, 25))}
    m = sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32), ([f for f, _ in pairs], [c for _, c in pairs])),
        shape=(n_f, n_c),
    )
    fast = validity(m, times, group, value)
    ref = validity_reference([(f, float(times[c])) for f, c in pairs], group.tolist(), value.tolist())
    for f in range(n_f):
        assert fast.intervals(f) == ref.get(f, []), f
    for t in [-1.0, 0.0, 2.5, 3.0, 6.0, math.inf]:
        expect = [any(s <= t < e for s, e in ref.get(f, [])) for f in range(n_f)]
        if math.isinf(t):
            expect = [any(math.isinf(e) for _, e in ref.get(f, [])) for f in range(n_f)]
        assert fast.valid_at(t).tolist() == expect


def test_predicates_normalise_and_group():
    assert normalize_predicate("Be now based in") == "based in"
    config = TemporalConfig(single_valued=(SingleValued("home", ("live in",), ("house",)),))
    # facts: (0 live in 1), (0 live in 2), (3 house 0)=inverse, (0 live in 4:DATE), (0 eat 1)
    preds = ["live in", "currently live in", "house", "live in", "eat"]
    subj = np.array([0, 0, 3, 0, 0])
    obj = np.array([1, 2, 0, 4, 1])
    kinds = ["PERSON", "GPE", "GPE", "GPE", "DATE"]
    group, value = fact_groups(preds, subj, obj, kinds, config)
    assert group.tolist() == [0, 0, 0, -1, -1]
    assert value.tolist() == [1, 2, 3, -1, -1]
    off = fact_groups(preds, subj, obj, kinds, TemporalConfig(enabled=False))
    assert off[0].tolist() == [-1] * 5


def test_long_predicates_match_by_their_ending_phrase():
    roles = relation_roles(TemporalConfig().single_valued)
    assert role_of("make home in", roles) == role_of("home in", roles) is not None
    assert role_of("succeed as ceo of", roles) == role_of("ceo of", roles)
    assert role_of("refuse to join", roles) is None  # one-word phrases: exactly, or after one word
    assert role_of("town renamed", roles) == role_of("renamed", roles) is not None
    assert role_of("not live in", roles) is None and role_of("not join", roles) is None
    assert role_of("join", roles) is not None
    assert role_of("eat in", roles) is None


def test_judged_pair_joins_groups_and_supersedes_by_time():
    # fact 0: lives in Paris (rule group 0, 2019); fact 1: has an apartment in Berlin (no rule
    # group, 2021) judged to contradict fact 0; fact 2: paints harbours (no group, unjudged)
    times = np.array([2019.0, 2021.0, 2020.0])
    m = sp.csr_matrix((np.ones(3, dtype=np.float32), ([0, 1, 2], [0, 1, 2])), shape=(3, 3))
    objects = np.array([10, 11, 12])
    group, value = merge_groups(
        np.array([0, -1, -1]), np.array([10, -1, -1]), objects, np.array([[0, 1]])
    )
    assert group.tolist() == [0, 0, -1] and value.tolist() == [10, 11, -1]
    v = validity(m, times, group, value)
    assert v.intervals(0) == [(2019.0, 2021.0)]
    assert v.intervals(1) == [(2021.0, math.inf)]
    assert v.intervals(2) == [(2020.0, math.inf)]
    assert merge_groups(group, value, objects, np.zeros((0, 2), dtype=np.int64)) == (group, value)


@pytest.mark.parametrize("seed", range(30))
def test_merge_groups_equals_reference(seed):
    rng = random.Random(seed)
    n_f = rng.randint(1, 12)
    n_g = rng.randint(0, 4)
    group = [rng.randrange(-1, n_g) if n_g else -1 for _ in range(n_f)]
    value = [rng.randrange(20) if g >= 0 else -1 for g in group]
    objects = [rng.randrange(20) for _ in range(n_f)]
    pairs = [tuple(rng.sample(range(n_f), 2)) for _ in range(rng.randint(0, 5))] if n_f > 1 else []
    got_group, got_value = merge_groups(
        np.array(group, dtype=np.int64), np.array(value, dtype=np.int64),
        np.array(objects, dtype=np.int64), np.array(pairs, dtype=np.int64).reshape(-1, 2),
    )
    if not pairs:
        # no judgement: the rule groups are returned as they are
        assert got_group.tolist() == group and got_value.tolist() == value
        return
    want_group, want_value = merge_groups_reference(group, value, objects, pairs)
    assert got_group.tolist() == want_group
    assert got_value.tolist() == want_value
