"""PPR at scale without a store: the walk's graph rebuilt from an OpenIE file alone.

A 10^6-passage store takes about an hour to import; this benchmark reads the synthetic corpus's
OpenIE file (``bench_scale.py`` writes it to ``gen-N/openie.json``) and builds the graph the walk
runs on from it: one node per entity name and per passage, an edge of weight 1 between a passage
and each entity it lists, and one between the subject and object of each triple. That is the
shape of a memory's graph (the same nodes and links), not its weights (a store weights fact
edges by their passages and adds synonym edges, which this corpus has none of), so the figures
say how the solver's cost grows, not what a store measures.

Per run: the elimination's build time, its sizes, and PPR p50/p95 over ``--queries`` resets
shaped like retrieval's (five entity seeds of weight 1, every passage a prior up to 0.05), at
damping 0.5 and tol 1e-8 (the retrieval defaults); with ``--local``, the local walk's too (its
once-per-graph background solve timed apart), alternating with the exact walk per reset. The
priors here are uniform random, flatter-tailed than a dense score's min-max, so the top-10
overlap is a harsh check of the approximation, not a quality figure. To compare two revisions, run it under each
(``PYTHONPATH=<worktree>``) with the same ``--seed`` and ``--label``s, alternating.

    PYTHONPATH=. python benchmarks/ppr_openie_graph.py --openie /work/scale-stores/gen-1000000/openie.json \\
        --label now --out benchmarks/results/ppr_openie_1m.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

import graphmem
from graphmem.config import RetrieveConfig
from graphmem.graph.transition import build_transition
from graphmem.retrieve.local_walk import local_walk_scores, passage_background
from graphmem.retrieve.ppr import personalized_pagerank


def graph_from_openie(path: Path) -> tuple[sp.csr_matrix, int]:
    """(symmetric adjacency, number of entity nodes): entities first, then passages."""
    docs = json.loads(path.read_text())["docs"]
    entity: dict[str, int] = {}
    for d in docs:
        for name in d["extracted_entities"]:
            entity.setdefault(name, len(entity))
    n_e = len(entity)
    rows: list[int] = []
    cols: list[int] = []
    for i, d in enumerate(docs):
        for name in set(d["extracted_entities"]):
            rows.append(n_e + i)
            cols.append(entity[name])
        for s, _, o in d["extracted_triples"]:
            if s in entity and o in entity and s != o:
                rows.append(entity[s])
                cols.append(entity[o])
    n = n_e + len(docs)
    r, c = np.asarray(rows), np.asarray(cols)
    a = sp.coo_matrix((np.ones(r.size), (r, c)), shape=(n, n)).tocsr()
    return (a + a.T).tocsr(), n_e


def ms(values: list[float]) -> dict[str, float]:
    a = np.asarray(values) * 1000
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    adjacency, n_e = graph_from_openie(args.openie)
    n = adjacency.shape[0]
    transition = build_transition(adjacency)
    started = time.perf_counter()
    e = transition.elimination(0.5)
    build_s = time.perf_counter() - started
    rng = np.random.default_rng(args.seed)
    times = []
    local = RetrieveConfig(local_ppr_min_nodes=1)
    background_s = None
    if args.local:
        t0 = time.perf_counter()
        passage_background(transition, n_e, local)
        background_s = round(time.perf_counter() - t0, 2)
    local_times: list[float] = []
    overlap: list[float] = []
    for q in range(args.queries):
        reset = np.zeros(n)
        reset[n_e:] = rng.random(n - n_e) * 0.05
        reset[rng.integers(0, n_e, 5)] += 1.0
        for step in ((0, 1) if q % 2 == 0 else (1, 0)) if args.local else (0,):
            t0 = time.perf_counter()
            if step == 0:
                exact = personalized_pagerank(transition, reset, damping=0.5, tol=1e-8)
                times.append(time.perf_counter() - t0)
            else:
                got = local_walk_scores(transition, reset, n_e, local)
                local_times.append(time.perf_counter() - t0)
        if args.local:
            top = [set(np.argsort(-x[n_e:])[:10].tolist()) for x in (exact, got)]
            overlap.append(len(top[0] & top[1]) / 10)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(graphmem.__file__).parent, check=False).stdout.strip()
    return {
        "label": args.label, "revision": head, "openie": str(args.openie),
        "nodes": n, "entities": n_e, "stored_entries": int(adjacency.nnz),
        "eliminated": e.n_eliminated, "core": e.n_core, "eliminated_entries": int(e.lt_data.size),
        "core_entries": int(e.lower_data.size + e.upper_data.size),
        "elimination_build_s": round(build_s, 2), "ppr_ms": ms(times), "queries": args.queries,
        **({"local_tail_ms": ms(local_times), "local_background_solve_s": background_s,
            "local_top10_overlap": round(float(np.mean(overlap)), 3)} if args.local else {}),
        "load_avg": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--openie", type=Path, required=True, help="an OpenIE file (bench_scale's gen-N/openie.json)")
    ap.add_argument("--queries", type=int, default=40, help="resets to time")
    ap.add_argument("--seed", type=int, default=0, help="seed of the resets")
    ap.add_argument("--label", default="run", help="what this run is (e.g. base, now)")
    ap.add_argument("--local", action="store_true",
                    help="also time the local walk (graphmem/retrieve/local_walk.py, default "
                    "settings) per reset, alternating with the exact one, and the overlap of "
                    "their top 10 passages")
    ap.add_argument("--out", type=Path, help="JSON file the run is appended to")
    args = ap.parse_args()
    out = run(args)
    print(json.dumps(out))
    if args.out:
        runs = json.loads(args.out.read_text()) if args.out.exists() else []
        runs.append(out)
        args.out.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
