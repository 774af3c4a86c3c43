"""PPR for a large graph by local push, with the passage prior's tail folded back in.

The reset of a query (:func:`graphmem.retrieve.retriever.seed_query`) gives every passage its
min-max dense score times ``passage_node_weight``: mass on every passage, so a push from all of
it would touch the whole graph. :func:`local_walk_scores` pushes only from the entity seeds and
the ``local_ppr_passages`` passages of highest prior. Dropping the rest (what the first local
path did) loses most of the prior's mass: over 10^5 passages the tail carries far more than the
top 1,000, and passages reached over the graph lose the share of it that the exact walk gives
them (Recall@5 of the synthetic 10^5 questions 0.447 -> 0.427).

So the tail is split as ``m + delta``, with ``m`` its mean. Unnormalised PPR,
``y(r) = (I - d P)^-1 r``, is linear in the reset (the solvers' normalised scores are ``y``
divided by its sum), hence, with ``1_P`` the all-passages indicator:

    y(reset) = y(seeds + top - m on the top) + m * y(1_P) + y(delta)

The first term is pushed (its reset stays non-negative: every top value is at least the tail's
largest). ``y(1_P)`` does not depend on the query: it is solved once per graph (conjugate
gradients, no elimination build) and kept on the :class:`~graphmem.graph.transition.Transition`.
``y(delta)`` is taken as ``delta`` itself, its restart term: ``delta`` has mean zero over the
tail, so what it spreads to shared neighbours largely cancels. That last step and the push's
``eps`` are the only approximations.
"""

from __future__ import annotations

import numpy as np

from graphmem.config import RetrieveConfig
from graphmem.graph.transition import Transition
from graphmem.retrieve.ppr import personalized_pagerank_cg
from graphmem.retrieve.ppr_push import personalized_pagerank_push

__all__ = ["local_walk_scores", "passage_background"]


def local_walk_scores(
    t: Transition, reset: np.ndarray, n_entities: int, config: RetrieveConfig, tail: bool = True
) -> np.ndarray:
    """PPR scores of every node for ``reset`` (entities first, then passages; summing to 1) by
    local push from the entity seeds and the ``config.local_ppr_passages`` passages of highest
    prior. ``tail``: fold the other passages' prior back in (module docstring); pass False
    when the reset's passage part is not the whole prior (a scope zeroed passages that do not
    exist at its moment), which only drops the tail."""
    passages = reset[n_entities:]
    k = config.local_ppr_passages
    if passages.size <= k:
        return _normalised(_pushed(t, reset, config))
    top, passages_sum = _top(passages, k)
    if not tail or not config.local_ppr_tail:
        r = np.zeros(t.n)
        r[:n_entities] = reset[:n_entities]
        r[n_entities + top] = passages[top]
        return _normalised(_pushed(t, r, config))
    from graphmem.retrieve._ppr_push import at_least, fold_tail, forward_push  # numba

    d = config.damping
    head = passages[top]
    m = (passages_sum - float(head.sum())) / (passages.size - k)  # the tail's mean
    entities = at_least(reset[:n_entities], _TINY)[0]
    seeds = np.concatenate([entities, n_entities + top])
    mass = np.concatenate([reset[entities], np.maximum(head - m, 0.0)])
    background, background_sum = _background(t, n_entities, config)
    total = float(mass.sum())
    if total > 0:
        a = t.adjacency
        p, residual, _ = forward_push(
            a.indptr, a.indices, a.data, t.out, d, seeds, mass / total, config.local_ppr_eps
        )
        pushed = 1.0 - float(residual)  # what p sums to
        # y of the pushed part, per unit of p
        scale = total / pushed * _y_sum(float(p[t.dangling].sum()) / pushed, d)
    else:
        p, pushed, scale = np.zeros(t.n), 0.0, 0.0
    # the tail's deviations sum to 0, so the sum is known before the pass
    inv_total = 1.0 / (scale * pushed + m * background_sum)
    return fold_tail(p, scale, background, m, passages, top, n_entities, inv_total)


def passage_background(t: Transition, n_entities: int, config: RetrieveConfig) -> np.ndarray:
    """``y(1_P)``: the unnormalised PPR of a reset of 1 on every passage node, solved once per
    graph, damping and tolerance (read-only)."""
    return _background(t, n_entities, config)[0]


def _background(t: Transition, n_entities: int, config: RetrieveConfig) -> tuple[np.ndarray, float]:
    def solve() -> tuple[np.ndarray, float]:
        ones = np.zeros(t.n)
        ones[n_entities:] = 1.0
        x = personalized_pagerank_cg(
            t, ones, damping=config.damping, tol=config.tol, max_iter=config.max_iter
        )
        y = _unnormalised(t, x, config.damping) * float(t.n - n_entities)
        y.setflags(write=False)
        return y, float(y.sum())

    found: tuple[np.ndarray, float] = t.memo(
        ("passage-background", n_entities, config.damping, config.tol), solve
    )
    return found


_TINY = float(np.nextafter(0.0, 1.0))  # at_least(x, _TINY): the positive entries
_SAMPLE = 8_192  # values sampled to place the top-k threshold


def _top(values: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """(positions of the ``k`` largest values, in no order; the sum of all values). The same
    set as ``np.argpartition(values, -k)[-k:]`` (up to ties at the k-th value), without a
    selection over every value: a strided sample places a threshold that about ``4k`` values
    reach, one compiled pass collects those, and the selection runs over them (12 ms -> ~2 ms
    over 10^6 passages); a sample that places it too high falls back to the full selection."""
    from graphmem.retrieve._ppr_push import at_least  # numba: compiled on first use

    n = values.size
    if 4 * k < n and n > 4 * _SAMPLE:
        sample = np.sort(values[:: n // _SAMPLE])
        threshold = float(sample[int(sample.size * (1.0 - 4.0 * k / n))])
        found, total = at_least(values, threshold)
        if found.size >= k:
            return found[np.argpartition(values[found], -k)[-k:]], total
    return np.argpartition(values, -k)[-k:], float(values.sum())


def _pushed(t: Transition, reset: np.ndarray, config: RetrieveConfig) -> np.ndarray:
    return personalized_pagerank_push(t, reset, damping=config.damping, eps=config.local_ppr_eps).scores


def _normalised(x: np.ndarray) -> np.ndarray:
    total = float(x.sum())
    return x / total if total > 0 else x


def _unnormalised(t: Transition, x: np.ndarray, d: float) -> np.ndarray:
    """``y`` of a unit reset from its normalised scores ``x``."""
    return x * _y_sum(float(x[t.dangling].sum()), d)


def _y_sum(dangling_mass: float, d: float) -> float:
    """``sum(y)`` of a unit reset whose normalised scores put ``dangling_mass`` on dangling
    nodes: the walk sends their mass back along the reset, so it is ``1 / (1 - d + d * mass)``."""
    return 1.0 / (1.0 - d + d * dangling_mass)
