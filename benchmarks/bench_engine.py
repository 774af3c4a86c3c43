"""Engine benchmark on a corpus of {title, text} passages (default: the 6,119-passage 2Wiki corpus).

Prints and writes JSON for:
  * ingestion throughput (passages/s) with time spent in spaCy, embedding, synonyms and storage;
  * retrieval latency p50/p95 over 100 queries, end to end (query embedding included);
  * incremental add of 10 new documents to the full memory vs the from-scratch build;
  * PPR per query vs igraph PRPACK on the same graph and seeds (ratio and L1 agreement).

    python benchmarks/bench_engine.py --corpus ../shared/data/2wiki-corpus/corpus.json \
        --out benchmarks/results/engine.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ppr_compare import compare_with_igraph

from graphmem import Document, Memory
from graphmem.config import EmbedConfig, MemoryConfig
from graphmem.retrieve.retriever import seed_query

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_corpus(path: Path, limit: int | None) -> list[Document]:
    rows = json.loads(path.read_text("utf-8"))[:limit]
    return [Document(text=r["text"], title=r["title"], id=f"p{i}", metadata={"title": r["title"]}) for i, r in enumerate(rows)]


def load_queries(n: int) -> list[str]:
    qs = [q["question"] for q in json.loads((SHARED / "hotpotqa-100" / "questions.json").read_text())]
    qs += [q["question"] for q in json.loads((SHARED / "musique-100" / "questions.json").read_text())]
    return qs[:n]


def ingest(mem: Memory, docs: list[Document], batch: int) -> dict:
    totals = {"extract_s": 0.0, "embed_s": 0.0, "synonyms_s": 0.0, "store_s": 0.0}
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        t0 = time.perf_counter()
        mem.add(docs[i : i + batch])
        wall = time.perf_counter() - t0
        b = mem.last_build
        totals["extract_s"] += b.extract
        totals["embed_s"] += b.embed
        totals["synonyms_s"] += b.synonyms
        totals["store_s"] += wall - b.wall
        print(f"  {min(i + batch, len(docs))}/{len(docs)} passages, {wall:.1f}s for this batch", flush=True)
    total = time.perf_counter() - start
    out = {"passages": len(docs), "total_s": round(total, 2), "passages_per_s": round(len(docs) / total, 1)}
    out.update({k: round(v, 2) for k, v in totals.items()})
    out["share_note"] = "spaCy runs in a thread beside passage embedding, so extract_s and embed_s overlap"
    return out


TARGET_PASSAGES_PER_S = 40  # issue 14's ingestion target


def model_stages(mem: Memory, docs: list[Document], n: int = 400) -> dict:
    """Each model stage alone on ``n`` passages: what bounds ingestion on this machine. Wall
    time gives each stage's rate; the process's CPU time (every thread of torch or ONNX
    Runtime counted) gives the core-milliseconds each passage costs, which no overlap of the
    stages can lower: ``cores_needed_at_target`` is what the target rate would take."""
    sample = docs[:n]
    texts = [d.text for d in sample]
    timed: dict[str, tuple[float, float]] = {}

    def run(stage: str, fn: Callable[[], object]) -> object:
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        timed[stage] = (time.perf_counter() - w0, time.process_time() - c0)
        return out

    extractions = run("spacy", lambda: mem.extractor.extract_batch(texts))
    run("passages", lambda: mem.embedder.encode([f"{d.title}\n{d.text}" for d in sample]))
    names = sorted({m.name for e in extractions for m in e.mentions})  # type: ignore[attr-defined]
    facts = sorted({f"{t.subject} {t.predicate} {t.object}" for e in extractions for t in e.triples})  # type: ignore[attr-defined]
    run("strings", lambda: mem.embedder.encode(names + facts))
    spacy_s, passage_s, strings_s = (timed[k][0] for k in ("spacy", "passages", "strings"))
    per = lambda s: round(len(sample) / s, 1)
    cpu_ms = {k: round(1000 * c / len(sample), 1) for k, (_, c) in timed.items()}
    total_ms = sum(cpu_ms.values())
    return {
        "passages": len(sample),
        "spacy_passages_per_s": per(spacy_s),
        "passage_embedding_per_s": per(passage_s),
        "entity_fact_embedding_passages_per_s": per(strings_s),
        "entity_and_fact_strings_per_passage": round((len(names) + len(facts)) / len(sample), 1),
        "all_embedding_passages_per_s": per(passage_s + strings_s),
        "serial_models_passages_per_s": per(spacy_s + passage_s + strings_s),
        "cpu_ms_per_passage": cpu_ms | {"all": round(total_ms, 1)},
        "target_passages_per_s": TARGET_PASSAGES_PER_S,
        "cores_needed_at_target": round(TARGET_PASSAGES_PER_S * total_ms / 1000, 2),
        "cores": os.cpu_count(),
    }


def latency(mem: Memory, queries: list[str], top_k: int = 5) -> dict:
    mem.retrieve(queries[0], top_k=top_k)  # index load, outside the timing
    times = []
    for q in queries:
        t0 = time.perf_counter()
        mem.retrieve(q, top_k=top_k)
        times.append(time.perf_counter() - t0)
    ms = np.asarray(times) * 1e3
    return {"queries": len(queries), "p50_ms": round(float(np.median(ms)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "2wiki-corpus" / "corpus.json")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N passages")
    ap.add_argument("--batch", type=int, default=1000, help="documents per add() call")
    ap.add_argument("--store", type=Path, default=None, help="keep the built store here")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/engine.json"))
    ap.add_argument("--embed-backend", choices=["torch", "onnx"], default="torch")
    ap.add_argument("--embed-quantize", choices=["none", "int8"], default="none")
    ap.add_argument("--stages-only", action="store_true",
                    help="only the model stages alone (rates and CPU per passage), no ingestion")
    ap.add_argument("--threads", type=int, default=None, help="embedding threads (EmbedConfig.threads)")
    args = ap.parse_args()
    config = MemoryConfig(embed=EmbedConfig(backend=args.embed_backend, quantize=args.embed_quantize,
                                            threads=args.threads))

    docs = load_corpus(args.corpus, args.limit)
    extra = [
        Document(text=r["text"], title=r["title"], id=f"new{i}")
        for i, r in enumerate(json.loads((SHARED / "musique-100" / "corpus.json").read_text())[:10])
    ]
    queries = load_queries(100)
    tmp = Path(tempfile.mkdtemp(prefix="graphmem-bench-"))
    store = args.store or tmp / "store"
    if store.exists():
        shutil.rmtree(store)
    report: dict = {
        "corpus": str(args.corpus),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_start": list(os.getloadavg())},
        "limit": args.limit,
    }
    with Memory(store, config) as mem:
        report["embedder"] = mem.embedder.name
        mem.embedder.encode(["warm up"])
        mem.extractor.extract_batch(["Warm up the parser."])
        if args.stages_only:
            report["model_stages_alone"] = model_stages(mem, docs)
            print("model stages alone:", json.dumps(report["model_stages_alone"]), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=2))
            shutil.rmtree(tmp, ignore_errors=True)
            return
        print(f"ingesting {len(docs)} passages ...", flush=True)
        report["ingest"] = ingest(mem, docs, args.batch)
        report["ingest"]["stats"] = {k: v for k, v in mem.stats().items() if isinstance(v, int)}
        print("ingest:", json.dumps(report["ingest"]), flush=True)

        report["model_stages_alone"] = model_stages(mem, docs)
        print("model stages alone:", json.dumps(report["model_stages_alone"]), flush=True)

        report["latency"] = latency(mem, queries)
        print("latency:", json.dumps(report["latency"]), flush=True)

        t0 = time.perf_counter()
        mem.add(extra)
        add_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        mem.retrieve(queries[0])
        refresh_s = time.perf_counter() - t1
        report["incremental_add"] = {
            "documents": len(extra),
            "add_s": round(add_s, 3),
            "first_query_after_add_s": round(refresh_s, 3),
            "from_scratch_build_s": report["ingest"]["total_s"],
            "speedup_vs_rebuild": round(report["ingest"]["total_s"] / (add_s + refresh_s), 1),
        }
        print("incremental:", json.dumps(report["incremental_add"]), flush=True)
        with Memory(tmp / "small", config) as small:
            small.embedder.encode(["warm"])
            t0 = time.perf_counter()
            small.add(extra)
            report["incremental_add"]["same_10_into_empty_store_s"] = round(time.perf_counter() - t0, 3)

        index = mem.index()
        vectors = mem.embedder.encode(queries)
        resets = [
            s.reset
            for q, v in zip(queries, vectors)
            if (s := seed_query(index, q, v, mem.config.retrieve)).reset is not None
        ]
        ppr = compare_with_igraph(
            index.adjacency, resets, damping=mem.config.retrieve.damping, tol=mem.config.retrieve.tol
        )
        ppr["graph_nodes"], ppr["graph_nnz"] = index.adjacency.shape[0], int(index.adjacency.nnz)
        report["ppr_vs_igraph"] = ppr
        print("ppr:", json.dumps(ppr), flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    if args.store is None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
