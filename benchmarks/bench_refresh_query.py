"""What a write costs the reader's next queries, with and without deferring the PPR elimination.

A write bumps the store's generation; every reader then refreshes its index and, on its next
solve, rebuilds the low-degree elimination PPR solves with (``RetrieveConfig.defer_elimination``
lets it solve by conjugate gradients instead until that is worth it). Per round: the writer adds
one document, then each of two readers on the same store (one per setting, run one after the
other, so they never compete for the cores; the one to go first alternates) answers ``k``
questions. Reported per ``k`` and
setting: the reader's seconds for those ``k`` questions (its refresh included), their mean, and
the ratio off/on, plus the mean of the same questions on an unchanged graph.

    python benchmarks/bench_refresh_query.py --store DIR [--vectors onnx|synthetic]
        [--questions FILE] [--ks 1,4,16,64] [--rounds 8] [--out FILE]

The store is copied first (``--work``), so it is never written to.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphmem import Document, Memory
from graphmem.config import EmbedConfig, MemoryConfig

DEFAULT_QUESTIONS = Path(__file__).resolve().parents[2] / "shared/data/2wiki-corpus/dev-questions.json"


def models(vectors: str) -> tuple[Any, MemoryConfig]:
    if vectors == "synthetic":
        from synthetic_vectors import HashedWordEmbedder

        return HashedWordEmbedder(), MemoryConfig()
    from graphmem.embed import make_embedder

    config = MemoryConfig(embed=EmbedConfig(backend="onnx", threads=1))
    return make_embedder(config.embed), config


def questions(path: Path) -> list[str]:
    return [r["question"] for r in json.loads(path.read_text())]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="memory directory (copied, not written)")
    ap.add_argument("--vectors", choices=("onnx", "synthetic"), default="onnx",
                    help="the embedder the store was built with")
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS,
                    help="JSON list of records with a 'question'")
    ap.add_argument("--ks", default="1,4,16,64", help="questions per write, comma-separated")
    ap.add_argument("--rounds", type=int, default=8, help="writes per k")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_refresh_query"),
                    help="where the store is copied")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args(argv)

    shutil.rmtree(args.work, ignore_errors=True)
    shutil.copytree(args.store, args.work)
    embedder, config = models(args.vectors)
    qs = questions(args.questions)
    on = replace(config, retrieve=replace(config.retrieve, defer_elimination=True))
    off = replace(config, retrieve=replace(config.retrieve, defer_elimination=False))
    writer = Memory(args.work, config, embedder=embedder)
    readers = {"defer": Memory(args.work, on, embedder=embedder),
               "build": Memory(args.work, off, embedder=embedder)}
    for mem in (writer, *readers.values()):
        mem.retrieve("warm up", top_k=5)
    steady = []
    for q in qs[:50]:
        t0 = time.perf_counter()
        readers["build"].retrieve(q, top_k=5)
        steady.append(time.perf_counter() - t0)
    out: dict[str, Any] = {
        "benchmark": "bench_refresh_query", "command": " ".join(sys.argv), "store": str(args.store),
        "vectors": args.vectors, "nodes": int(readers["build"].index().transition.n),
        "rounds": args.rounds, "loadavg_start": list(os.getloadavg()),
        "steady_query_ms": round(1e3 * float(np.median(steady)), 2), "per_k": {},
    }
    at = 0
    for k in [int(x) for x in args.ks.split(",")]:
        spent: dict[str, list[float]] = {name: [] for name in readers}
        for r in range(args.rounds):
            writer.add([Document(f"Quorvel Antemare {k}-{r} founded the Antemare Guild in "
                                 f"Lisbrun in {1700 + r}, and its first master was Ilse Varn {k}.")])
            batch = [qs[(at + i) % len(qs)] for i in range(k)]
            at += k
            order = list(readers.items())
            for name, mem in order if r % 2 else order[::-1]:  # alternate who goes first
                t0 = time.perf_counter()
                for q in batch:
                    mem.retrieve(q, top_k=5)
                spent[name].append(time.perf_counter() - t0)
        row = {}
        for name, values in spent.items():
            row[name] = {"seconds_per_write_median": round(float(np.median(values)), 4),
                         "ms_per_query_mean": round(1e3 * float(np.sum(values)) / (k * args.rounds), 2)}
        row["build_over_defer"] = round(row["build"]["seconds_per_write_median"]
                                        / row["defer"]["seconds_per_write_median"], 3)
        out["per_k"][str(k)] = row
        print(f"k={k:3d}  build {row['build']['seconds_per_write_median'] * 1e3:8.1f} ms/write  "
              f"defer {row['defer']['seconds_per_write_median'] * 1e3:8.1f} ms/write  "
              f"ratio {row['build_over_defer']:.2f}", flush=True)
    out["loadavg_end"] = list(os.getloadavg())
    for mem in (writer, *readers.values()):
        mem.close()
    shutil.rmtree(args.work, ignore_errors=True)
    print(json.dumps(out, indent=1))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
