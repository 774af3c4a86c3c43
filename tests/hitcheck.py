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
    """The same hits in the same order, every field equal but the score, scores within ``rtol``."""
    assert [replace(h, score=0.0) for h in got] == [replace(h, score=0.0) for h in want]
    np.testing.assert_allclose([h.score for h in got], [h.score for h in want], rtol=rtol)
