"""Side-by-side engine benchmark of two revisions in one run: A (``--base``) and B (``--head``,
default HEAD), each checked out into a temporary git worktree, alternating A B A B ... so that load from
other work on the machine falls on both. Each run is ``benchmarks/bench_engine.py`` of its own
checkout, in its own process, importing its own checkout's code; the report gives every run's
ingest rate, query latency and incremental-add figures and the B/A ratios of their medians.

    python benchmarks/ab_engine.py --base e31177e --limit 2000 --rounds 2 \\
        --out benchmarks/results/ab_issue10.json
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

FIGURES = {
    "ingest_passages_per_s": ("ingest", "passages_per_s"),
    "latency_p50_ms": ("latency", "p50_ms"),
    "latency_p95_ms": ("latency", "p95_ms"),
    "incremental_add_s": ("incremental_add", "add_s"),
    "first_query_after_add_s": ("incremental_add", "first_query_after_add_s"),
}


def run_bench(checkout: Path, corpus: Path, limit: int | None, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, "benchmarks/bench_engine.py", "--corpus", str(corpus), "--out", str(out)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    subprocess.run(cmd, cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL)
    report = json.loads(out.read_text())
    return {name: report[a][b] for name, (a, b) in FIGURES.items()} | {
        "stats": report["ingest"]["stats"]
    }


def short_rev(rev: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision A")
    ap.add_argument("--head", default="HEAD", help="git revision B")
    ap.add_argument("--corpus", type=Path, default=SHARED / "2wiki-corpus" / "corpus.json")
    ap.add_argument("--limit", type=int, default=2000, help="first N passages")
    ap.add_argument("--rounds", type=int, default=2, help="A/B pairs")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    base_rev, head_rev = short_rev(args.base), short_rev(args.head)
    runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="graphmem-ab-") as tmp:
        # beside this checkout, so that each one's ../shared data resolves as it does here
        base, head = (ROOT.parent / f".ab-{side}-{os.getpid()}" for side in ("base", "head"))
        for where, rev in ((base, base_rev), (head, head_rev)):
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(where), rev], cwd=ROOT, check=True
            )
        try:
            for r in range(args.rounds):
                for side, checkout in (("A", base), ("B", head)):
                    figures = run_bench(
                        checkout, args.corpus, args.limit, Path(tmp) / f"{side}{r}.json"
                    )
                    print(side, r, json.dumps({k: v for k, v in figures.items() if k != "stats"}))
                    runs[side].append(figures)
        finally:
            for where in (base, head):
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=True
                )
    medians = {
        side: {k: statistics.median(run[k] for run in rs) for k in FIGURES}
        for side, rs in runs.items()
    }
    report = {
        "A": base_rev,
        "B": head_rev,
        "corpus": str(args.corpus),
        "limit": args.limit,
        "runs": runs,
        "median": medians,
        "ratio_B_over_A": {k: round(medians["B"][k] / medians["A"][k], 3) for k in FIGURES},
        "same_store_counts": all(
            r["stats"] == runs["A"][0]["stats"] for r in runs["A"] + runs["B"]
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["ratio_B_over_A"]), "same store counts:", report["same_store_counts"])


if __name__ == "__main__":
    main()
