"""The growth curve of issue 14: one memory per size, built by the OpenIE bulk import from the
synthetic corpus (benchmarks/synthetic_corpus.py, synthetic_openie.py), and per size:

* import throughput (passages/s) and its stages (file load, model work, synonyms, store);
* store size on disk; peak RSS of the building process and of a cold reader;
* cold open-to-first-answer in a fresh process (the OS page cache is warm: the store was just
  written);
* retrieval p50/p95 end to end (``Memory.retrieve``, top 5) and per stage, each stage timed
  alone on the same index: query embedding, dense passage scores, fact linking, seeding (dense +
  fact and entity linking + reset vector), PPR (the walk retrieval runs: exact, or local from
  ``RetrieveConfig.local_ppr_min_nodes`` nodes on), ranking (``rank_passages`` less seeding and PPR);
* adding 10 documents, then the next query (it refreshes the index); deleting one, then the next
  query (a full refresh);
* Recall@2/@5 of the synthetic questions' gold passages, as a sanity check.

Every run is labelled: "extraction skipped" (triples come from the generator) and, with the
default ``--vectors synthetic``, "synthetic vectors" (benchmarks/synthetic_vectors.py); with
``--vectors onnx`` every passage, entity, fact and query is embedded by MiniLM on ONNX Runtime.
Each size runs in its own process (so its peak RSS is its own); results merge into ``--out``
by (size, vectors), then growth exponents (log-log slopes) and the plot are recomputed
(benchmarks/scale_report.py).

    python benchmarks/bench_scale.py --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_report import merge, report
from synthetic_corpus import Generator
from synthetic_openie import items, write_openie, write_questions
from synthetic_vectors import HashedWordEmbedder

from graphmem import Document, Memory
from graphmem.config import EmbedConfig, MemoryConfig
from graphmem.embed import Embedder, make_embedder
from graphmem.extract.openie import OpenIEExtractor
from graphmem.extract.openie_file import load_openie
from graphmem.graph.ann_files import ANN_DIR
from graphmem.ids import doc_id_for
from graphmem.openie_import import import_openie
from graphmem.retrieve.dense_scan import dense_scores
from graphmem.retrieve.retriever import candidate_facts, rank_passages, seed_query, walk_scores

ADDED = 10
IMPORT_REPORT = "bench-import.json"  # beside the store: its import figures, for --reuse-store
STAGE_QUERIES = 100


def embedder_for(vectors: str) -> tuple[Embedder, MemoryConfig]:
    if vectors == "synthetic":
        return HashedWordEmbedder(), MemoryConfig()
    config = MemoryConfig(embed=EmbedConfig(backend="onnx"))
    return make_embedder(config.embed), config


def peak_rss_gb() -> float:
    """This process's peak resident set (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def ms(values: list[float]) -> dict[str, float]:
    a = np.asarray(values) * 1000
    return {"p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3),
            "mean": round(float(a.mean()), 3), "n": len(values)}


def cold(store: Path, vectors: str, query: str) -> dict[str, float]:
    """In this (fresh) process: open the memory and answer ``query``; the seconds taken."""
    t0 = time.perf_counter()
    embedder, config = embedder_for(vectors)
    with Memory(store, config, embedder=embedder) as mem:
        t1 = time.perf_counter()
        mem.retrieve(query, top_k=5)
        t2 = time.perf_counter()
        index = mem.index()
        # per ANN table: "restored" from the memory directory's ann/, or "built" here
        graphs = {t: "built" if index.ann(t, 1).builds else "restored" for t in index.ann_tables}
    return {"open_s": round(t1 - t0, 3), "first_answer_s": round(t2 - t1, 3),
            "open_to_first_answer_s": round(t2 - t0, 3), "peak_rss_gb": peak_rss_gb(),
            "ann_graphs": graphs}


def cold_runs(store: Path, vectors: str, query: str, runs: int) -> dict[str, Any]:
    out = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, __file__, "--cold", str(store), "--vectors", vectors,
                               "--query", query], capture_output=True, text=True, check=True)
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    total = [r["open_to_first_answer_s"] for r in out]
    return {"median_open_to_first_answer_s": float(np.median(total)), "runs": out}


