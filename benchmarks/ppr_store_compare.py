"""PPR of an existing memory vs igraph PRPACK, on the real query seeds of 100 benchmark questions.

    python benchmarks/ppr_store_compare.py --store DIR [--out FILE]
    OMP_NUM_THREADS=1 python benchmarks/ppr_store_compare.py --store DIR   # igraph on one core too

Our solver always runs on one core; igraph's PRPACK uses OpenMP threads unless OMP_NUM_THREADS
limits them, so running both ways gives the whole-machine and the core-for-core ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ppr_compare import compare_with_igraph

from graphmem import Memory
from graphmem.retrieve.retriever import seed_query

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    questions = [q["question"] for q in json.loads((SHARED / "hotpotqa-100" / "questions.json").read_text())]
    questions += [q["question"] for q in json.loads((SHARED / "musique-100" / "questions.json").read_text())]
    with Memory(args.store) as mem:
        index = mem.index()
        cfg = mem.config.retrieve
        vectors = mem.embedder.encode(questions[:100])
        resets = [
            s.reset
            for q, v in zip(questions[:100], vectors)
            if (s := seed_query(index, q, v, cfg)).reset is not None
        ]
        report = compare_with_igraph(index.adjacency, resets, damping=cfg.damping, tol=cfg.tol)
    report["omp_num_threads"] = os.environ.get("OMP_NUM_THREADS")
    keys = ("nodes", "nnz", "queries", "ours_ms_median", "igraph_ms_median", "speed_ratio", "max_l1_diff")
    print(json.dumps({k: report[k] for k in keys} | {"omp_num_threads": report["omp_num_threads"]}))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
