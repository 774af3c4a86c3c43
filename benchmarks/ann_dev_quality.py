"""Dev-set quality of the ANN fact-linking path against the exact path, on the stored dev-set
memories: every question ranked with the defaults (exact int8 scan: the dev sets are far below
``RetrieveConfig.ann_min_rows``) and with ``ann_min_rows=1`` (facts linked through the HNSW
graph of graphmem/graph/ann.py, rescored exactly), alternately on one memory (retrieval only:
opening may upgrade an old store's schema, so point it at copies).
Reports Recall@1/2/5, MRR, their differences, and how many questions got a different top-10.

All figures are DEV-SET numbers (MuSiQue-100, HotpotQA-100, the 2WikiMultiHopQA dev 400).

    PYTHONPATH=. python benchmarks/ann_dev_quality.py --stores /tmp/ann-stores \\
        --out benchmarks/results/ann_dev_quality.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.dev_sweep import DATA, DEV_SETS, KEYS, _metrics
from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig, StoreConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval.datasets import load_corpus, match_gold
from graphmem.eval.formats import load_questions
from graphmem.eval.harness import DEPTH_FACTOR, _first_docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stores", type=Path, default=Path("/work/q-stores"))
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--sets", default=",".join(DEV_SETS))
    ap.add_argument("--read-only", action="store_true",
                    help="open the stores read-only (they must be at the current schema)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/ann_dev_quality.json"))
    args = ap.parse_args()
    config = MemoryConfig(store=StoreConfig(read_only=args.read_only))
    embedder = SentenceTransformerEmbedder(config.embed)
    paths = {"exact": RetrieveConfig(), "ann": RetrieveConfig(ann_min_rows=1)}
    results = {}
    for name in [s for s in args.sets.split(",") if s]:
        qpath, cpath = (args.data / p for p in DEV_SETS[name])
        qs = load_questions(qpath)
        gold = [frozenset(f"p{i}" for i in idx) for idx in match_gold(qs.examples, load_corpus(cpath))]
        questions = [e.question for e in qs.examples]
        rankings: dict[str, list[list[str]]] = {p: [] for p in paths}
        with Memory(args.stores / name, config, embedder=embedder) as mem:
            index = mem.index()
            t0 = time.perf_counter()
            mem.config = replace(config, retrieve=paths["ann"])
            mem.retrieve(questions[0], top_k=1)  # builds the graph over the facts
            build_s = time.perf_counter() - t0
            for i, q in enumerate(questions):
                for j in range(2):
                    p = ("exact", "ann")[(i + j) % 2]
                    mem.config = replace(config, retrieve=paths[p])
                    hits = mem.retrieve(q, top_k=DEPTH_FACTOR * 10)
                    rankings[p].append(_first_docs([h.doc_id for h in hits], 10))
        metrics = {p: _metrics(r, gold) for p, r in rankings.items()}
        differ = sum(a != b for a, b in zip(rankings["exact"], rankings["ann"]))
        results[name] = {
            "questions": len(questions),
            "facts": index.n_facts,
            "entities": index.n_entities,
            "passages": index.n_chunks,
            "ann_build_s": round(build_s, 2),
            "exact": {k: round(metrics["exact"][k], 4) for k in KEYS},
            "ann": {k: round(metrics["ann"][k], 4) for k in KEYS},
            "delta": {k: round(metrics["ann"][k] - metrics["exact"][k], 4) for k in KEYS},
            "questions_with_another_top10": differ,
        }
        print(name, json.dumps(results[name]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
