"""The passage-text lookup behind every hit, A/B on a built store: the query as it was
(``k.namespace = ? AND k.id IN (...)``, which SQLite drives by the (namespace, chunk_id) index,
visiting every passage of the namespace) against the one now (``+k.namespace``: driven by the
primary key). Five passage ids spread over the store, rounds alternating.

    python benchmarks/bench_passage_lookup.py --stores /work/scale-stores/store-10000-synthetic \\
        /work/scale-stores/store-100000-synthetic --out benchmarks/results/passage_lookup.json
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

QUERY = ("SELECT k.id, k.chunk_id, d.doc_id, k.text, d.title, d.metadata, "
         "coalesce(d.time, d.added_at) FROM chunks k JOIN documents d ON d.id = k.doc "
         "WHERE {ns} = ? AND k.id IN (?, ?, ?, ?, ?)")
VARIANTS = {"before": QUERY.format(ns="k.namespace"), "now": QUERY.format(ns="+k.namespace")}


def measure(store: Path, rounds: int) -> dict[str, object]:
    con = sqlite3.connect(f"file:{store / 'graphmem.sqlite'}?mode=ro", uri=True)
    top = con.execute("SELECT max(id) FROM chunks").fetchone()[0]
    ids = [int(top * f) for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
    args = ("default", *ids)
    times: dict[str, list[float]] = {k: [] for k in VARIANTS}
    plans = {k: [r[3] for r in con.execute("EXPLAIN QUERY PLAN " + q, args)] for k, q in VARIANTS.items()}
    for r in range(rounds):
        for name in (VARIANTS if r % 2 == 0 else reversed(list(VARIANTS))):
            t0 = time.perf_counter()
            rows = con.execute(VARIANTS[name], args).fetchall()
            times[name].append(time.perf_counter() - t0)
            assert len(rows) == 5
    con.close()
    return {"store": str(store), "passages": top, "plans": plans,
            **{f"{k}_median_ms": round(float(np.median(v)) * 1000, 3) for k, v in times.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stores", type=Path, nargs="+", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    result = {"load_avg_start": os.getloadavg(), "runs": [measure(s, args.rounds) for s in args.stores]}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
