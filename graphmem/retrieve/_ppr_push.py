"""Compiled forward-push kernel behind :func:`graphmem.retrieve.ppr_push.personalized_pagerank_push`
(see that module for the method). A FIFO ring buffer holds each node at most once, so it never
needs more than ``n`` slots; the loop is one core, no allocation but the three length-``n``
arrays."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def forward_push(indptr, indices, weights, out, damping, seeds, seed_mass, eps):  # pragma: no cover - compiled
    """Returns (p, residual mass left, pushes); the same steps as ``push_reference``."""
    n = out.shape[0]
    p = np.zeros(n)
    r = np.zeros(n)
    queued = np.zeros(n, dtype=np.bool_)
    ring = np.empty(n, dtype=np.int64)
    head = 0
    size = 0
    for i in range(seeds.shape[0]):
        r[seeds[i]] += seed_mass[i]
    for i in range(seeds.shape[0]):
        v = seeds[i]
        limit = eps * out[v] if out[v] > 0 else eps
        if not queued[v] and r[v] > limit:
            queued[v] = True
            ring[(head + size) % n] = v
            size += 1
    pushes = 0
    while size > 0:
        u = ring[head]
        head = (head + 1) % n
        size -= 1
        queued[u] = False
        mass = r[u]
        r[u] = 0.0
        p[u] += (1.0 - damping) * mass
        pushes += 1
        if out[u] > 0:
            share = damping * mass / out[u]
            for k in range(indptr[u], indptr[u + 1]):
                v = indices[k]
                r[v] += share * weights[k]
                limit = eps * out[v] if out[v] > 0 else eps
                if not queued[v] and r[v] > limit:
                    queued[v] = True
                    ring[(head + size) % n] = v
                    size += 1
        else:
            for i in range(seeds.shape[0]):
                r[seeds[i]] += damping * mass * seed_mass[i]
            for i in range(seeds.shape[0]):
                v = seeds[i]
                limit = eps * out[v] if out[v] > 0 else eps
                if not queued[v] and r[v] > limit:
                    queued[v] = True
                    ring[(head + size) % n] = v
                    size += 1
    residual = 0.0
    for i in range(n):
        residual += r[i]
    return p, residual, pushes


@njit(cache=True, nogil=True)
def fold_tail(p, scale, background, mean, prior, top, n_entities, inv_total):  # pragma: no cover - compiled
    """``(scale * p + mean * background + (prior - mean) on the tail passages) * inv_total``
    in one pass (:func:`graphmem.retrieve.local_walk.local_walk_scores`); ``top`` holds the
    pushed passages' positions, which take no deviation term."""
    n = p.shape[0]
    y = np.empty(n)
    for i in range(n_entities):
        y[i] = (scale * p[i] + mean * background[i]) * inv_total
    for j in range(n - n_entities):
        i = n_entities + j
        y[i] = (scale * p[i] + mean * background[i] + prior[j] - mean) * inv_total
    for j in top:
        y[n_entities + j] -= (prior[j] - mean) * inv_total
    return y


@njit(cache=True, nogil=True)
def at_least(values, threshold):  # pragma: no cover - compiled
    """(positions of the values >= ``threshold``, in order; the sum of all values): two passes
    over ``values`` and no other allocation."""
    count = 0
    total = 0.0
    for i in range(values.shape[0]):
        total += values[i]
        if values[i] >= threshold:
            count += 1
    out = np.empty(count, dtype=np.int64)
    j = 0
    for i in range(values.shape[0]):
        if values[i] >= threshold:
            out[j] = i
            j += 1
    return out, total
