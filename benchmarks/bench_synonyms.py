"""The synonym step of one bulk-import batch, A/B: ``synonym_pairs`` of a base revision's source
tree (A, e.g. ``git archive ae22200 graphmem | tar -x -C DIR``) against this tree's (B), rounds
alternating, on seeded unit vectors (synthetic, 384 dimensions): ``--new`` new entities of a
batch against ``--existing`` stored ones, every stored one eligible (``rows=`` given, as the
builder passes it). Both must return the same pairs. Then the ANN path of this tree
(:mod:`graphmem.graph.synonyms_ann`, used from ``GraphConfig.synonym_ann_min_rows`` on): the
HNSW graph of the stored entities built once (an index keeps it from then on), then the batch.

    python benchmarks/bench_synonyms.py --base-src DIR --out benchmarks/results/synonyms_ab.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.graph import synonyms as current
from graphmem.graph.ann import TableAnn
from graphmem.graph.synonyms_ann import synonym_pairs_ann


def load_base(src: Path) -> Any:
    spec = importlib.util.spec_from_file_location("base_synonyms", src / "graphmem/graph/synonyms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-src", type=Path, required=True)
    ap.add_argument("--base-label", default="ae22200")
    ap.add_argument("--existing", type=int, default=80_000)
    ap.add_argument("--new", type=int, default=3_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(args.existing // 4, 384))
    existing = unit(centres[rng.integers(0, len(centres), args.existing)]
                    + 0.15 * rng.normal(size=(args.existing, 384)))
    new = unit(centres[rng.integers(0, len(centres), args.new)] + 0.15 * rng.normal(size=(args.new, 384)))
    rows = np.arange(args.existing)
    base = load_base(args.base_src)
    times: dict[str, list[float]] = {"A": [], "B": []}
    pairs: dict[str, list] = {}
    for r in range(args.rounds):
        for name, mod in (("A", base), ("B", current)) if r % 2 == 0 else (("B", current), ("A", base)):
            t0 = time.perf_counter()
            pairs[name] = mod.synonym_pairs(new, existing, rows=rows, threshold=0.9, top_k=100)
            times[name].append(round(time.perf_counter() - t0, 3))
    assert pairs["A"] == pairs["B"], "the two revisions disagree"
    t0 = time.perf_counter()
    ann = TableAnn(existing.shape[1])
    ids = np.arange(1, args.existing + 1, dtype=np.int64)
    ann.sync(ids, existing)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    via_ann = synonym_pairs_ann(new, ann, ids, existing, rows, threshold=0.9, top_k=100)
    ann_s = time.perf_counter() - t0
    result = {
        "what": "synonym_pairs of one import batch, synthetic unit vectors (clustered, 384 dims)",
        "A": f"{args.base_label} (base)", "B": "this branch", "existing": args.existing,
        "new": args.new, "pairs": len(pairs["B"]), "seconds": times,
        "median_ratio_B_over_A": round(float(np.median(times["B"]) / np.median(times["A"])), 3),
        "ann": {"graph_build_s": round(build_s, 3), "batch_s": round(ann_s, 3),
                "same_pairs_as_exact": via_ann == pairs["B"],
                "pairs_missed": len(set(pairs["B"]) - set(via_ann))},
        "load_avg_start": os.getloadavg(),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
