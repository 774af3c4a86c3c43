"""PPR cost as a memory grows: the exact conjugate-gradient walk over every node against the
local push of graphmem/retrieve/ppr_push.py, on built memories of several sizes (e.g. the
bench_scale.py stores), with the same seeds for both.

For each store: the first ``--queries`` questions are seeded once (``seed_query`` with the
defaults), then each walk variant runs on those resets in rotating order; reports the walk's
p50/p95 ms, pushes, residual mass, and how far the local ranking is from the exact one
(overlap of the top-10 passages by walk score, and whether the top-1 is the same).
Stores built with the synthetic vectors (``--embedder synthetic``) need
benchmarks/synthetic_vectors.py; their figures are labelled so.

    PYTHONPATH=. python benchmarks/ppr_scale.py --store /work/scale-stores/store-100000-synthetic \\
        --questions /work/scale-stores/gen-100000/questions.json --embedder synthetic \\
        --out benchmarks/results/ppr_scale.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig, StoreConfig
from graphmem.retrieve.ppr import personalized_pagerank
from graphmem.retrieve.ppr_push import personalized_pagerank_push
from graphmem.retrieve.retriever import seed_query

sys.path.insert(0, str(Path(__file__).resolve().parent))


def top(scores: np.ndarray, n_e: int, k: int = 10) -> list[int]:
    passages = scores[n_e:]
    idx = np.argpartition(passages, -k)[-k:]
    return [int(i) for i in idx[np.argsort(-passages[idx], kind="stable")]]


def run_store(store: Path, questions: list[str], embedder: Any, variants: list[tuple[int, float]],
              repeats: int) -> dict[str, Any]:
    cfg = MemoryConfig(store=StoreConfig(read_only=True))
    with Memory(store, cfg, embedder=embedder) as mem:
        index = mem.index()
        t = index.transition
        n_e = index.n_entities
        resets = []
        for q in questions:
            s = seed_query(index, q, mem.embedder.encode([q])[0], RetrieveConfig())
            if s.reset is not None:
                resets.append(s.reset)
        times: dict[str, list[float]] = {"exact": []}
        stats: dict[str, dict[str, list[float]]] = {}
        for m, eps in variants:
            times[f"local-{m}-{eps:g}"] = []
            stats[f"local-{m}-{eps:g}"] = {"pushes": [], "residual": [], "overlap10": [],
                                           "same_top1": []}
        for i, reset in enumerate(resets):
            exact = personalized_pagerank(t, reset, tol=1e-8)
            want = top(exact, n_e)
            names = list(times)
            for j in range(len(names)):
                name = names[(i + j) % len(names)]
                for _ in range(repeats):
                    if name == "exact":
                        t0 = time.perf_counter()
                        personalized_pagerank(t, reset, tol=1e-8)
                        times[name].append(time.perf_counter() - t0)
                        continue
                    _, m, eps = name.split("-", 2)
                    r = reset.copy()
                    part = r[n_e:]
                    if part.size > int(m):
                        part[np.argpartition(part, -int(m))[: -int(m)]] = 0.0
                    t0 = time.perf_counter()
                    got = personalized_pagerank_push(t, r, eps=float(eps))
                    times[name].append(time.perf_counter() - t0)
                s = stats.get(name)
                if s is not None:
                    mine = top(got.scores, n_e)
                    s["pushes"].append(got.pushes)
                    s["residual"].append(got.residual)
                    s["overlap10"].append(len(set(mine) & set(want)) / 10)
                    s["same_top1"].append(float(mine[0] == want[0]))
        out: dict[str, Any] = {
            "store": str(store), "nodes": t.n, "edges_stored": int(t.adjacency.nnz),
            "passages": index.n_chunks, "entities": index.n_entities, "queries": len(resets),
            "embedder": mem.embedder.name,
        }
        for name, ts in times.items():
            ms = np.asarray(ts) * 1000
            row: dict[str, Any] = {"p50_ms": round(float(np.median(ms)), 3),
                                   "p95_ms": round(float(np.percentile(ms, 95)), 3)}
            for k, v in stats.get(name, {}).items():
                row[k] = round(float(np.mean(v)), 6)
            out[name] = row
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, action="append", required=True)
    ap.add_argument("--questions", type=Path, action="append", required=True,
                    help="2Wiki-format questions, one file per --store")
    ap.add_argument("--embedder", choices=("default", "synthetic"), default="default")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--variants", default="1000:1e-7,1000:1e-6,200:1e-6")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/ppr_scale.json"))
    args = ap.parse_args()
    embedder = None
    if args.embedder == "synthetic":
        from synthetic_vectors import HashedWordEmbedder
        embedder = HashedWordEmbedder()
    variants = [(int(m), float(e)) for m, e in (v.split(":") for v in args.variants.split(","))]
    results: dict[str, Any] = {"load_average_start": os.getloadavg()[0], "runs": []}
    for store, qpath in zip(args.store, args.questions):
        qs = [q["question"] for q in json.loads(qpath.read_text())][: args.queries]
        run = run_store(store, qs, embedder, variants, args.repeats)
        print(json.dumps(run), flush=True)
        results["runs"].append(run)
    results["load_average_end"] = os.getloadavg()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
