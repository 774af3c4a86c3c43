"""Dev-set quality and PPR cost of the local-push path (graphmem/retrieve/ppr_push.py) against
the exact conjugate-gradient path, on the stored dev-set memories: every question ranked with
the defaults (the dev graphs are far below ``RetrieveConfig.local_ppr_min_nodes``, so they run
the exact path) and with the local path forced on (``local_ppr_min_nodes=1``) for each
(passages, eps) variant, in rotating order on one memory (retrieval only: point it at copies,
since opening may upgrade an old store's schema).

Reports Recall@1/2/5, MRR and their differences to exact, how many questions got a different
top-10, and the PPR step's own time per query (the walk alone, both paths, same seeds).
All figures are DEV-SET numbers (MuSiQue-100, HotpotQA-100, the 2WikiMultiHopQA dev 400).

    PYTHONPATH=. python benchmarks/local_ppr_quality.py --stores /work/tmp/dev-stores \\
        --out benchmarks/results/local_ppr_quality.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.dev_sweep import DATA, DEV_SETS, KEYS, _metrics
from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval.datasets import load_corpus, match_gold
from graphmem.eval.formats import load_questions
from graphmem.eval.harness import DEPTH_FACTOR, _first_docs
from graphmem.retrieve.retriever import seed_query, walk_scores


def variants(spec: str) -> dict[str, RetrieveConfig]:
    """``"1000:1e-7,200:1e-7:drop"`` → the exact config plus one forced-local config per item
    (``:drop``: without the passage prior's tail, ``local_ppr_tail=False``)."""
    out = {"exact": RetrieveConfig()}
    for item in filter(None, spec.split(",")):
        passages, eps, *rest = item.split(":")
        tail = rest != ["drop"]
        out[f"local-{passages}-{eps}{'' if tail else '-drop'}"] = RetrieveConfig(
            local_ppr_min_nodes=1, local_ppr_passages=int(passages), local_ppr_eps=float(eps),
            local_ppr_tail=tail)
    return out


def walk_ms(mem: Memory, questions: list[str], config: RetrieveConfig) -> float:
    """Median ms of the PPR step alone for ``config`` over ``questions`` (seeds computed once)."""
    index = mem.index()
    times = []
    for q in questions:
        s = seed_query(index, q, mem.embedder.encode([q])[0], config)
        if s.reset is None:
            continue
        t0 = time.perf_counter()
        walk_scores(index, s.reset, config)
        times.append(time.perf_counter() - t0)
    return round(float(np.median(times)) * 1000, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stores", type=Path, default=Path("/work/tmp/dev-stores"))
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--sets", default=",".join(DEV_SETS))
    ap.add_argument("--variants", default="1000:1e-6,1000:1e-6:drop",
                    help="passages:eps[:drop] items of the local path (drop: without the prior's tail)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/local_ppr_quality.json"))
    args = ap.parse_args()
    config = MemoryConfig()
    embedder = SentenceTransformerEmbedder(config.embed)
    paths = variants(args.variants)
    results: dict[str, object] = {"load_average_start": os.getloadavg()[0]}
    for name in [s for s in args.sets.split(",") if s]:
        qpath, cpath = (args.data / p for p in DEV_SETS[name])
        qs = load_questions(qpath)
        gold = [frozenset(f"p{i}" for i in idx) for idx in match_gold(qs.examples, load_corpus(cpath))]
        questions = [e.question for e in qs.examples]
        rankings: dict[str, list[list[str]]] = {p: [] for p in paths}
        names = list(paths)
        with Memory(args.stores / name, config, embedder=embedder) as mem:
            index = mem.index()
            for i, q in enumerate(questions):
                for j in range(len(names)):
                    p = names[(i + j) % len(names)]
                    mem.config = replace(config, retrieve=paths[p])
                    hits = mem.retrieve(q, top_k=DEPTH_FACTOR * 10)
                    rankings[p].append(_first_docs([h.doc_id for h in hits], 10))
            ppr_ms = {p: walk_ms(mem, questions[:100], c) for p, c in paths.items()}
        metrics = {p: _metrics(r, gold) for p, r in rankings.items()}
        results[name] = {
            "questions": len(questions), "nodes": index.transition.n,
            "edges_stored": int(index.transition.adjacency.nnz),
            "ppr_ms_p50": ppr_ms,
            **{p: {k: round(metrics[p][k], 4) for k in KEYS} for p in paths},
            "delta": {p: {k: round(metrics[p][k] - metrics["exact"][k], 4) for k in KEYS}
                      for p in paths if p != "exact"},
            "questions_with_another_top10": {
                p: sum(a != b for a, b in zip(rankings["exact"], rankings[p]))
                for p in paths if p != "exact"},
        }
        print(name, json.dumps(results[name]), flush=True)
    results["load_average_end"] = os.getloadavg()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
