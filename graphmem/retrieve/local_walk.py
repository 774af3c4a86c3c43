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
    d = config.damping
    passages = reset[n_entities:]
    k = config.local_ppr_passages
    if passages.size <= k:
        return _normalised(_pushed(t, reset, config))
    cut = np.argpartition(passages, -k)[:-k]
    r = reset.copy()
    r[n_entities + cut] = 0.0
    if not tail or not config.local_ppr_tail:
        return _normalised(_pushed(t, r, config))
    m = float(passages[cut].mean())
    top = np.ones(passages.size, dtype=bool)
    top[cut] = False
    head = r[n_entities:]
    head[top] = np.maximum(head[top] - m, 0.0)
    mass = float(r.sum())
    y = _unnormalised(t, _normalised(_pushed(t, r, config)), d) * mass if mass > 0 else np.zeros(t.n)
    y += m * passage_background(t, n_entities, config)
    y[n_entities + cut] += passages[cut] - m
    return _normalised(y)


def passage_background(t: Transition, n_entities: int, config: RetrieveConfig) -> np.ndarray:
    """``y(1_P)``: the unnormalised PPR of a reset of 1 on every passage node, solved once per
    graph, damping and tolerance (read-only)."""

    def solve() -> np.ndarray:
        ones = np.zeros(t.n)
        ones[n_entities:] = 1.0
        x = personalized_pagerank_cg(
            t, ones, damping=config.damping, tol=config.tol, max_iter=config.max_iter
        )
        y = _unnormalised(t, x, config.damping) * float(t.n - n_entities)
        y.setflags(write=False)
        return y

    return t.memo(("passage-background", n_entities, config.damping, config.tol), solve)


def _pushed(t: Transition, reset: np.ndarray, config: RetrieveConfig) -> np.ndarray:
    return personalized_pagerank_push(t, reset, damping=config.damping, eps=config.local_ppr_eps).scores


def _normalised(x: np.ndarray) -> np.ndarray:
    total = float(x.sum())
    return x / total if total > 0 else x


def _unnormalised(t: Transition, x: np.ndarray, d: float) -> np.ndarray:
    """``y`` of a unit reset from its normalised scores ``x``: the walk sends a dangling node's
    mass back along the reset, so ``sum(y) = 1 / (1 - d + d * x[dangling].sum())``."""
    return x / (1.0 - d + d * float(x[t.dangling].sum()))
