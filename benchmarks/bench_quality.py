"""Retrieval quality on MuSiQue-100 and HotpotQA-100: graphmem (PPR) vs dense vs BM25, side by side.

All three rank the same passages; dense uses the same embedder and the same passage vectors that
graphmem stores, so the difference is the graph. Prints a table and writes JSON.

    python benchmarks/bench_quality.py --out benchmarks/results/quality.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from graphmem import Document, Memory, MemoryConfig
from graphmem.eval import BM25Index, evaluate_rankings, load_benchmark

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KS = (2, 5)


def unique_docs(doc_ids: list[str], k: int) -> list[str]:
    """First ``k`` distinct documents of a passage ranking (long documents may span passages)."""
    out: list[str] = []
    for d in doc_ids:
        if d not in out:
            out.append(d)
        if len(out) == k:
            break
    return out


def run(name: str, store: Path, config: MemoryConfig) -> dict:
    examples, corpus = load_benchmark(name, SHARED)
    from graphmem.eval import match_gold

    gold = [{f"p{i}" for i in idx} for idx in match_gold(examples, corpus)]
    docs = [Document(text=p.text, title=p.title, id=f"p{i}") for i, p in enumerate(corpus)]
    questions = [e.question for e in examples]
    depth = max(KS) * 3
    with Memory(store, config) as mem:
        t0 = time.perf_counter()
        mem.add(docs)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        hits = mem.retrieve_many(questions, top_k=depth)
        query_s = time.perf_counter() - t0
        graph_rank = [unique_docs([h.doc_id for h in hs], max(KS)) for hs in hits]

        index = mem._ready_index()
        chunk_docs = [r.doc_id for r in mem.store.passages([int(i) for i in index.chunks.ids])]
        qv = mem.embedder.encode(questions)
        dense_scores = qv @ index.chunks.vectors.T
        dense_rank = [
            unique_docs([chunk_docs[c] for c in np.argsort(-row, kind="stable")[:depth]], max(KS))
            for row in dense_scores
        ]
        modes = [hs[0].explanation.mode if hs else "empty" for hs in hits]
    bm25 = BM25Index([f"{p.title}\n{p.text}" for p in corpus])
    bm25_rank = [[f"p{i}" for i, _ in bm25.search(q, top_k=max(KS))] for q in questions]
    return {
        "questions": len(questions),
        "passages": len(corpus),
        "build_s": round(build_s, 1),
        "query_s_per_question": round(query_s / len(questions), 4),
        "ppr_mode_share": round(modes.count("ppr") / len(modes), 2),
        "graphmem": evaluate_rankings(graph_rank, gold, ks=KS),
        "dense": evaluate_rankings(dense_rank, gold, ks=KS),
        "bm25": evaluate_rankings(bm25_rank, gold, ks=KS),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=["musique", "hotpotqa"])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/quality.json"))
    ap.add_argument("--keep", type=Path, default=None, help="keep built stores under this directory")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="graphmem-quality-"))
    report = {}
    for name in args.datasets:
        store = root / name
        if store.exists():
            shutil.rmtree(store)
        report[name] = run(name, store, MemoryConfig())
        r = report[name]
        print(f"\n{name}: {r['questions']} questions, {r['passages']} passages, built in {r['build_s']}s")
        print(f"{'method':<10}" + "".join(f"{m:>10}" for m in r["graphmem"]))
        for method in ("graphmem", "dense", "bm25"):
            print(f"{method:<10}" + "".join(f"{v:>10.3f}" for v in r[method].values()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
