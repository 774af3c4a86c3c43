"""Time graphmem's Personalized PageRank against igraph's PRPACK on the same graph and seeds.

Run from the repository root (so ``graphmem`` is importable)::

    python -m benchmarks.ppr_compare                       # 100,000 nodes / 1,000,000 edges
    python -m benchmarks.ppr_compare --nodes 50000 --edges 200000 --out benchmarks/results/x.json

Both sides get their per-graph preparation outside the timed region (our transition matrix, the
igraph ``Graph`` with a weight attribute), so the numbers are per-query costs, which is what
retrieval pays. igraph counts an undirected self-loop twice, ours once, so loops are passed to
igraph at half weight to make both solve the same problem. Both stop on the same test at the
same tolerance, 1e-10 (see :func:`compare_with_igraph`). igraph's PRPACK runs OpenMP-parallel
while our path is single-threaded, so igraph is timed twice in the same run: with its default
threads and limited to one (threadpoolctl); expect noisy igraph timings on a loaded machine
(OpenMP threads wait on each other).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp

from graphmem.graph.transition import build_transition
from graphmem.retrieve.ppr import (
    personalized_pagerank,
    personalized_pagerank_cg,
    personalized_pagerank_power,
)
from graphmem.retrieve.ppr_reference import adjacency_from_edges


def _igraph_graph(adjacency: sp.csr_matrix) -> Any:
    """igraph ``Graph`` (undirected, ``weight`` attribute) equal to the symmetric ``adjacency``."""
    import igraph

    upper = sp.triu(adjacency, format="coo")
    weights = upper.data.astype(np.float64)
    weights[upper.row == upper.col] /= 2.0  # igraph counts an undirected self-loop twice
    graph = igraph.Graph(
        n=adjacency.shape[0],
        edges=np.column_stack([upper.row, upper.col]).tolist(),
        directed=False,
    )
    graph.es["weight"] = weights.tolist()
    return graph


def _stats_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile of per-query timings, in milliseconds."""
    ms = np.asarray(seconds) * 1e3
    return float(np.median(ms)), float(np.percentile(ms, 95))


