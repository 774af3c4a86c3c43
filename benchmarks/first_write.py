"""A fresh handle's first add of 10 documents, and the next query, on a scale store built by
``bench_scale.py`` whose ANN graphs are saved (``ann/``): open and first query, the add (its
synonym step needs the entity graph: restored or built), the query after it, and per table
whether the graph was built here (1) or restored (0). Synthetic vectors, extraction skipped.

    python benchmarks/first_write.py --store /work/scale-stores/store-1000000-synthetic \\
        --out benchmarks/results/scale_1m_first_write.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_corpus import Generator
from synthetic_openie import items
from synthetic_vectors import HashedWordEmbedder

from graphmem import Document, Memory
from graphmem.config import MemoryConfig
from graphmem.extract.openie import OpenIEExtractor
from graphmem.extract.openie_file import load_openie


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="a fresh handle's first write on a scale store")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=11, help="the added documents' generator seed")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    extra = list(items(Generator(1000, args.seed)))[:10]
    config = MemoryConfig()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "add10.json"
        path.write_text(json.dumps({"docs": extra}))
        extractor = OpenIEExtractor(load_openie(path), config.chunk)
        t0 = time.perf_counter()
        with Memory(args.store, config, embedder=HashedWordEmbedder(), extractor=extractor) as mem:
            query = f"Who wrote {extra[0]['title']}?"
            mem.retrieve(query)
            t2 = time.perf_counter()
            mem.add([Document(text=d["text"], title=d["title"]) for d in extra])
            t3 = time.perf_counter()
            mem.retrieve(query)
            t4 = time.perf_counter()
            index = mem.index()
            builds = {t: index.ann(t, 1).builds for t in index.ann_tables}
    out = {"open_and_first_query_s": round(t2 - t0, 2), "first_add10_s": round(t3 - t2, 2),
           "next_query_s": round(t4 - t3, 2), "ann_builds": builds,
           "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)}
    print(json.dumps(out))
    args.out.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
