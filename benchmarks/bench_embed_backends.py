"""Embedding backends side by side in one run: torch (the default, bfloat16) vs ONNX Runtime fp32
vs ONNX Runtime int8 (issue 14).

For each backend: passages/s on real passages, short strings/s on 3-word strings (what
ingestion embeds ~20 of per passage: entity names and facts), the latency of embedding one dev
question at a time (what each retrieval pays), the first-encode time (model load,
and the ONNX export when not cached), and the mean/min cosine of its vectors to float32 torch
vectors and to ONNX fp32 vectors. Rounds interleave the backends, so a change in machine load
hits all of them alike; the median round is reported, with every round kept in the JSON.

    python benchmarks/bench_embed_backends.py --out benchmarks/results/embed_backends.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

import numpy as np

from graphmem.config import EmbedConfig
from graphmem.embed import Embedder, make_embedder

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

BACKENDS: dict[str, EmbedConfig] = {
    "torch": EmbedConfig(),  # what Memory uses by default (dtype bfloat16)
    "onnx": EmbedConfig(backend="onnx"),
    "onnx-int8": EmbedConfig(backend="onnx", quantize="int8"),
}


def load_texts(corpus: Path, passages: int, shorts: int, seed: int) -> tuple[list[str], list[str]]:
    """``passages`` passage texts from the corpus and ``shorts`` 3-word strings cut from
    random places in them (seeded)."""
    rows = json.loads(corpus.read_text("utf-8"))
    rng = random.Random(seed)
    chosen = rng.sample(rows, min(passages, len(rows)))
    texts = [r["text"] for r in chosen]
    words = [w for r in rows for w in r["text"].split()]
    starts = [rng.randrange(len(words) - 3) for _ in range(shorts)]
    return texts, [" ".join(words[s : s + 3]) for s in starts]


def rate(embedder: Embedder, texts: list[str], batch: int) -> tuple[float, np.ndarray]:
    """Texts per second embedding ``texts`` in calls of ``batch`` (as ingestion calls it)."""
    out = []
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        out.append(embedder.encode(texts[i : i + batch]))
    return len(texts) / (time.perf_counter() - start), np.concatenate(out)


def query_latency(embedder: Embedder, queries: list[str]) -> dict[str, float]:
    """p50/p95 milliseconds of ``encode([q])``, one query at a time."""
    times = []
    for q in queries:
        t0 = time.perf_counter()
        embedder.encode([q])
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2)}


def cosine(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    c = (a * b).sum(axis=1)
    return {"mean": round(float(c.mean()), 5), "min": round(float(c.min()), 5)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "musique-100" / "corpus.json")
    ap.add_argument("--passages", type=int, default=256)
    ap.add_argument("--shorts", type=int, default=2048)
    ap.add_argument("--call-size", type=int, default=256, help="texts per encode() call")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/embed_backends.json"))
    args = ap.parse_args()

    passages, shorts = load_texts(args.corpus, args.passages, args.shorts, args.seed)
    queries = [q["question"] for q in json.loads((SHARED / "musique-100" / "questions.json").read_text("utf-8"))]
    load_before = os.getloadavg()
    embedders: dict[str, Embedder] = {}
    first_encode_s: dict[str, float] = {}
    for name, config in BACKENDS.items():
        embedders[name] = make_embedder(config)
        t0 = time.perf_counter()
        embedders[name].encode(["warm up the model"])
        first_encode_s[name] = round(time.perf_counter() - t0, 2)
        rate(embedders[name], passages[:32] + shorts[:256], args.call_size)  # warm the kernels
    reference = make_embedder(EmbedConfig(dtype="float32"))
    ref_passages, ref_shorts = reference.encode(passages), reference.encode(shorts)
    del reference

    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in BACKENDS}
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for r in range(args.rounds):
        for name, embedder in embedders.items():
            p_rate, p_vec = rate(embedder, passages, args.call_size)
            s_rate, s_vec = rate(embedder, shorts, args.call_size)
            latency = query_latency(embedder, queries)
            rounds[name].append({"passages_per_s": round(p_rate, 1), "shorts_per_s": round(s_rate, 1),
                                 "query_p50_ms": latency["p50_ms"], "query_p95_ms": latency["p95_ms"]})
            vectors[name] = (p_vec, s_vec)
            print(f"round {r + 1} {name:10s} passages/s {p_rate:7.1f}  3-word strings/s {s_rate:8.1f}  "
                  f"query p50 {latency['p50_ms']:6.2f} ms", flush=True)

    results: dict[str, dict] = {}
    for name in BACKENDS:
        p_vec, s_vec = vectors[name]
        results[name] = {
            "embedder_name": embedders[name].name,
            "passages_per_s": statistics.median(x["passages_per_s"] for x in rounds[name]),
            "shorts_per_s": statistics.median(x["shorts_per_s"] for x in rounds[name]),
            "query_p50_ms": statistics.median(x["query_p50_ms"] for x in rounds[name]),
            "query_p95_ms": statistics.median(x["query_p95_ms"] for x in rounds[name]),
            "first_encode_s": first_encode_s[name],
            "cosine_to_torch_fp32": {"passages": cosine(p_vec, ref_passages), "shorts": cosine(s_vec, ref_shorts)},
            "cosine_to_onnx_fp32": {"passages": cosine(p_vec, vectors["onnx"][0]), "shorts": cosine(s_vec, vectors["onnx"][1])},
            "rounds": rounds[name],
        }
    base = results["torch"]
    for name, res in results.items():
        res["speedup_vs_torch"] = {
            "passages": round(res["passages_per_s"] / base["passages_per_s"], 2),
            "shorts": round(res["shorts_per_s"] / base["shorts_per_s"], 2),
            "query_p50": round(base["query_p50_ms"] / res["query_p50_ms"], 2),
        }
    report = {
        "what": "embedding backends side by side in one run, rounds interleaved; median round",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"corpus": str(args.corpus), "passages": len(passages), "shorts": len(shorts),
                     "queries": len(queries),
                     "short_words": 3, "call_size": args.call_size, "batch_size": BACKENDS["torch"].batch_size,
                     "rounds": args.rounds, "threads": "runtime default (one per core)",
                     "torch_dtype": BACKENDS["torch"].dtype},
        "backends": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'backend':10s} {'passages/s':>10s} {'x':>5s} {'3-word/s':>9s} {'x':>5s} {'cos passages':>12s} {'cos shorts':>10s} {'query p50':>9s}")
    for name, res in results.items():
        cos = res["cosine_to_torch_fp32"]
        print(f"{name:10s} {res['passages_per_s']:10.1f} {res['speedup_vs_torch']['passages']:5.2f} "
              f"{res['shorts_per_s']:9.1f} {res['speedup_vs_torch']['shorts']:5.2f} "
              f"{cos['passages']['mean']:12.4f} {cos['shorts']['mean']:10.4f} {res['query_p50_ms']:7.2f}ms")
    print(f"(cosine: mean to torch float32 vectors) wrote {args.out}")


if __name__ == "__main__":
    main()