def _l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def compare_with_igraph(
    adjacency: sp.csr_matrix,
    resets: list[np.ndarray],
    damping: float = 0.5,
    tol: float = 1e-10,
    rounds: int = 5,
    random_resets: list[np.ndarray] | None = None,
) -> dict[str, Any]:
    """Per-query timings of our fast path, our previous solver and igraph PRPACK (with its
    OpenMP threads at the default and limited to 1) on the same graph and reset vectors.

    Equal tolerance: igraph's C core calls PRPACK with tol 1e-10 (fixed, not exposed), which
    stops once ``|(I - d P) x - r|_1 / (1 - d) < tol``; our fast path uses the same test
    (``tol`` here, default 1e-10). The previous solver (:func:`personalized_pagerank_cg`) runs at
    the same ``tol`` under its own relative 2-norm test. Timed in ``rounds`` rounds, each a block
    of all queries per solver in turn (interleaving single calls measured our side 40% slower:
    igraph's OpenMP workers keep spinning after each call). Accuracy: every solver's largest L1
    distance to a tight reference (the power iteration at L1 change 1e-14) on the first 20 query
    resets plus ``random_resets``. ``speed_ratio*`` = igraph median / our median over all rounds;
    ``*_round_ratios`` the same per round.
    """
    import igraph
    from threadpoolctl import threadpool_limits

    if not resets:
        raise ValueError("need at least one reset vector")
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    transition = build_transition(adjacency)
    build_transition_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    elimination = transition.elimination(damping)
    build_elimination_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph = _igraph_graph(adjacency)
    build_igraph_s = time.perf_counter() - t0
    reset_lists = [np.asarray(r, dtype=np.float64).tolist() for r in resets]

    def ours(r: np.ndarray) -> np.ndarray:
        return personalized_pagerank(transition, r, damping=damping, tol=tol)

    def previous(r: np.ndarray) -> np.ndarray:
        return personalized_pagerank_cg(transition, r, damping=damping, tol=tol)

    def theirs(r: list[float]) -> np.ndarray:
        scores = graph.personalized_pagerank(
            weights="weight", damping=damping, reset=r, directed=False, implementation="prpack"
        )
        return np.asarray(scores)

    def theirs_one_thread(r: list[float]) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="openmp"):
            return theirs(r)

    ours(resets[0])  # warm caches and lazy imports on every side
    previous(resets[0])
    theirs(reset_lists[0])
    theirs_one_thread(reset_lists[0])

    sides = {
        "ours": (ours, resets),
        "previous": (previous, resets),
        "igraph": (theirs, reset_lists),
        "igraph_omp1": (theirs_one_thread, reset_lists),
    }
    times: dict[str, list[list[float]]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, (solve, inputs) in sides.items():
            block = []
            for r in inputs:
                t0 = time.perf_counter()
                solve(r)
                block.append(time.perf_counter() - t0)
            times[name].append(block)

    iterations = {"ours_core": _our_iterations(transition, resets, damping, tol)}
    iterations["previous"] = _previous_iterations(transition, resets, damping, tol)

    check = list(resets[:20]) + list(random_resets or [])
    l1 = {name: 0.0 for name in ("ours", "previous", "igraph", "ours_vs_igraph")}
    for r in check:
        reference = personalized_pagerank_power(
            transition, r, damping=damping, tol=1e-14, max_iter=10_000
        )
        mine, other = ours(r), theirs(np.asarray(r, dtype=np.float64).tolist())
        l1["ours"] = max(l1["ours"], _l1(mine, reference))
        l1["previous"] = max(l1["previous"], _l1(previous(r), reference))
        l1["igraph"] = max(l1["igraph"], _l1(other, reference))
        l1["ours_vs_igraph"] = max(l1["ours_vs_igraph"], _l1(mine, other))

    report: dict[str, Any] = {
        "nodes": int(adjacency.shape[0]),
        "nnz": int(transition.symmetric.nnz),
        "dangling_nodes": int(transition.dangling.size),
        "eliminated_nodes": elimination.n_eliminated,
        "core_nodes": elimination.n_core,
        "core_nnz": int(elimination.lower_data.size + elimination.upper_data.size),
        "queries": len(resets),
        "rounds": rounds,
        "damping": damping,
        "tol": tol,
        "tol_meaning": "|(I - d P) x - r|_1 / (1 - d) < tol for ours and PRPACK (igraph fixes "
        "PRPACK's tol at 1e-10); the previous solver's tol bounds a relative 2-norm residual",
    }
    for name, blocks in times.items():
        median, p95 = _stats_ms([t for block in blocks for t in block])
        report[f"{name}_ms_median"] = median
        report[f"{name}_ms_p95"] = p95
        report[f"{name}_ms_round_medians"] = [_stats_ms(b)[0] for b in blocks]
    for name in ("igraph", "igraph_omp1", "previous"):
        suffix = {"igraph": "", "igraph_omp1": "_omp1", "previous": "_previous"}[name]
        report[f"speed_ratio{suffix}"] = report[f"{name}_ms_median"] / report["ours_ms_median"]
        report[f"speed_ratio{suffix}_round_ratios"] = [
            a / b
            for a, b in zip(report[f"{name}_ms_round_medians"], report["ours_ms_round_medians"])
        ]
    report.update(
        iterations_median={k: float(np.median(v)) for k, v in iterations.items()},
        iterations_max={k: int(max(v)) for k, v in iterations.items()},
        accuracy_resets=len(check),
        max_l1_to_reference={k: v for k, v in l1.items() if k != "ours_vs_igraph"},
        max_l1_diff=l1["ours_vs_igraph"],
        build_transition_ms=build_transition_s * 1e3,
        build_elimination_ms=build_elimination_s * 1e3,
        build_igraph_graph_ms=build_igraph_s * 1e3,
        omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
        cpu_count=os.cpu_count(),
        load_average_start=list(load_start),
        load_average_end=list(os.getloadavg()),
        versions={
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "igraph": igraph.__version__,
        },
    )
    return report


def summary(report: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    lines = [
        (
            f"ours (tol {report['tol']:g}): median {report['ours_ms_median']:.2f} ms "
            f"(elimination built once in {report['build_elimination_ms']:.0f} ms: "
            f"{report['eliminated_nodes']:,} nodes eliminated, core {report['core_nodes']:,})"
        ),
        (
            f"previous CG: median {report['previous_ms_median']:.2f} ms; iterations (median) "
            f"{report['iterations_median']}"
        ),
        (
            f"igraph PRPACK: median {report['igraph_ms_median']:.2f} ms, "
            f"OMP 1 thread {report['igraph_omp1_ms_median']:.2f} ms"
        ),
        (
            f"ratios: igraph/ours {report['speed_ratio']:.2f}x, igraph(1 thread)/ours "
            f"{report['speed_ratio_omp1']:.2f}x, previous/ours {report['speed_ratio_previous']:.2f}x"
        ),
        (
            f"max L1 to reference: {report['max_l1_to_reference']}, ours vs igraph "
            f"{report['max_l1_diff']:.3g}"
        ),
        f"load average start {report['load_average_start']}, end {report['load_average_end']}",
    ]
    return "\n".join(lines)


def _our_iterations(
    transition: Any, resets: list[np.ndarray], damping: float, tol: float
) -> list[int]:
    """Core iterations the fast path takes per reset (the kernel called as the fast path does)."""
    from graphmem.retrieve._ppr_elim import elimination_solve

    e = transition.elimination(damping)
    work = np.empty(6 * e.n_core)
    steps = []
    for reset in resets:
        r = np.asarray(reset, dtype=np.float64) / np.sum(reset)
        z = r[e.nodes] / e.sqrt_out
        n, _ = elimination_solve(
            e.lt_indptr, e.lt_indices,
            e.lt_data, e.pivot, e.lower_indptr, e.lower_indices, e.lower_data, e.upper_indptr,
            e.upper_indices, e.upper_data, e.core_scale, e.bound_weight, z, work,
            tol * (1 - damping), 100,
        )
        steps.append(int(n))
    return steps


def _previous_iterations(
    transition: Any, resets: list[np.ndarray], damping: float, tol: float
) -> list[int]:
    """Conjugate-gradient steps the previous solver takes per reset (its own 2-norm test)."""
    from graphmem.retrieve._ppr_cg import cg_solve

    active = transition.n - int(transition.dangling.size)
    steps = []
    for reset in resets:
        r = np.asarray(reset, dtype=np.float64) / np.sum(reset)
        b = (r / transition.sqrt_out)[transition.order]
        _, n, _ = cg_solve(
            transition.cg_indptr[: active + 1], transition.cg_indices, transition.symmetric.data,
            damping, b[:active], tol, 100,
        )
        steps.append(int(n))
    return steps


def synthetic_graph(nodes: int, edges: int, seed: int) -> sp.csr_matrix:
    """Uniform random multigraph (loops and parallels allowed, merged by our conventions),
    weights uniform in [0.1, 2)."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, nodes, edges)
    v = rng.integers(0, nodes, edges)
    w = rng.uniform(0.1, 2.0, edges)
    return adjacency_from_edges(nodes, zip(u.tolist(), v.tolist(), w.tolist()))


def synthetic_resets(nodes: int, queries: int, seeds: int, seed: int) -> list[np.ndarray]:
    """Reset vectors shaped like retrieval seeding: a few strong entity seeds plus a small weight
    on about 10% of nodes (the passage nodes' dense scores)."""
    rng = np.random.default_rng(seed + 1)
    resets = []
    for _ in range(queries):
        r = np.zeros(nodes)
        passages = rng.choice(nodes, size=max(1, nodes // 10), replace=False)
        r[passages] = 0.05 * rng.random(passages.size)
        r[rng.choice(nodes, size=seeds, replace=False)] += rng.uniform(0.5, 1.0, seeds)
        resets.append(r)
    return resets


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Build the synthetic graph and resets, compare, print and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=5, help="strong seed nodes per query")
    parser.add_argument("--damping", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tol", type=float, default=1e-10)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ppr_synthetic.json"))
    args = parser.parse_args(argv)

    adjacency = synthetic_graph(args.nodes, args.edges, args.seed)
    resets = synthetic_resets(args.nodes, args.queries, args.seeds, args.seed)
    randoms = synthetic_resets(args.nodes, 20, args.seeds, args.seed + 7)
    report = compare_with_igraph(
        adjacency, resets, damping=args.damping, tol=args.tol, random_resets=randoms
    )
    report.update(edges_sampled=args.edges, seed=args.seed)
    print(f"graph: {report['nodes']:,} nodes, {args.edges:,} sampled edges, nnz {report['nnz']:,}")
    print(summary(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
