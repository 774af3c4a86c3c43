"""Query latency of two revisions on one built memory, side by side: A (``--base``) and B
(``--head``, default HEAD), each checked out into a temporary git worktree and run in its own
process over the same store (opened read-only), alternating A B, B A, A B ... so that load from
other work falls on both and neither always runs first. Each run embeds and retrieves every question once after a warm-up and reports
p50/p95 ms per ``retrieve`` call; the report gives the B/A ratios of the runs' medians. Query
only: use ``ab_engine.py`` for ingestion.

    python benchmarks/ab_query.py --base f86ee27 --store /work/q-stores-r6/2wiki-dev-400 \\
        --questions ../shared/data/2wiki-corpus/dev-questions.json --out benchmarks/results/ab_query.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = r"""
import json, statistics, sys, time
import graphmem
from graphmem import Memory
from graphmem.config import MemoryConfig, StoreConfig
from graphmem.eval.formats import load_questions
store, questions, top_k = sys.argv[1], sys.argv[2], int(sys.argv[3])
qs = [q.question for q in load_questions(questions).examples]
with Memory(store, MemoryConfig(store=StoreConfig(read_only=True))) as mem:
    for q in qs[:20]:
        mem.retrieve(q, top_k=top_k)
    ms = []
    for q in qs:
        t = time.perf_counter()
        mem.retrieve(q, top_k=top_k)
        ms.append((time.perf_counter() - t) * 1000.0)
ms.sort()
print(json.dumps({"p50_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))], "n": len(ms),
                  "code": graphmem.__file__}))
"""


def run(checkout: Path, store: Path, questions: Path, top_k: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(store), str(questions), str(top_k)],
        cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)},
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="git revision A")
    ap.add_argument("--head", default="HEAD", help="git revision B")
    ap.add_argument("--store", type=Path, required=True, help="a built memory directory")
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="A/B pairs")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for side, rev in (("A", args.base), ("B", args.head)):
            trees[side] = Path(tmp) / side
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(trees[side]), rev],
                           check=True, capture_output=True)
        try:
            for r in range(args.rounds):
                for side in ("A", "B") if r % 2 == 0 else ("B", "A"):  # neither always goes first
                    res = run(trees[side], args.store.resolve(), args.questions.resolve(), args.top_k)
                    runs[side].append(res)
                    print(f"round {r + 1} {side}: p50 {res['p50_ms']:.2f} ms, p95 {res['p95_ms']:.2f} ms", flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    med = {s: {k: statistics.median(x[k] for x in runs[s]) for k in ("p50_ms", "p95_ms")} for s in runs}
    ratios = {k: round(med["B"][k] / med["A"][k], 3) for k in ("p50_ms", "p95_ms")}
    report = {"base": args.base, "head": args.head, "store": str(args.store), "questions": str(args.questions),
              "top_k": args.top_k, "runs": runs, "medians": med, "ratio_b_over_a": ratios,
              "command": " ".join(sys.argv)}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"B/A: p50 {ratios['p50_ms']}, p95 {ratios['p95_ms']}")


if __name__ == "__main__":
    main()
