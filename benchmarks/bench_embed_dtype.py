"""torch bfloat16 against float32 for the packaged MiniLM on this CPU, side by side in one run.

Why: ``EmbedConfig.dtype="auto"`` picks bfloat16 only where the CPU multiplies it natively
(``graphmem.embed.sentence_transformers.native_dtype``); this measures what that choice is worth
or costs here. Per dtype, rounds alternating: passages/s (the first 128 2Wiki passages),
3-word strings/s (their first three words, 512 of them), one query's latency (20 queries), and
the mean cosine between the two dtypes' passage vectors. One thread each.

    python benchmarks/bench_embed_dtype.py --out benchmarks/results/embed_dtype.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from graphmem.config import EmbedConfig
from graphmem.embed import make_embedder
from graphmem.embed.sentence_transformers import native_dtype

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "2wiki-corpus" / "corpus.json"
DTYPES = ("bfloat16", "float32")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    docs = [d["text"] for d in json.loads(args.corpus.read_text())[:128]]
    shorts = [" ".join(t.split()[:3]) for t in docs] * 4
    embedders = {dt: make_embedder(EmbedConfig(dtype=dt, threads=1)) for dt in DTYPES}
    for e in embedders.values():
        e.encode(docs[:4])  # load and warm
    rows: dict[str, list[dict[str, float]]] = {dt: [] for dt in DTYPES}
    for rnd in range(args.rounds):
        for dt in DTYPES if rnd % 2 == 0 else DTYPES[::-1]:
            e = embedders[dt]
            t = time.perf_counter()
            e.encode(docs)
            passages = len(docs) / (time.perf_counter() - t)
            t = time.perf_counter()
            e.encode(shorts)
            strings = len(shorts) / (time.perf_counter() - t)
            t = time.perf_counter()
            for q in docs[:20]:
                e.encode([q[:80]])
            one = (time.perf_counter() - t) / 20 * 1000
            rows[dt].append({"passages_per_s": round(passages, 1), "strings_per_s": round(strings, 1),
                             "one_query_ms": round(one, 1)})
            print(dt, rows[dt][-1], flush=True)
    a, b = (embedders[dt].encode(docs) for dt in DTYPES)
    out = {
        "benchmark": "bench_embed_dtype", "cpu": platform.processor() or platform.machine(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "auto_picks": native_dtype(torch),
        "load_avg_start_end": os.getloadavg(), "rounds": rows,
        "mean_cosine_bf16_fp32": round(float(np.mean(np.sum(a * b, axis=1))), 6),
    }
    print(json.dumps(out))
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
