"""Time graphmem's Personalized PageRank against igraph's PRPACK on the same graph and seeds.

Run from the repository root (so ``graphmem`` is importable)::

    python -m benchmarks.ppr_compare                       # 100,000 nodes / 1,000,000 edges
    python -m benchmarks.ppr_compare --nodes 50000 --edges 200000 --out benchmarks/results/x.json

Both sides get their per-graph preparation outside the timed region (our transition matrix, the
igraph ``Graph`` with a weight attribute), so the numbers are per-query costs, which is what
retrieval pays. igraph counts an undirected self-loop twice, ours once, so loops are passed to
igraph at half weight to make both solve the same problem. igraph's PRPACK runs OpenMP-parallel
while our path is single-threaded; set ``OMP_NUM_THREADS=1`` for a one-core comparison, and
expect noisy igraph timings on a loaded machine (OpenMP threads wait on each other).
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
from graphmem.retrieve.ppr import personalized_pagerank
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


def compare_with_igraph(
    adjacency: sp.csr_matrix, resets: list[np.ndarray], damping: float = 0.5, tol: float = 1e-10
) -> dict[str, Any]:
    """Per-query timings of our fast path and igraph PRPACK on the same graph and reset vectors.

    Returns median/p95 milliseconds for both, ``speed_ratio`` = igraph median / our median, and
    ``max_l1_diff``, the largest L1 distance between the two score vectors over the queries, plus
    the one-off preparation times (not included in the per-query numbers).
    """
    import igraph

    if not resets:
        raise ValueError("need at least one reset vector")

    t0 = time.perf_counter()
    transition = build_transition(adjacency)
    build_transition_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph = _igraph_graph(adjacency)
    build_igraph_s = time.perf_counter() - t0
    reset_lists = [np.asarray(r, dtype=np.float64).tolist() for r in resets]

    def ours(r: np.ndarray) -> np.ndarray:
        return personalized_pagerank(transition, r, damping=damping, tol=tol)

    def theirs(r: list[float]) -> np.ndarray:
        scores = graph.personalized_pagerank(
            weights="weight", damping=damping, reset=r, directed=False, implementation="prpack"
        )
        return np.asarray(scores)

    ours(resets[0])  # warm caches and lazy imports on both sides
    theirs(reset_lists[0])

    # Blocks of all queries per side, alternating over three rounds: interleaving single calls
    # measured our side 40% slower, because igraph's OpenMP workers keep spinning on both cores
    # for a while after each PRPACK call. Alternating rounds still spreads machine noise.
    our_times: list[float] = []
    igraph_times: list[float] = []
    max_l1 = 0.0
    for _ in range(3):
        mine_all = []
        for r in resets:
            t0 = time.perf_counter()
            mine_all.append(ours(r))
            our_times.append(time.perf_counter() - t0)
        for r_list, mine in zip(reset_lists, mine_all):
            t0 = time.perf_counter()
            other = theirs(r_list)
            igraph_times.append(time.perf_counter() - t0)
            max_l1 = max(max_l1, float(np.abs(mine - other).sum()))

    ours_median, ours_p95 = _stats_ms(our_times)
    igraph_median, igraph_p95 = _stats_ms(igraph_times)
    return {
        "nodes": int(adjacency.shape[0]),
        "nnz": int(transition.matrix.nnz),
        "dangling_nodes": int(transition.dangling.size),
        "queries": len(resets),
        "damping": damping,
        "ours_ms_median": ours_median,
        "ours_ms_p95": ours_p95,
        "igraph_ms_median": igraph_median,
        "igraph_ms_p95": igraph_p95,
        "speed_ratio": igraph_median / ours_median,
        "max_l1_diff": max_l1,
        "build_transition_ms": build_transition_s * 1e3,
        "build_igraph_graph_ms": build_igraph_s * 1e3,
        # igraph's PRPACK is OpenMP-parallel (our path is single-threaded): record the setting.
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "igraph": igraph.__version__,
        },
    }


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
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ppr_synthetic.json"))
    args = parser.parse_args(argv)

    adjacency = synthetic_graph(args.nodes, args.edges, args.seed)
    resets = synthetic_resets(args.nodes, args.queries, args.seeds, args.seed)
    report = compare_with_igraph(adjacency, resets, damping=args.damping)
    report.update(edges_sampled=args.edges, seed=args.seed)

    print(f"graph: {report['nodes']:,} nodes, {args.edges:,} sampled edges, nnz {report['nnz']:,}")
    print(
        f"ours:   median {report['ours_ms_median']:.2f} ms, p95 {report['ours_ms_p95']:.2f} ms "
        f"(transition built once in {report['build_transition_ms']:.0f} ms)"
    )
    print(
        f"igraph: median {report['igraph_ms_median']:.2f} ms, "
        f"p95 {report['igraph_ms_p95']:.2f} ms"
    )
    print(f"speed ratio (igraph / ours): {report['speed_ratio']:.2f}x")
    print(f"max L1 difference: {report['max_l1_diff']:.3g}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
