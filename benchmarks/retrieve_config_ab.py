"""Two ``RetrieveConfig`` settings side by side on one scale store built by ``bench_scale.py``:
one process, one memory, the order alternating per question, so both see the same machine.
Per setting: retrieval p50/p95, Recall@2/@5 of the synthetic questions, and the share of
questions whose top 5 passages are the same under both (in order; as a set; the top 2 as a
set). Synthetic vectors, as the store's.

Each setting is ``name:field=value[,field=value...]`` over ``RetrieveConfig`` fields that take
integers, floats or booleans (``true``/``false``), e.g.

    python benchmarks/retrieve_config_ab.py --store /work/scale-stores/store-100000-synthetic \\
        --questions /work/scale-stores/gen-100000/questions.json \\
        --a default: --b int8at50k:int8_dense_min_rows=50000 --out /tmp/ab.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_vectors import HashedWordEmbedder

from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.ids import doc_id_for


def parse_setting(text: str, base: MemoryConfig) -> tuple[str, MemoryConfig]:
    """``name:field=value,...`` -> (name, the config with those retrieve fields replaced)."""
    name, _, body = text.partition(":")
    kinds = ("int", "float", "int | None", "bool")
    numeric = {f.name: f.type for f in fields(RetrieveConfig) if f.type in kinds}
    changes: dict[str, int | float | bool] = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition("=")
        if key not in numeric:
            raise SystemExit(f"--a/--b {text!r}: {key!r} is not a numeric or boolean "
                             "RetrieveConfig field")
        kind = numeric[key]
        changes[key] = (value.lower() in ("1", "true", "yes") if kind == "bool"
                        else float(value) if kind == "float" else int(value))
    return name, replace(base, retrieve=replace(base.retrieve, **changes))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="two RetrieveConfig settings on one scale store")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--a", required=True, help="name:field=value,... (empty body: the defaults)")
    ap.add_argument("--b", required=True, help="the same for the second setting")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    records = json.loads(args.questions.read_text())
    base = MemoryConfig()
    configs = dict(parse_setting(s, base) for s in (args.a, args.b))
    got: dict[str, dict[str, list]] = {k: {"ms": [], "r2": [], "r5": [], "hits": []} for k in configs}
    load_start = os.getloadavg()
    with Memory(args.store, base, embedder=HashedWordEmbedder()) as mem:
        for cfg in configs.values():  # graphs restored or built, codes quantised, kernels compiled
            mem.config = cfg
            mem.retrieve(records[0]["question"])
        for i, rec in enumerate(records):
            chain = [doc_id_for(text) for _, (text,) in rec["context"]]
            for name in list(configs) if i % 2 == 0 else list(configs)[::-1]:
                mem.config = configs[name]
                t0 = time.perf_counter()
                hits = mem.retrieve(rec["question"], top_k=5)
                got[name]["ms"].append(1e3 * (time.perf_counter() - t0))
                ids = [h.doc_id for h in hits]
                got[name]["r2"].append(len(set(chain) & set(ids[:2])) / len(chain))
                got[name]["r5"].append(len(set(chain) & set(ids)) / len(chain))
                got[name]["hits"].append([h.chunk_id for h in hits])
        passages = mem.index().n_chunks
    out: dict = {"passages": passages, "questions": len(records), "settings": [args.a, args.b],
                 "load_avg_start": load_start, "load_avg_end": os.getloadavg()}
    for name, r in got.items():
        out[name] = {"retrieve_p50_ms": round(float(np.median(r["ms"])), 2),
                     "retrieve_p95_ms": round(float(np.percentile(r["ms"], 95)), 2),
                     "recall_at_2": round(float(np.mean(r["r2"])), 4),
                     "recall_at_5": round(float(np.mean(r["r5"])), 4)}
    a, b = (got[n]["hits"] for n in configs)
    pairs = list(zip(a, b, strict=True))
    out["same_top5_share"] = round(float(np.mean([x == y for x, y in pairs])), 4)
    out["same_top5_set_share"] = round(float(np.mean([set(x) == set(y) for x, y in pairs])), 4)
    out["same_top2_set_share"] = round(float(np.mean([set(x[:2]) == set(y[:2]) for x, y in pairs])), 4)
    print(json.dumps(out, indent=1))
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
