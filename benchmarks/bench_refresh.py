"""What an index refresh costs after a one-document add, on a copy of a real store.

Why: every commit makes every reader's :class:`GraphIndex` refresh before its next retrieval,
and the writer refreshes its own. This measures that refresh after a small add, stage by stage
(``GraphIndex.timings``: SQL reads, provenance matrices, temporal groups, validity, adjacency;
the walk's transition matrices too before they were left to the first walk), for the
append-only path and for the full path a deletion forces (which is what every refresh did
before the append-only path existed), and checks after each add that the two indexes hold the
same arrays.

No models are loaded: each add is a synthetic :class:`WriteBatch` shaped like one 2Wiki
document (one passage, mentions of existing and new entities, facts among them, a synonym
edge), written through the store's own write path, so the refresh reads exactly what a
``Memory.add`` would leave. The source store is copied to a temporary directory first and never
written.

    PYTHONPATH=. python benchmarks/bench_refresh.py --store /path/to/store-dir --label after

Run with an older checkout first on PYTHONPATH (whose store has no ``deleted_at``) it measures
that checkout's refresh only, under ``--label`` (pass ``--commit``). Results merge into
benchmarks/results/refresh.json. Timings are medians over ``--adds`` adds; on a shared machine
compare runs made back to back (the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from graphmem.graph.index import GraphIndex
from graphmem.store.base import NewChunk, NewDocument, NewEntity, NewFact, WriteBatch
from graphmem.store.sqlite import SQLiteStore

OUT = Path(__file__).parent / "results" / "refresh.json"
FILE = "graphmem.sqlite"


def unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    v = rng.standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def one_document(i: int, names: list[str], rng: np.random.Generator, dim: int) -> WriteBatch:
    """A batch like one small document: 1 passage mentioning 6 stored and 2 new entities, 3 new
    facts between them, one synonym edge from a new entity to a stored one."""
    doc, chunk = f"bench-doc-{i}", f"bench-doc-{i}#0"
    old = [names[j] for j in rng.choice(len(names), size=6, replace=False)]
    new = [f"bench entity {i} {k}" for k in range(2)]
    facts = [(new[0], "born in", old[0]), (old[1], "directed", new[1]), (old[2], "bench rel", old[3])]
    return WriteBatch(
        documents=[NewDocument(doc, f"hash-{i}", f"Bench {i}", {})],
        chunks=[NewChunk(chunk, doc, 0, f"bench passage {i}", unit(rng, dim))],
        entities=[NewEntity(n, n.title(), "PERSON", unit(rng, dim)) for n in new],
        facts=[NewFact(s, p, o, unit(rng, dim)) for s, p, o in facts],
        fact_sources=[(s, p, o, chunk) for s, p, o in facts],
        mentions=[(chunk, n) for n in old + new],
        synonyms=[(new[0], old[4], 0.95)],
    )


def same_arrays(a: GraphIndex, b: GraphIndex) -> bool:
    """The arrays retrieval reads agree exactly (the test suite checks more, on small stores)."""
    dense = ("entities", "chunks", "facts")
    if not all(np.array_equal(getattr(a, t).ids, getattr(b, t).ids) for t in dense):
        return False
    for m in ("adjacency", "fact_chunks", "chunk_entities"):
        x, y = getattr(a, m), getattr(b, m)
        if x.shape != y.shape or (x != y).nnz:
            return False
    ta, tb = a.transition, b.transition
    return (
        np.array_equal(ta.matrix.data, tb.matrix.data)
        and np.array_equal(ta.symmetric.data, tb.symmetric.data)
        and np.array_equal(a.valid_now, b.valid_now)
        and np.array_equal(a.lonely_passage, b.lonely_passage)
    )


def stages(runs: list[dict[str, float]]) -> dict[str, float]:
    """Median seconds per stage over runs."""
    keys = list(runs[0]) if runs else []
    return {k: round(statistics.median(r.get(k, 0.0) for r in runs), 4) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, help="store directory (copied, never written)")
    ap.add_argument("--adds", type=int, default=8)
    ap.add_argument("--label", default="after")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--commit", help="commit measured (default: git HEAD of this checkout)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    try:
        shutil.copy(Path(args.store) / FILE, tmp / FILE)
        run(args, tmp / FILE)
    finally:
        shutil.rmtree(tmp)


def run(args: argparse.Namespace, path: Path) -> None:
    writer, reader, forced = SQLiteStore(path), SQLiteStore(path), SQLiteStore(path)
    dim = writer.dim
    has_append = hasattr(reader, "deleted_at")
    if has_append:  # the full path, as after a deletion: the stamp says "something was removed"
        forced.deleted_at = lambda: 1 << 62  # type: ignore[method-assign]
    fast, full = GraphIndex(dim), GraphIndex(dim)
    t0 = time.perf_counter()
    fast.refresh(reader)
    load_s = time.perf_counter() - t0
    full.refresh(forced)
    names = list(fast.entity_names)
    rng = np.random.default_rng(0)
    totals: dict[str, list[float]] = {"refresh": [], "full_refresh": []}
    laps: dict[str, list[dict[str, float]]] = {"refresh": [], "full_refresh": []}
    agree = True
    for i in range(args.adds):
        writer.write(one_document(i, names, rng, dim))
        for key, index, store in (("refresh", fast, reader), ("full_refresh", full, forced)):
            if key == "full_refresh" and not has_append:
                continue
            t = time.perf_counter()
            index.refresh(store)
            totals[key].append(time.perf_counter() - t)
            laps[key].append(dict(getattr(index, "timings", {})))
        if has_append:
            agree = agree and same_arrays(fast, full)
    counts = reader.counts()
    result = {
        "label": args.label,
        "commit": args.commit or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True,
            cwd=Path(__file__).parent,
        ).stdout.strip(),
        "store": str(args.store),
        "counts": counts,
        "adds": args.adds,
        "first_load_s": round(load_s, 3),
        "load_average": os.getloadavg()[0],
        "arrays_equal_after_every_add": agree if has_append else None,
    }
    for key, seconds in totals.items():
        if seconds:
            result[key] = {
                "median_s": round(statistics.median(seconds), 4),
                "all_s": [round(x, 4) for x in seconds],
                "stages_median_s": stages(laps[key]),
            }
    print(json.dumps(result, indent=1))
    merged = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged[args.label] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(merged, indent=1) + "\n")


if __name__ == "__main__":
    main()
