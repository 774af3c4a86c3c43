"""Retrieval latency of query-linking settings, measured interleaved on the dev-set memories.

``dev_sweep.py`` times each variant in its own pass over the questions, minutes apart; on a
shared machine the load changes between passes (its default pass on 2Wiki dev 400 took a p50
of 33 ms once and 20 ms another time). Here every question is retrieved once per setting, the
settings in rotating order, so each setting sees the same load; p50/p95 per setting and set.

All figures are DEV-SET timings (MuSiQue-100, HotpotQA-100, the 2WikiMultiHopQA dev 400).

    PYTHONPATH=. python benchmarks/linking_latency.py --stores /work/q-stores-linking \\
        --out benchmarks/results/linking_latency.json
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.dev_sweep import DATA, DEV_SETS, VARIANTS
from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval.formats import load_questions
from graphmem.eval.harness import DEPTH_FACTOR
from graphmem.extract import SpacyExtractor

log = logging.getLogger("linking_latency")
SETTINGS = ("default", "ngram-16", "fuzzy-0.85", "ngram-16+fuzzy-0.85")


def time_set(
    store: Path, questions: list[str], settings: list[str], embedder: Any, extractor: Any
) -> dict[str, dict[str, float]]:
    """p50/p95 ms of ``Memory.retrieve`` (``DEPTH_FACTOR × 10`` passages, as the sweep asks) per
    setting, every question once per setting in rotating order, after one warm-up query each."""
    millis: dict[str, list[float]] = {s: [] for s in settings}
    with Memory(store, embedder=embedder, extractor=extractor) as mem:
        base = mem.config
        configs = {s: replace(base, retrieve=RetrieveConfig(**VARIANTS[s])) for s in settings}
        for s in settings:  # warm-up: index load, numba, spaCy, candidate matrix
            mem.config = configs[s]
            mem.retrieve(questions[0], top_k=DEPTH_FACTOR * 10)
        for i, q in enumerate(questions):
            for k in range(len(settings)):
                s = settings[(i + k) % len(settings)]
                mem.config = configs[s]
                start = time.perf_counter()
                mem.retrieve(q, top_k=DEPTH_FACTOR * 10)
                millis[s].append((time.perf_counter() - start) * 1000.0)
        mem.config = base
    out = {}
    for s, ms in millis.items():
        p50, p95 = np.percentile(ms, [50, 95])
        out[s] = {"latency_ms_p50": round(float(p50), 2), "latency_ms_p95": round(float(p95), 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--settings", default=",".join(SETTINGS))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = [s for s in args.settings.split(",") if s]
    embedder = SentenceTransformerEmbedder(MemoryConfig().embed)
    extractor = SpacyExtractor(MemoryConfig().extract)
    results = {}
    for name, (qpath, _) in DEV_SETS.items():
        questions = [e.question for e in load_questions(args.data / qpath).examples]
        results[name] = time_set(args.stores / name, questions, settings, embedder, extractor)
        for s, m in results[name].items():
            log.info("[%s] %-22s p50 %.2f ms  p95 %.2f ms", name, s, m["latency_ms_p50"], m["latency_ms_p95"])
    payload = {
        "label": "dev sets (MuSiQue-100, HotpotQA-100, 2WikiMultiHopQA dev 400); interleaved timing",
        "settings": {s: VARIANTS[s] for s in settings},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
