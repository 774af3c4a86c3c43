"""Ablations of graphmem's retrieval on the dev sets, one ``run_eval`` per setting.

Every setting evaluates the same questions over the same corpus; ingestion goes through the
extraction/embedding cache, and settings that only change the walk reuse one built store per
dataset (graph edges are chosen when the index loads). Title entities are an ingestion-time
choice, so that row builds a second store (from the cache: no model work).

    python benchmarks/ablations.py --out benchmarks/results/ablations.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path

from graphmem import GraphConfig, MemoryConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval import run_eval
from graphmem.extract import SpacyExtractor

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = ("musique-100", "hotpotqa-100")
KEYS = ("recall@2", "recall@5", "all@5", "mrr")


def settings() -> dict[str, tuple[MemoryConfig, bool]]:
    """name -> (config, needs its own store)."""
    d = MemoryConfig()

    def graph(**kw: object) -> MemoryConfig:
        return dataclasses.replace(d, graph=dataclasses.replace(d.graph, **kw))

    def walk(**kw: object) -> MemoryConfig:
        return dataclasses.replace(d, retrieve=dataclasses.replace(d.retrieve, **kw))

    return {
        "default": (d, False),
        "no synonym edges": (graph(synonym_edges=False), False),
        "synonym edges at 0.8 (HippoRAG 2)": (graph(synonym_threshold=0.8), False),
        "no fact edges": (graph(fact_edges=False), False),
        "no fact seeds (linking_top_k=0)": (walk(linking_top_k=0), False),
        "no query-entity linking": (walk(link_query_entities=False), False),
        "no passage seeds (weight 0)": (walk(passage_node_weight=0.0), False),
        "passage node weight 0.2": (walk(passage_node_weight=0.2), False),
        "all 5 linked facts (floor 0)": (walk(fact_score_floor=0.0), False),
        "damping 0.3": (walk(damping=0.3), False),
        "damping 0.85": (walk(damping=0.85), False),
        "no title entities": (graph(title_entities=False), True),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--only", nargs="*", default=None, help="run only these setting names")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/ablations.json"))
    args = ap.parse_args()
    # A store built with synonym_threshold 0.8 holds the edges both thresholds need; the walk
    # drops the ones under the configured threshold.
    build = dataclasses.replace(MemoryConfig(), graph=GraphConfig(synonym_threshold=0.8))
    root = Path(tempfile.mkdtemp(prefix="graphmem-ablations-"))
    models = {  # loaded once, shared by every run
        "embedder": SentenceTransformerEmbedder(build.embed),
        "extractor": SpacyExtractor(build.extract),
    }
    report: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for name, (config, own_store) in settings().items():
            if args.only and name not in args.only:
                continue
            report[name] = {}
            for ds in DATASETS:
                store = root / (f"{ds}-{name}" if own_store else ds)
                if not own_store and not store.exists():
                    run_eval(args.data / ds / "questions.json", args.data / ds / "corpus.json",
                             methods=("graphmem",), cache_dir=args.cache_dir, config=build,
                             store_dir=store, **models)
                t0 = time.perf_counter()
                r = run_eval(args.data / ds / "questions.json", args.data / ds / "corpus.json",
                             methods=("graphmem",), cache_dir=args.cache_dir, config=config,
                             store_dir=store, **models)
                m = r.methods["graphmem"]
                report[name][ds] = {k: round(m[k], 3) for k in KEYS}
                print(f"{name:<36} {ds:<13} " + " ".join(f"{k} {m[k]:.3f}" for k in KEYS)
                      + f"  ({time.perf_counter() - t0:.0f}s)", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
