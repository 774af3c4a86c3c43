"""Fact linking by the ANN graph (graphmem/graph/ann.py) against the exact scans, on seeded
synthetic unit vectors (384 dimensions, MiniLM's): build time, the time to append 1% more rows
(what a refresh after an add pays), query p50/p95 of the exact int8 scan with float32
rescoring (the query path below ``RetrieveConfig.ann_min_rows``), of a plain float32 scan and of
the ANN path (graph candidates rescored exactly: :func:`graphmem.retrieve.linking.link_facts_ann`),
recall@10 of the exact float32 top-10, and memory.

The vectors are clustered in a low-dimensional subspace, as sentence embeddings are
(:class:`Distribution`); ``--distribution hard`` and ``uniform`` are the worst cases for a graph
index. Queries come from the same distribution but are not in the set. Every timing is one
query on one thread, as the query path runs. ``benchmarks/ann_dev_quality.py`` measures the
ANN path on the real dev-set memories.

    PYTHONPATH=. python benchmarks/bench_ann.py --sizes 100000 1000000 \\
        --out benchmarks/results/ann.json

Not part of the test run (tests/graph/test_ann.py checks recall on a small seeded set).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.graph import ann as ann_module
from graphmem.graph.ann import TableAnn
from graphmem.graph.quantize import quantize_rows
from graphmem.retrieve._scoring import f32_scores
from graphmem.retrieve.linking import link_facts_ann, link_facts_quantized, top_k_indices

DIM = 384
K = 10


LATENT = 32  # intrinsic dimension of the "clustered" vectors


class Distribution:
    """Seeded unit vectors. "clustered": a mixture of ``n / 500`` clusters in a 32-dimensional
    latent space (unit centres, Gaussian spread of norm 0.5), embedded in 384 dimensions by a
    random orthonormal map, plus full-dimensional noise of norm 0.1: sentence embeddings occupy
    a low-dimensional part of their space (the nearest row scores ~0.9, a random pair ~0). "hard":
    the same clusters directly in 384 dimensions with noise of norm 0.6, so that within a cluster
    the rows are spread over all 384 dimensions, the worst case for a graph index. "uniform":
    uniform on the sphere, no neighbourhood structure at all."""

    def __init__(self, kind: str, n: int, rng: np.random.Generator):
        self.kind, self.rng = kind, rng
        space = LATENT if kind == "clustered" else DIM
        self.centres = rng.standard_normal((max(64, n // 500), space), dtype=np.float32)
        self.centres /= np.linalg.norm(self.centres, axis=1, keepdims=True)
        q, _ = np.linalg.qr(rng.standard_normal((DIM, LATENT)))
        self.embed = q.T.astype(np.float32)  # LATENT x DIM, orthonormal rows

    def draw(self, n: int) -> np.ndarray:
        rng, out = self.rng, np.empty((n, DIM), dtype=np.float32)
        for start in range(0, n, 100_000):  # in blocks: no temporaries of the whole set
            m = min(100_000, n - start)
            if self.kind == "uniform":
                x = rng.standard_normal((m, DIM), dtype=np.float32)
            else:
                space = self.centres.shape[1]
                spread = 0.5 if self.kind == "clustered" else 0.6
                x = self.centres[rng.integers(0, len(self.centres), m)]
                x = x + spread * rng.standard_normal((m, space), dtype=np.float32) / np.sqrt(space)
                if self.kind == "clustered":
                    noise = rng.standard_normal((m, DIM), dtype=np.float32)
                    x = x @ self.embed + 0.1 * noise / np.sqrt(DIM)
            out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out


def percentiles(ms: list[float]) -> dict[str, float]:
    p50, p95 = np.percentile(ms, [50, 95])
    return {"p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3)}


def run_size(n: int, queries_n: int, distribution: str, seed: int, threads: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    dist = Distribution(distribution, n, rng)
    vectors = dist.draw(n)
    queries = dist.draw(queries_n)
    ids = np.arange(1, n + 1, dtype=np.int64)
    t0 = time.perf_counter()
    codes, scales = quantize_rows(vectors)
    quantize_s = time.perf_counter() - t0

    grow = n // 100  # the last 1%: appended after the build, as a refresh after an add does
    table = TableAnn(DIM, threads=threads)
    t0 = time.perf_counter()
    table.sync(ids[: n - grow], vectors[: n - grow])
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert table.sync(ids, vectors) == "added"
    append_s = time.perf_counter() - t0

    truth = np.empty((queries_n, K), dtype=np.int64)
    for start in range(0, queries_n, 50):
        block = queries[start : start + 50] @ vectors.T
        for i, row in enumerate(block):
            truth[start + i] = top_k_indices(row, K)

    # warm up numba and the graph
    f32_scores(vectors, queries[0])
    link_facts_quantized(codes, scales, vectors, queries[0], K)
    link_facts_ann(table, ids, vectors, queries[0], K)
    timings: dict[str, list[float]] = {"int8_exact": [], "f32_exact": [], "ann": []}
    found: dict[str, list[np.ndarray]] = {name: [] for name in timings}
    for i, q in enumerate(queries):
        for j in range(3):  # rotating order: each method sees the same load
            name = ("int8_exact", "f32_exact", "ann")[(i + j) % 3]
            t0 = time.perf_counter()
            if name == "int8_exact":
                top, _ = link_facts_quantized(codes, scales, vectors, q, K)
            elif name == "f32_exact":
                top = top_k_indices(f32_scores(vectors, q), K)
            else:
                linked = link_facts_ann(table, ids, vectors, q, K)
                assert linked is not None
                top = linked[0]
            timings[name].append((time.perf_counter() - t0) * 1000.0)
            found[name].append(top)
    raw_hits = 0
    for q, want in zip(queries, truth):  # the graph alone, asked for 10
        raw_hits += len(set(want.tolist()) & set((table.index.search(q, K) - 1).tolist()))
    methods = {}
    for name, ms in timings.items():
        hits = sum(len(set(t.tolist()) & set(w.tolist())) for t, w in zip(found[name], truth))
        methods[name] = {**percentiles(ms), "recall_at_10": round(hits / (K * queries_n), 4)}
    return {
        "rows": n,
        "dim": DIM,
        "distribution": distribution,
        "queries": queries_n,
        "add_threads": threads,
        "build_s": round(build_s, 2),
        "build_rows": n - grow,
        "append_rows": grow,
        "append_s": round(append_s, 3),
        "quantize_s": round(quantize_s, 3),
        "raw_graph_recall_at_10": round(raw_hits / (K * queries_n), 4),
        "memory_mb": {
            "float32_rows": round(vectors.nbytes / 2**20, 1),
            "int8_codes": round((codes.nbytes + scales.nbytes) / 2**20, 1),
            "ann_graph": round(table.index.memory_bytes / 2**20, 1),
        },
        "methods": methods,
    }


def table_text(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'rows':>9} {'dist':>9} {'build s':>8} {'+1% s':>7} {'method':>10} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'R@10':>7} {'MB':>7}"
    )
    lines = [header]
    for r in results:
        mem = r["memory_mb"]
        size = {"int8_exact": mem["int8_codes"], "f32_exact": mem["float32_rows"],
                "ann": mem["ann_graph"]}
        for name, m in r["methods"].items():
            build = f"{r['build_s']:8.1f} {r['append_s']:7.2f}" if name == "ann" else f"{'':8} {'':7}"
            lines.append(
                f"{r['rows']:>9} {r['distribution']:>9} {build} {name:>10} {m['p50_ms']:8.3f} "
                f"{m['p95_ms']:8.3f} {m['recall_at_10']:7.4f} {size[name]:7.1f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--distribution", choices=("clustered", "hard", "uniform"), nargs="+",
                        default=["clustered"])
    parser.add_argument("--threads", type=int, default=ann_module.ADD_THREADS,
                        help="usearch insert threads (the index's default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ann.json"))
    args = parser.parse_args()
    results = []
    for distribution in args.distribution:
        for n in args.sizes:
            r = run_size(n, args.queries, distribution, args.seed, args.threads)
            results.append(r)
            print(table_text([r]).split("\n", 1)[1], flush=True)
    print(table_text(results))
    import usearch

    out = {
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "usearch": usearch.__version__},
        "settings": {"connectivity": ann_module.CONNECTIVITY,
                     "expansion_add": ann_module.EXPANSION_ADD,
                     "expansion_search": ann_module.EXPANSION_SEARCH,
                     "storage": ann_module.STORAGE, "min_fetch": ann_module.MIN_FETCH, "k": K},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