def stage_times(mem: Memory, embedder: Embedder, questions: list[str]) -> dict[str, Any]:
    """Each retrieval stage timed alone on the same index (see the module docstring)."""
    index, cfg = mem.index(), mem.config.retrieve
    t: dict[str, list[float]] = {k: [] for k in ("embed", "dense", "fact_linking", "seeding", "ppr",
                                                  "ranking", "rank_passages")}
    for q in questions:
        c0 = time.perf_counter()
        v = embedder.encode([q])[0]
        c1 = time.perf_counter()
        dense_scores(index, v, cfg)
        c2 = time.perf_counter()
        candidate_facts(index, v, cfg)
        c3 = time.perf_counter()
        s = seed_query(index, q, v, cfg)
        c4 = time.perf_counter()
        ppr = 0.0
        if s.reset is not None:
            walk_scores(index, s.reset, cfg)  # the walk retrieval runs (exact or local)
            ppr = time.perf_counter() - c4
        c5 = time.perf_counter()
        rank_passages(index, q, v, cfg, 5)
        c6 = time.perf_counter()
        for k, x in (("embed", c1 - c0), ("dense", c2 - c1), ("fact_linking", c3 - c2),
                     ("seeding", c4 - c3), ("ppr", ppr), ("rank_passages", c6 - c5),
                     ("ranking", max(0.0, (c6 - c5) - (c4 - c3) - ppr))):
            t[k].append(x)
    return {k: ms(v) for k, v in t.items()}


def recall_and_latency(mem: Memory, qpath: Path) -> dict[str, Any]:
    records = json.loads(qpath.read_text())
    lat: list[float] = []
    r2: list[float] = []
    r5: list[float] = []
    by_hop: dict[str, list[int]] = {}  # "hops/position" -> found in the top 5, per question
    for rec in records:
        chain = [doc_id_for(text) for _, (text,) in rec["context"]]
        gold = set(chain)
        t0 = time.perf_counter()
        hits = mem.retrieve(rec["question"], top_k=5)
        lat.append(time.perf_counter() - t0)
        ids = [h.doc_id for h in hits]
        r2.append(len(gold & set(ids[:2])) / len(gold))
        r5.append(len(gold & set(ids[:5])) / len(gold))
        for j, d in enumerate(chain):
            by_hop.setdefault(f"{len(chain)}-hop gold {j + 1}", []).append(int(d in ids[:5]))
    return {"questions": len(records), "recall_at_2": round(float(np.mean(r2)), 4),
            "recall_at_5": round(float(np.mean(r5)), 4),
            "recall_at_5_by_chain_position": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_hop.items())},
            "retrieve_ms": ms(lat)}


