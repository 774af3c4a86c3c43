"""Dev-set sweep of retrieval variants on all three dev sets, with leave-one-set-out selection.

Builds (or reuses) one memory per dev set in ``--stores`` through the extraction/embedding
cache, then runs ``graphmem.eval.run_eval`` once per named variant (``RetrieveConfig`` field
overrides; retrieval-time only, so the stored memory is reused) and once for dense (the same
embedder over the same stored passage vectors). Reports Recall@1/2/5 and MRR per set, and
leave-one-set-out: for each held-out set, the variant with the best mean (R@1+R@2+R@5)/3 over
the other two sets and its numbers on the held-out one.

All figures are DEV-SET numbers (MuSiQue-100, HotpotQA-100, the 2WikiMultiHopQA dev 400).

    PYTHONPATH=. python benchmarks/dev_sweep.py --stores /work/q-stores \\
        --out benchmarks/results/dev_sweep.json
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval.datasets import load_corpus, match_gold
from graphmem.eval.formats import load_questions
from graphmem.eval.harness import DEPTH_FACTOR, _first_docs, run_eval
from graphmem.eval.metrics import evaluate_rankings
from graphmem.extract import SpacyExtractor

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DEV_SETS: dict[str, tuple[str, str]] = {
    "musique-100": ("musique-100/questions.json", "musique-100/corpus.json"),
    "hotpotqa-100": ("hotpotqa-100/questions.json", "hotpotqa-100/corpus.json"),
    "2wiki-dev-400": ("2wiki-corpus/dev-questions.json", "2wiki-corpus/corpus.json"),
}
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "plain-walk": {},
    "no-fact-seeds": {"linking_top_k": 0},
    "score-a0.3": {"fusion": "score", "fusion_alpha": 0.3},
    "score-a0.5": {"fusion": "score", "fusion_alpha": 0.5},
    "score-a0.7": {"fusion": "score", "fusion_alpha": 0.7},
    "rrf-a0.5": {"fusion": "rrf", "fusion_alpha": 0.5},
    "rrf-a0.6": {"fusion": "rrf", "fusion_alpha": 0.6},
    "rrf-a0.5-k10": {"fusion": "rrf", "fusion_alpha": 0.5, "rrf_k": 10.0},
    "pin-0.05": {"pin_dense_margin": 0.05},
    "pin-0.1": {"pin_dense_margin": 0.1},
    "pin-0.03": {"pin_dense_margin": 0.03},
    "pin-0.05+fact-0.1": {"pin_dense_margin": 0.05, "fact_seed_scale": 0.1},
    "pin-0.05+no-fact-seeds": {"pin_dense_margin": 0.05, "linking_top_k": 0},
    "pin-0.05+hub": {"pin_dense_margin": 0.05, "hub_damping": True},
    "pin-0.05+fact-0.1+hub": {"pin_dense_margin": 0.05, "fact_seed_scale": 0.1, "hub_damping": True},
    "hub-damping": {"hub_damping": True},
    "numeric-0.1": {"numeric_seed_scale": 0.1},
    "numeric-0": {"numeric_seed_scale": 0.0},
    "numeric-0+score-a0.5": {"numeric_seed_scale": 0.0, "fusion": "score", "fusion_alpha": 0.5},
    "numeric-0+rrf-a0.5": {"numeric_seed_scale": 0.0, "fusion": "rrf", "fusion_alpha": 0.5},
    "hub+rrf-a0.5": {"hub_damping": True, "fusion": "rrf", "fusion_alpha": 0.5},
    "fact-0.1": {"fact_seed_scale": 0.1},
    "fact-0.3": {"fact_seed_scale": 0.3},
    "fact-0.1+rrf-a0.5": {"fact_seed_scale": 0.1, "fusion": "rrf", "fusion_alpha": 0.5},
    "fact-0.3+score-a0.5": {"fact_seed_scale": 0.3, "fusion": "score", "fusion_alpha": 0.5},
    "np-0.1": {"noun_phrase_seed_scale": 0.1},
    "np-0.3": {"noun_phrase_seed_scale": 0.3},
    "np-0.1+rrf-a0.5": {"noun_phrase_seed_scale": 0.1, "fusion": "rrf", "fusion_alpha": 0.5},
    "np-0.1+score-a0.5": {"noun_phrase_seed_scale": 0.1, "fusion": "score", "fusion_alpha": 0.5},
    "pin-0": {"pin_dense_margin": 0.0},
    "pin-0+hub": {"pin_dense_margin": 0.0, "hub_damping": True},
    "pin-0.1+hub": {"pin_dense_margin": 0.1, "hub_damping": True},
    "pin-0.05+hub+fact-0.3": {"pin_dense_margin": 0.05, "hub_damping": True, "fact_seed_scale": 0.3},
    "pnw-0.1+hub": {"passage_node_weight": 0.1, "hub_damping": True},
    "pnw-0.2+hub": {"passage_node_weight": 0.2, "hub_damping": True},
    "pnw-0.1+pin-0.05+hub": {"passage_node_weight": 0.1, "pin_dense_margin": 0.05, "hub_damping": True},
    "pnw-0.2+pin-0.05+hub": {"passage_node_weight": 0.2, "pin_dense_margin": 0.05, "hub_damping": True},
    "fuzzy-0.75": {"fuzzy_link_threshold": 0.75},
    "fuzzy-0.80": {"fuzzy_link_threshold": 0.80},
    "fuzzy-0.85": {"fuzzy_link_threshold": 0.85},
    "fuzzy-0.90": {"fuzzy_link_threshold": 0.90},
    "ngram-16": {"link_max_ngram": 16},
    "ngram-16+fuzzy-0.80": {"link_max_ngram": 16, "fuzzy_link_threshold": 0.80},
    "ngram-16+fuzzy-0.85": {"link_max_ngram": 16, "fuzzy_link_threshold": 0.85},
    "default+ngram-6": {"pin_dense_margin": 0.05, "hub_damping": True, "link_max_ngram": 6},
    "default+fuzzy-0.80": {"pin_dense_margin": 0.05, "hub_damping": True, "fuzzy_link_threshold": 0.80},
    "default+fuzzy-0.85": {"pin_dense_margin": 0.05, "hub_damping": True, "fuzzy_link_threshold": 0.85},
    "default+lex-0.1": {"pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.1},
    "default+lex-0.2": {"pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.2},
    "default+lex-0.3": {"pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.3},
    "default+lex-0.5": {"pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.5},
    "default+lex-0.7": {"pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.7},
    "default+lex-0.5+pnw-0.2": {
        "pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.5, "passage_node_weight": 0.2,
    },
    "default+lex-0.3+pnw-0.1": {
        "pin_dense_margin": 0.05, "hub_damping": True, "lexical_weight": 0.3, "passage_node_weight": 0.1,
    },
}
"""Variant name → ``RetrieveConfig`` overrides of the plain walk (:data:`PLAIN`); "default" is
the library's defaults as they are now."""
PLAIN: dict[str, Any] = {"pin_dense_margin": float("inf"), "hub_damping": False}
"""The HippoRAG 2 walk with no ranking option: what every other variant is relative to."""


