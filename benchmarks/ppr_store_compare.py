"""PPR of an existing memory vs igraph PRPACK at equal tolerance, on real query seeds.

    python benchmarks/ppr_store_compare.py --store DIR [--questions FILE] [--out FILE]

The store is opened read-only. Seeds come from the first ``--limit`` questions of ``FILE`` (a
JSON list of objects with a ``question`` key; default the 2Wiki dev questions under
/work/shared/data/2wiki-corpus, the set the 2Wiki store was built for), plus 20 random resets
for the accuracy check. Our solver runs on one core; igraph's PRPACK is timed in the same run
with its default OpenMP threads and limited to one (see ``benchmarks/ppr_compare.py``), so the
report has both the whole-machine and the core-for-core ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ppr_compare import compare_with_igraph, summary, synthetic_resets

from graphmem import Memory
from graphmem.config import MemoryConfig, StoreConfig
from graphmem.retrieve.retriever import seed_query

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--questions", type=Path, default=SHARED / "2wiki-corpus" / "dev-questions.json")
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="whole comparisons, one after another")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    questions = [q["question"] for q in json.loads(args.questions.read_text())][: args.limit]
    with Memory(args.store, MemoryConfig(store=StoreConfig(read_only=True))) as mem:
        index = mem.index()
        cfg = mem.config.retrieve
        vectors = mem.embedder.encode(questions)
        resets = [
            s.reset
            for q, v in zip(questions, vectors)
            if (s := seed_query(index, q, v, cfg)).reset is not None
        ]
        n = index.adjacency.shape[0]
        runs = []
        for _ in range(args.repeat):
            runs.append(
                compare_with_igraph(
                    index.adjacency, resets, damping=cfg.damping, tol=args.tol,
                    rounds=args.rounds, random_resets=synthetic_resets(n, 20, 5, seed=0),
                )
            )
            print(summary(runs[-1]), flush=True)
    # the last run in full, then per run the headline numbers and their medians over the runs
    report = dict(runs[-1], store=str(args.store), questions_file=str(args.questions))
    keys = (
        "ours_ms_median", "previous_ms_median", "igraph_ms_median", "igraph_omp1_ms_median",
        "speed_ratio", "speed_ratio_omp1", "speed_ratio_previous", "max_l1_diff",
        "load_average_start", "load_average_end",
    )
    report["runs"] = [{k: run[k] for k in keys} for run in runs]
    report["median_over_runs"] = {
        k: statistics.median(run[k] for run in runs) for k in keys if not k.startswith("load")
    }
    print("median over runs:", json.dumps(report["median_over_runs"]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