def one_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    gen_dir, store = args.work_dir / f"gen-{n}", args.work_dir / f"store-{n}-{args.vectors}"
    t0 = time.perf_counter()
    gen = Generator(n, args.seed)
    if not (gen_dir / "openie.json").exists():
        write_openie(gen, gen_dir / "openie.json")
    write_questions(gen, args.questions, gen_dir / "questions.json")
    extra = list(items(Generator(max(n, 1000), args.seed + 1)))[: 2 * ADDED]  # other names
    (gen_dir / "add10.json").write_text(json.dumps({"docs": extra}))
    generate_s = time.perf_counter() - t0
    embedder, config = embedder_for(args.vectors)
    saved = store / IMPORT_REPORT
    if args.reuse_store and saved.exists():  # the import measured by an earlier --import-only run
        out: dict[str, Any] = json.loads(saved.read_text())
        out["import_reused"] = True
    else:
        shutil.rmtree(store, ignore_errors=True)
        rep = import_openie(gen_dir / "openie.json", store, config, embedder=embedder, batch=args.batch)
        out = {
            "passages": n, "vectors": args.vectors, "seed": args.seed, "batch": args.batch,
            "label": ("synthetic vectors, " if args.vectors == "synthetic" else "ONNX MiniLM vectors, ")
            + "extraction skipped",
            "load_avg_start": os.getloadavg(), "generate_s": round(generate_s, 2),
            "import": {"seconds": dict(rep.seconds), "passages_per_s": round(rep.imported / rep.seconds["total"], 1),
                       "imported": rep.imported, "skipped_duplicates": rep.skipped,
                       "entities": rep.entities, "facts": rep.facts,
                       "peak_rss_gb_after_import": peak_rss_gb()},
        }
        out["store_bytes"] = disk_bytes(store)
        saved.write_text(json.dumps(out))
        if args.import_only:
            return out
    records = json.loads((gen_dir / "questions.json").read_text())
    out["cold"] = cold_runs(store, args.vectors, records[0]["question"], args.cold_runs)
    adder = OpenIEExtractor(load_openie(gen_dir / "add10.json"), config.chunk)
    with Memory(store, config, embedder=embedder, extractor=adder) as mem:
        out["stats"] = {k: v for k, v in mem.stats().items() if isinstance(v, int)}
        t0 = time.perf_counter()
        mem.retrieve(records[0]["question"])
        out["first_query_in_process_s"] = round(time.perf_counter() - t0, 3)
        out["quality"] = recall_and_latency(mem, gen_dir / "questions.json")
        out["stages_ms"] = stage_times(mem, embedder, [r["question"] for r in records[:STAGE_QUERIES]])
        out["ann_tables"] = list(mem.index().ann_tables)
        q = records[1]["question"]
        docs = [Document(text=d["text"], title=d["title"]) for d in extra]
        t0 = time.perf_counter()
        mem.add(docs[ADDED:])  # this handle's first write: a quick_check of the file first
        t1 = time.perf_counter()
        mem.retrieve(q)
        out["add10_first_write"] = {"add_s": round(t1 - t0, 3),
                                    "next_query_s": round(time.perf_counter() - t1, 3)}
        t0 = time.perf_counter()
        ids = mem.add(docs[:ADDED])
        t1 = time.perf_counter()
        mem.retrieve(q)
        t2 = time.perf_counter()
        mem.delete(ids[0])
        t3 = time.perf_counter()
        mem.retrieve(q)
        t4 = time.perf_counter()
        out["add10"] = {"add_s": round(t1 - t0, 3), "next_query_s": round(t2 - t1, 3),
                        "add_and_next_query_s": round(t2 - t0, 3)}
        out["delete1"] = {"delete_s": round(t3 - t2, 3), "next_query_s": round(t4 - t3, 3),
                          "delete_and_next_query_s": round(t4 - t2, 3)}
    out["peak_rss_gb"] = peak_rss_gb()
    out["ann_dir_bytes"] = disk_bytes(store / ANN_DIR) if (store / ANN_DIR).exists() else 0
    out["load_avg_end"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="issue 14's growth curve")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--vectors", choices=("synthetic", "onnx"), default="synthetic")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--work-dir", type=Path, default=Path("/work/scale-stores"))
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "scale.json")
    ap.add_argument("--plot", type=Path, default=Path(__file__).parents[1] / "docs" / "scale.png")
    ap.add_argument("--machine", default="shared 2-core machine (load average recorded per size)")
    ap.add_argument("--import-only", action="store_true",
                    help="stop after the import (its figures are kept beside the store)")
    ap.add_argument("--reuse-store", action="store_true",
                    help="measure an existing store built by --import-only instead of importing")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--cold", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--query", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cold is not None:
        print(json.dumps(cold(args.cold, args.vectors, args.query)))
        return
    if args.one is not None:
        print(json.dumps(one_size(args.one, args)), flush=True)
        return
    args.work_dir.mkdir(parents=True, exist_ok=True)
    for n in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n), "--vectors", args.vectors, "--questions",
               str(args.questions), "--seed", str(args.seed), "--batch", str(args.batch),
               "--cold-runs", str(args.cold_runs), "--work-dir", str(args.work_dir)]
        cmd += ["--import-only"] * args.import_only + ["--reuse-store"] * args.reuse_store
        print(f"size {n}: {' '.join(cmd)}", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"size {n} failed (exit {proc.returncode})")
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        run["machine"] = args.machine
        print(json.dumps(run), flush=True)
        if not args.import_only:
            merge(args.out, run)
    if not args.import_only:
        report(args.out, args.plot)


if __name__ == "__main__":
    main()
