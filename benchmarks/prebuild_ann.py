"""Build and save a memory's ANN graphs ahead of a benchmark, with more insert threads.

A 10^6-passage memory's first query builds the HNSW graph of its ~2M facts on one thread
(``graphmem.graph.ann.ADD_THREADS``: one thread keeps a build reproducible), which took
1,528 s. For a benchmark whose subject is what comes after the build, this opens the memory
with ``--threads`` insert threads, answers one query (which builds every graph the query
needs and saves it in the memory's ``ann/``, ``RetrieveConfig.save_ann``) and reports the
time; the benchmark's processes then restore the saved graphs. A graph built this way is a
valid HNSW graph of the same parameters, not the same bytes as a one-thread build.

    python benchmarks/prebuild_ann.py --store /work/scale-stores/store-1000000-synthetic \\
        --questions /work/scale-stores/gen-1000000/questions.json --threads 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import embedder_for

from graphmem import Memory
from graphmem.graph.ann import HnswIndex


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="the memory directory")
    ap.add_argument("--questions", type=Path, required=True, help="bench_scale's questions.json")
    ap.add_argument("--vectors", choices=("synthetic", "onnx"), default="synthetic")
    ap.add_argument("--threads", type=int, default=2, help="insert threads while building")
    args = ap.parse_args()
    HnswIndex.__init__.__kwdefaults__["threads"] = args.threads
    query = json.loads(args.questions.read_text())[0]["question"]
    embedder, config = embedder_for(args.vectors)
    t0 = time.perf_counter()
    with Memory(args.store, config, embedder=embedder) as mem:
        t1 = time.perf_counter()
        mem.retrieve(query, top_k=5)
        t2 = time.perf_counter()
        index = mem.index()
        graphs = {t: "built" if index.ann(t, 1).builds else "restored" for t in index.ann_tables}
    print(json.dumps({"store": str(args.store), "threads": args.threads, "open_s": round(t1 - t0, 1),
                      "first_answer_s": round(t2 - t1, 1), "ann_graphs": graphs}))


if __name__ == "__main__":
    main()