def variant_config(name: str) -> RetrieveConfig:
    """The retrieval settings of variant ``name``."""
    return RetrieveConfig() if name == "default" else RetrieveConfig(**{**PLAIN, **VARIANTS[name]})
KEYS = ("recall@1", "recall@2", "recall@5", "mrr")
EXTRA = ("recall@10", "all@2", "all@5", "latency_ms_p50")
"""Also kept in the JSON (every variant's latency is its median ms per ``retrieve`` call)."""


def objective(m: dict[str, float]) -> float:
    """Selection score: mean of Recall@1, @2 and @5 (the top of the ranking and depth)."""
    return (m["recall@1"] + m["recall@2"] + m["recall@5"]) / 3.0


def leave_one_out(results: dict[str, dict[str, dict[str, float]]], sets: list[str]) -> list[dict[str, Any]]:
    """For each held-out set: the variant best on the mean objective of the other sets."""
    out = []
    variants = [v for v in next(iter(results.values())) if v != "dense"]
    for held in sets:
        others = [s for s in sets if s != held]
        if not others:
            continue
        best = max(variants, key=lambda v: (sum(objective(results[s][v]) for s in others), v == "default"))
        out.append(
            {
                "held_out": held,
                "tuned_on": others,
                "chosen": best,
                "tuned_objective": round(sum(objective(results[s][best]) for s in others) / len(others), 4),
                "held_out_metrics": {k: results[held][best][k] for k in KEYS},
                "held_out_default": {k: results[held]["default"][k] for k in KEYS},
                "held_out_dense": {k: results[held]["dense"][k] for k in KEYS},
            }
        )
    return out


