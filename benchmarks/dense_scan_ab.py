"""The float32 dense scan against the int8 one (``RetrieveConfig.int8_dense_min_rows``) on one
scale store built by ``bench_scale.py``, in one process, the order alternating per question: the
dense stage alone, whole retrievals (p50/p95), Recall@5 of the synthetic questions under each,
and the share of questions whose top 5 passages are the same. Synthetic vectors, as the store's.

    python benchmarks/dense_scan_ab.py --store /work/scale-stores/store-1000000-synthetic \\
        --questions /work/scale-stores/gen-1000000/questions.json \\
        --out benchmarks/results/dense_scan_1m.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_vectors import HashedWordEmbedder

from graphmem import Memory
from graphmem.config import MemoryConfig
from graphmem.ids import doc_id_for
from graphmem.retrieve.dense_scan import dense_scores


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="float32 vs int8 dense scan on a scale store")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    records = json.loads(args.questions.read_text())
    base = MemoryConfig()
    configs = {
        "float32": replace(base, retrieve=replace(base.retrieve, int8_dense_min_rows=10**12)),
        "int8": replace(base, retrieve=replace(base.retrieve, int8_dense_min_rows=1)),
    }
    embedder = HashedWordEmbedder()
    got: dict[str, dict[str, list]] = {k: {"dense": [], "retrieve": [], "r5": [], "hits": []}
                                       for k in configs}
    with Memory(args.store, base, embedder=embedder) as mem:
        t0 = time.perf_counter()
        mem.retrieve(records[0]["question"])
        first = time.perf_counter() - t0
        index = mem.index()
        for cfg in configs.values():  # codes quantised, kernels compiled
            dense_scores(index, embedder.encode(["warm up"])[0], cfg.retrieve)
        for i, rec in enumerate(records):
            gold = {doc_id_for(text) for _, (text,) in rec["context"]}
            v = embedder.encode([rec["question"]])[0]
            for name in list(configs) if i % 2 == 0 else list(configs)[::-1]:
                cfg = configs[name]
                t0 = time.perf_counter()
                dense_scores(index, v, cfg.retrieve)
                t1 = time.perf_counter()
                mem.config = cfg
                hits = mem.retrieve(rec["question"], top_k=5)
                t2 = time.perf_counter()
                got[name]["dense"].append(1e3 * (t1 - t0))
                got[name]["retrieve"].append(1e3 * (t2 - t1))
                got[name]["r5"].append(len(gold & {h.doc_id for h in hits}) / len(gold))
                got[name]["hits"].append([h.chunk_id for h in hits])
        passages = index.n_chunks
    out: dict = {"passages": passages, "questions": len(records), "first_query_s": round(first, 2)}
    for name, r in got.items():
        out[name] = {"dense_p50_ms": round(float(np.median(r["dense"])), 2),
                     "retrieve_p50_ms": round(float(np.median(r["retrieve"])), 2),
                     "retrieve_p95_ms": round(float(np.percentile(r["retrieve"], 95)), 2),
                     "recall_at_5": round(float(np.mean(r["r5"])), 4)}
    same = [a == b for a, b in zip(got["float32"]["hits"], got["int8"]["hits"], strict=True)]
    out["same_top5_share"] = round(float(np.mean(same)), 4)
    print(json.dumps(out, indent=1))
    args.out.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
