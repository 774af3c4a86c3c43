"""The query half of ``bench_scale.py`` alone, on a memory it built before: open, first
answer, Recall@2/@5 and retrieval p50/p95 over the questions, per-stage times, peak RSS.

For re-measuring the query path on a large store (10^6 passages take an hour or more to
import, and a full ``bench_scale.py --reuse-store`` run also adds and deletes, which rewrites
the store's newest rows). Restores the ANN graphs saved in the memory's ``ann/``
(``benchmarks/prebuild_ann.py`` builds them ahead if needed).

    python benchmarks/scale_query.py --size 1000000 --out benchmarks/results/scale_1m_query.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import STAGE_QUERIES, embedder_for, peak_rss_gb, recall_and_latency, stage_times

from graphmem import Memory


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, required=True, help="passages (names the store and corpus)")
    ap.add_argument("--vectors", choices=("synthetic", "onnx"), default="synthetic")
    ap.add_argument("--work-dir", type=Path, default=Path("/work/scale-stores"))
    ap.add_argument("--stage-queries", type=int, default=STAGE_QUERIES)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    gen, store = args.work_dir / f"gen-{args.size}", args.work_dir / f"store-{args.size}-{args.vectors}"
    records = json.loads((gen / "questions.json").read_text())
    out: dict = {"passages": args.size, "vectors": args.vectors, "load_avg_start": os.getloadavg()}
    t0 = time.perf_counter()
    embedder, config = embedder_for(args.vectors)
    with Memory(store, config, embedder=embedder) as mem:
        t1 = time.perf_counter()
        mem.retrieve(records[0]["question"])
        t2 = time.perf_counter()
        index = mem.index()
        out["open_s"], out["first_answer_s"] = round(t1 - t0, 2), round(t2 - t1, 2)
        out["ann_graphs"] = {t: "built" if index.ann(t, 1).builds else "restored" for t in index.ann_tables}
        out["quality"] = recall_and_latency(mem, gen / "questions.json")
        out["stages_ms"] = stage_times(mem, embedder, [r["question"] for r in records[: args.stage_queries]])
    out["peak_rss_gb"] = peak_rss_gb()
    out["load_avg_end"] = os.getloadavg()
    print(json.dumps(out))
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
