"""Comparing hits from two memories whose PPR solves may differ in the last digits.

A server defers the elimination build after writes (``ServerSettings.defer_elimination``), so
its readers may solve a refreshed graph by conjugate gradients where an embedded memory opened
afterwards eliminates first: the same hits, scores equal up to the solver tolerance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from graphmem.types import Hit


def assert_same_hits(got: Sequence[Hit], want: Sequence[Hit], rtol: float = 1e-6) -> None:
    """The same hits in the same order, every field equal but the score and the explanation's
    dense score, both within ``rtol`` (another process may embed the query with another thread
    count: float32 sums in another order)."""

    def fixed(hit: Hit) -> Hit:
        explanation = hit.explanation
        if explanation is not None:
            explanation = replace(explanation, dense_score=0.0)
        return replace(hit, score=0.0, explanation=explanation)

    def dense(hit: Hit) -> float:
        return 0.0 if hit.explanation is None else float(hit.explanation.dense_score or 0.0)

    assert [fixed(h) for h in got] == [fixed(h) for h in want]
    np.testing.assert_allclose([h.score for h in got], [h.score for h in want], rtol=rtol)
    np.testing.assert_allclose([dense(h) for h in got], [dense(h) for h in want], rtol=rtol)
