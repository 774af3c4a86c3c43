"""When a refreshed graph should build its low-degree elimination (ski rental).

The fast PPR solve (:func:`graphmem.retrieve.ppr.personalized_pagerank`) needs an elimination
built once per graph (:mod:`graphmem.graph.elimination`), and every write makes a new graph. A
graph that answers few queries before the next write is better served by the solver that needs
no build (conjugate gradients over the whole graph); one that answers many, by building. Which
one it will be is not known in advance, so :class:`Deferral` rents until the rent paid equals
the price of buying: each solve made without the elimination adds what it cost beyond an
eliminated solve, and once that sum reaches the expected build time the graph builds. In
hindsight this never costs more than about twice the better of the two choices.

The expected costs come from the graph before (:meth:`Deferral.cost_for`): its measured build
time, its solve times with and without the elimination (scaled by the number of stored
entries), and how many queries it answered. When that graph answered enough queries that
solving them all without the elimination would have cost more than the build, the next graph
builds at once (a steady workload's next graph is most likely like its last); otherwise it
rents as above.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["Deferral", "EliminationCost"]


@dataclass(frozen=True)
class EliminationCost:
    """Expected seconds to build the elimination of a graph, of one solve with it and of one
    without it (None: not measured), and the solves the graph before answered (None: unknown)."""

    build_s: float
    solve_s: float = 0.0
    cg_s: float | None = None
    solves: int | None = None

    def scaled(self, factor: float) -> EliminationCost:
        cg = None if self.cg_s is None else self.cg_s * factor
        return EliminationCost(self.build_s * factor, self.solve_s * factor, cg, self.solves)

    def build_pays(self) -> bool:
        """Whether the solves the graph before answered, made without the elimination, would
        cost more than building it (False when either is unknown)."""
        if self.cg_s is None or self.solves is None:
            return False
        return self.solves * max(0.0, self.cg_s - self.solve_s) >= self.build_s


@dataclass(eq=False)
class Deferral:
    """The rent and cost record of one graph (one :class:`graphmem.graph.transition.Transition`).

    ``expected``: the costs carried from the graph before (None: nothing to go by, as on a cold
    open, so nothing is deferred). Thread-safe; counts are per damping."""

    expected: EliminationCost | None = None
    _rent: dict[float, float] = field(default_factory=dict)
    _built: dict[float, float] = field(default_factory=dict)
    _solves: dict[float, tuple[int, float]] = field(default_factory=dict)
    _deferred: tuple[int, float] = (0, 0.0)  # solves made without the elimination, their seconds
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def deferring(self, damping: float) -> bool:
        """Whether a solve for ``damping`` should go without the elimination (not yet built):
        not when the graph before says the build pays, else while the rent paid is below the
        expected build time."""
        key = float(damping)
        if self.expected is None or key in self._built or self.expected.build_pays():
            return False
        return self._rent.get(key, 0.0) < self.expected.build_s

    def record_deferred(self, damping: float, seconds: float) -> None:
        """A solve without the elimination took ``seconds``: its cost beyond an eliminated
        solve (as expected) is rent paid."""
        key = float(damping)
        extra = max(0.0, seconds - (self.expected.solve_s if self.expected else 0.0))
        with self._lock:
            self._rent[key] = self._rent.get(key, 0.0) + extra
            self._deferred = (self._deferred[0] + 1, self._deferred[1] + seconds)

    def record_built(self, damping: float, seconds: float) -> None:
        """The elimination for ``damping`` was built in ``seconds``."""
        with self._lock:
            self._built[float(damping)] = seconds

    def record_solve(self, damping: float, seconds: float) -> None:
        """A solve with the elimination for ``damping`` took ``seconds``."""
        key = float(damping)
        with self._lock:
            n, total = self._solves.get(key, (0, 0.0))
            self._solves[key] = (n + 1, total + seconds)

    def measured(self) -> EliminationCost | None:
        """This graph's own costs: its latest build, its solves' mean times with and without the
        elimination, and how many it answered; what was expected where nothing was measured."""
        with self._lock:
            built = list(self._built.values())
            solves = list(self._solves.values())
            deferred = self._deferred
        expected = self.expected
        if not built and expected is None:
            return None
        n = sum(c for c, _ in solves)
        if n:
            solve_s = sum(t for _, t in solves) / n
        else:
            solve_s = expected.solve_s if expected else 0.0
        cg_s = deferred[1] / deferred[0] if deferred[0] else (expected.cg_s if expected else None)
        build_s = built[-1] if built else expected.build_s  # type: ignore[union-attr]
        return EliminationCost(build_s, solve_s, cg_s, n + deferred[0])

    def cost_for(self, factor: float) -> EliminationCost | None:
        """The costs to expect of the next graph, ``factor`` times this one's size."""
        cost = self.measured()
        return None if cost is None else cost.scaled(factor)