def table(results: dict[str, dict[str, dict[str, float]]], sets: list[str]) -> str:
    head = f"{'variant (dev sets)':<24}" + "".join(f"| {s:<27}" for s in sets)
    sub = f"{'':<24}" + "".join(f"| {'R@1   R@2   R@5   MRR':<27}" for _ in sets)
    rows = [head, sub]
    for v in results[sets[0]]:
        cells = "".join(
            "| " + " ".join(f"{results[s][v][k]:.3f}" for k in KEYS) + "    " for s in sets
        )
        rows.append(f"{v:<24}{cells}")
    return "\n".join(rows)


def _rank(
    mem: Memory, questions: list[str], top_k: int
) -> tuple[list[list[str]], float, float]:
    """graphmem's document rankings (``DEPTH_FACTOR × top_k`` passages cut to ``top_k``
    documents), mean and median ms per question. One query per call, exactly as ``graphmem
    eval`` does: a batch embeds in bf16 with last-bit differences that moved MuSiQue-100 R@1 by
    0.005."""
    hits, millis = [], []
    for q in questions:
        start = time.perf_counter()
        hits.append(mem.retrieve(q, top_k=DEPTH_FACTOR * top_k))
        millis.append((time.perf_counter() - start) * 1000.0)
    rankings = [_first_docs([h.doc_id for h in hs], top_k) for hs in hits]
    return rankings, sum(millis) / len(millis), statistics.median(millis)


def _metrics(rankings: list[list[str]], gold: list[frozenset[str]]) -> dict[str, float]:
    m = evaluate_rankings(rankings, gold)
    return {k: m[k] for k in KEYS + EXTRA if k in m}


