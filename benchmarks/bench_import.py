"""Throughput of the OpenIE bulk import (issue 14): ``import_openie`` of a synthetic corpus's
OpenIE file (benchmarks/synthetic_openie.py) into a new store, with synthetic vectors
(benchmarks/synthetic_vectors.py): extraction skipped, embedding nearly free, so what is
measured is validation, the write path, the synonym step and the index refreshes.

Rows/s counts every row the import wrote (documents, passages, entities, facts, provenance,
mentions, synonym edges). Appends one run per call to ``--out`` (a JSON list), so runs of two
revisions sit side by side.

    python benchmarks/bench_import.py --passages 10000 --label before --out results/import.json
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_corpus import Generator
from synthetic_openie import write_openie
from synthetic_vectors import HashedWordEmbedder

from graphmem.openie_import import import_openie
from graphmem.store.open import STORE_FILE

TABLES = ("documents", "chunks", "entities", "facts", "fact_sources", "mentions", "synonyms")


def table_rows(store: Path) -> dict[str, int]:
    """Rows per table of the store at ``store`` (read-only)."""
    con = sqlite3.connect(f"file:{store / STORE_FILE}?mode=ro", uri=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def run(openie: Path, store: Path, batch: int | None) -> dict[str, object]:
    """Import ``openie`` into a fresh ``store``; the run's figures."""
    shutil.rmtree(store, ignore_errors=True)
    kwargs = {} if batch is None else {"batch": batch}
    t0 = time.perf_counter()
    report = import_openie(openie, store, embedder=HashedWordEmbedder(), **kwargs)
    seconds = time.perf_counter() - t0
    rows = table_rows(store)
    total = sum(rows.values())
    return {
        "seconds": round(seconds, 3),
        "passages_per_s": round(report.imported / seconds, 1),
        "rows": rows,
        "rows_total": total,
        "rows_per_s": round(total / seconds, 1),
        "problems": len(report.problems),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work-dir", type=Path, default=Path("/work/scale-stores"))
    ap.add_argument("--batch", type=int, default=None, help="documents per write (default: the importer's)")
    ap.add_argument("--label", required=True, help="what this run is, e.g. the revision")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    openie = args.work_dir / f"gen-{args.passages}" / "openie.json"
    if not openie.exists():
        write_openie(Generator(args.passages, args.seed), openie)
    if args.batch is not None and "batch" not in inspect.signature(import_openie).parameters:
        ap.error("this revision's import_openie takes no batch size")
    result = run(openie, args.work_dir / f"import-{args.passages}", args.batch)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                            cwd=Path(__file__).parent).stdout.strip()
    import graphmem

    result = {"label": args.label, "commit": commit, "graphmem_source": str(Path(graphmem.__file__).parent),
              "passages": args.passages, "seed": args.seed,
              "batch": args.batch, "vectors": "synthetic (HashedWordEmbedder)",
              "extraction": "skipped (synthetic OpenIE file)", "load_avg_start": os.getloadavg(),
              **result}
    runs = json.loads(args.out.read_text()) if args.out.exists() else []
    runs.append(result)
    args.out.write_text(json.dumps(runs, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