def sweep_set(
    name: str,
    variants: list[str],
    data: Path,
    store: Path,
    cache_dir: Path | None,
    embedder: SentenceTransformerEmbedder,
    extractor: SpacyExtractor,
    done: dict[str, Any],
    partial: Path,
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Every variant and dense on one dev set. The memory is built (or reused) once by
    ``run_eval`` (graphmem with defaults and dense, the numbers ``graphmem eval`` prints); the
    variants then rank every question on that memory, its retrieval settings
    replaced per variant (the graph and its stored edges do not depend on them)."""
    qpath, cpath = (data / p for p in DEV_SETS[name])
    meta_key = f"{name}|meta|{json.dumps(asdict(RetrieveConfig()), sort_keys=True, default=str)}"
    if meta_key not in done:
        report = run_eval(
            qpath, cpath, ("graphmem", "dense"), top_k=10, cache_dir=cache_dir,
            store_dir=store, embedder=embedder, extractor=extractor,
        )
        done[meta_key] = {
            "meta": {"questions": report.questions, "passages": report.passages,
                     "format": report.format, "store": report.store},
            "dense": {k: report.methods["dense"][k] for k in KEYS + EXTRA},
            "graphmem eval (default)": {k: report.methods["graphmem"][k] for k in KEYS + EXTRA},
        }
        partial.write_text(json.dumps(done, indent=1) + "\n", encoding="utf-8")
    qs = load_questions(qpath)
    corpus = load_corpus(cpath)
    gold = [frozenset(f"p{i}" for i in idx) for idx in match_gold(qs.examples, corpus)]
    questions = [e.question for e in qs.examples]
    out: dict[str, dict[str, float]] = {}
    with Memory(store, embedder=embedder, extractor=extractor) as mem:
        base = mem.config
        for v in variants:
            # keyed by the whole resolved config, so a result measured under other defaults
            # is never reused for a variant of the same name
            cfg = variant_config(v)
            key = f"{name}|{json.dumps(asdict(cfg), sort_keys=True, default=str)}"
            if key not in done:
                mem.config = replace(base, retrieve=cfg)
                rankings, ms, p50 = _rank(mem, questions, 10)
                done[key] = {
                    **_metrics(rankings, gold),
                    "ms_per_question": round(ms, 2),
                    "latency_ms_p50": round(p50, 2),
                }
                partial.write_text(json.dumps(done, indent=1) + "\n", encoding="utf-8")
            out[v] = done[key]
            print(f"[{name}] {v}: " + " ".join(f"{k}={out[v][k]:.3f}" for k in KEYS), flush=True)
    out["dense"] = done[meta_key]["dense"]
    meta = {**done[meta_key]["meta"], "graphmem_eval_default": done[meta_key]["graphmem eval (default)"]}
    return out, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", type=Path, default=Path("/work/q-stores"))
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/dev_sweep.json")
    ap.add_argument("--sets", default=",".join(DEV_SETS))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument(
        "--partial",
        default=None,
        help="Comma-separated JSON files of (set, variant) results already measured: all are "
        "reused, the first is updated after each run, so sets can run in separate processes "
        "(each with its own first file). Default: <stores>/dev_sweep_partial.json.",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = [s for s in args.sets.split(",") if s]
    variants = [v for v in args.variants.split(",") if v]
    if "default" not in variants:
        variants.insert(0, "default")
    embedder = SentenceTransformerEmbedder(MemoryConfig().embed)
    extractor = SpacyExtractor(MemoryConfig().extract)
    partials = [Path(p) for p in args.partial.split(",")] if args.partial else [
        args.stores / "dev_sweep_partial.json"
    ]
    done: dict[str, Any] = {}
    for p in partials:
        if p.exists():
            done.update(json.loads(p.read_text(encoding="utf-8")))
    results: dict[str, dict[str, dict[str, float]]] = {}
    meta: dict[str, Any] = {}
    for s in sets:
        results[s], meta[s] = sweep_set(
            s, variants, args.data, args.stores / s, args.cache_dir, embedder, extractor, done,
            partials[0],
        )
    loso = leave_one_out(results, sets)
    together = max(
        variants, key=lambda v: (sum(objective(results[s][v]) for s in sets), v == "default")
    )
    print("\nDEV SETS — graphmem variants vs dense (same embedder)\n" + table(results, sets))
    print("\nLeave-one-set-out (choose on two dev sets by mean R@1/2/5, show the third):")
    for row in loso:
        m, d = row["held_out_metrics"], row["held_out_dense"]
        print(f"  held out {row['held_out']:<14} chosen {row['chosen']:<22} "
              + " ".join(f"{k}={m[k]:.3f}" for k in KEYS) + "  | dense "
              + " ".join(f"{d[k]:.3f}" for k in KEYS))
    print(f"\nBest on all three dev sets together (mean R@1/2/5): {together}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "label": "dev sets (MuSiQue-100, HotpotQA-100, 2WikiMultiHopQA dev 400); not held-out",
        "objective": "mean of recall@1, recall@2, recall@5",
        "defaults": asdict(RetrieveConfig()),
        "variants": {v: VARIANTS[v] for v in variants},
        "sets": meta,
        "results": results,
        "leave_one_set_out": loso,
        "best_on_all_three": together,
    }
    args.out.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
