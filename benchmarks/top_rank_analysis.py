"""Why the walk loses rank 1 to dense: on each dev set, the questions where dense's first passage
is gold and graphmem's (default settings) is not, and what put graphmem's first passage there.

Uses public APIs only: ``Memory.retrieve`` (each ``Hit.explanation`` carries the query's seed
entities with weights, the seed facts the passage supports, its bridge entities and its dense
score), ``Memory.dense_ranking`` and ``Memory.to_networkx`` (entity types, mention and synonym
edges, so passage counts). Needs the memories built by ``benchmarks/dev_sweep.py``.

Counts are not exclusive (one displacing passage can hold a fact seed and a date seed); the
``primary`` cause is exclusive: the heaviest seed entity the displacing passage mentions (by its
class), else a seed fact it supports, else a synonym of a seed, else a hub bridge, else "walk".

    PYTHONPATH=. python benchmarks/top_rank_analysis.py --stores /work/q-stores
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx

from graphmem import Memory
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.eval.datasets import load_corpus, match_gold
from graphmem.eval.formats import load_questions
from graphmem.retrieve.fusion import is_numeric_entity

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/work/shared/data")
DEV_SETS = {
    "musique-100": ("musique-100/questions.json", "musique-100/corpus.json"),
    "hotpotqa-100": ("hotpotqa-100/questions.json", "hotpotqa-100/corpus.json"),
    "2wiki-dev-400": ("2wiki-corpus/dev-questions.json", "2wiki-corpus/corpus.json"),
}
HUB = 10
"""An entity mentioned in at least this many passages counts as a hub."""


def seed_class(name: str, kind: str, count: int) -> str:
    if is_numeric_entity(name, kind):
        return "date/number"
    if count >= HUB:
        return "hub"
    if kind == "NP":
        return "noun phrase"
    if kind == "TITLE":
        return "title"
    return "named"


class GraphFacts:
    """Entity types, passage counts, mentions per passage and synonym neighbours of a memory."""

    def __init__(self, g: nx.Graph):
        self.by_label: dict[str, list[str]] = {}
        self.kind: dict[str, str] = {}
        self.count: Counter[str] = Counter()
        self.mentions: dict[str, set[str]] = {}
        self.synonyms: dict[str, set[str]] = {}
        self.passages_of_doc: dict[str, list[str]] = {}
        for node, data in g.nodes(data=True):
            if data["kind"] == "entity":
                self.by_label.setdefault(data["label"], []).append(node)
                self.kind[node] = data["type"]
            else:
                self.passages_of_doc.setdefault(data["doc_id"], []).append(node)
        for a, b, data in g.edges(data=True):
            if data["kind"] == "mention":
                p, e = (a, b) if a.startswith("passage:") else (b, a)
                self.mentions.setdefault(p, set()).add(e)
                self.count[e] += 1
            elif data["kind"] == "synonym":
                self.synonyms.setdefault(a, set()).add(b)
                self.synonyms.setdefault(b, set()).add(a)

    def doc_entities(self, doc_id: str) -> set[str]:
        out: set[str] = set()
        for p in self.passages_of_doc.get(doc_id, []):
            out |= self.mentions.get(p, set())
        return out


def analyse(mem: Memory, questions: list[str], gold: list[frozenset[str]]) -> dict[str, Any]:
    facts = GraphFacts(mem.to_networkx())
    counts: Counter[str] = Counter()
    primary: Counter[str] = Counter()
    where: Counter[str] = Counter()
    displaced = graph_wins = both = 0
    examples = []
    for q, g in zip(questions, gold, strict=True):
        dense_top = mem.dense_ranking([q], top_k=1)[0][0]
        hits = mem.retrieve(q, top_k=30)
        docs = list(dict.fromkeys(h.doc_id for h in hits))
        top = hits[0]
        if dense_top in g and top.doc_id in g:
            both += 1
        if top.doc_id in g and dense_top not in g:
            graph_wins += 1
        if not (dense_top in g and top.doc_id not in g):
            continue
        displaced += 1
        rank = docs.index(dense_top) + 1 if dense_top in docs else None
        where["rank 2" if rank == 2 else "rank 3-5" if rank and rank <= 5 else
              "rank 6-10" if rank and rank <= 10 else "below 10"] += 1
        ex = top.explanation
        in_top = facts.doc_entities(top.doc_id)
        in_gold = facts.doc_entities(dense_top)
        seeds = [(n, w) for label, w in ex.seed_entities for n in facts.by_label.get(label, [])]
        hit_seeds = sorted(((w, n) for n, w in seeds if n in in_top), reverse=True)
        classes = {seed_class(n.removeprefix("entity:"), facts.kind[n], facts.count[n])
                   for _, n in hit_seeds}
        for c in classes:
            counts[f"seed in displacer: {c}"] += 1
        if any(w >= 0.999 for w, _ in hit_seeds):
            counts["seed in displacer with weight 1.0 (one-passage entity)"] += 1
        if hit_seeds:
            counts["any seed entity in displacer"] += 1
        if ex.matched_facts:
            counts["displacer supports a seed fact"] += 1
        if ex.seed_facts:
            counts["query has seed facts"] += 1
        syn = any(facts.synonyms.get(n, set()) & in_top for n, _ in seeds if n not in in_top)
        if syn:
            counts["synonym of a seed in displacer"] += 1
        hub_bridge = any(facts.count[n] >= HUB for b in ex.bridge_entities
                         for n in facts.by_label.get(b, []) if n in in_top)
        if hub_bridge:
            counts["hub bridge entity in displacer"] += 1
        if not any(n in in_gold for n, _ in seeds):
            counts["dense's gold passage mentions no seed"] += 1
        seed_mass_top = sum(w for n, w in seeds if n in in_top)
        seed_mass_gold = sum(w for n, w in seeds if n in in_gold)
        if seed_mass_top > seed_mass_gold:
            counts["displacer holds more seed weight than the gold"] += 1
        fact_args = {label for sf in ex.seed_facts for label in (sf.subject, sf.object)}
        if hit_seeds:
            w, n = hit_seeds[0]
            cause = seed_class(n.removeprefix("entity:"), facts.kind[n], facts.count[n])
            label = next(lb for lb, _ in ex.seed_entities if n in facts.by_label.get(lb, []))
            source = "from a fact" if label in fact_args else "query-linked"
            primary[f"seed {cause}, {source}" + (" (weight 1.0)" if w >= 0.999 else "")] += 1
        elif ex.matched_facts:
            primary["seed fact"] += 1
        elif syn:
            primary["synonym edge"] += 1
        elif hub_bridge:
            primary["hub bridge"] += 1
        else:
            primary["walk (no seed, fact, synonym or hub in displacer)"] += 1
        if len(examples) < 5:
            examples.append({"question": q, "displacer": top.doc_id, "dense_gold": dense_top,
                             "seeds": list(ex.seed_entities),
                             "seeds_in_displacer": [n for _, n in hit_seeds],
                             "dense_score_displacer": round(ex.dense_score, 3)})
    return {"questions": len(questions), "displaced": displaced, "graph_wins_rank1": graph_wins,
            "both_gold_rank1": both, "dense_gold_now_at": dict(where), "counts": dict(counts),
            "primary": dict(primary), "examples": examples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", type=Path, default=Path("/work/q-stores"))
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/top_rank_analysis.json")
    ap.add_argument("--sets", default=",".join(DEV_SETS))
    ap.add_argument("--retrieve", default="{}",
                    help='RetrieveConfig overrides as JSON, e.g. \'{"pin_dense_margin": 0.05}\'')
    args = ap.parse_args()
    overrides = json.loads(args.retrieve)
    config = MemoryConfig(retrieve=RetrieveConfig(**overrides))
    report: dict[str, Any] = {"label": "dev sets", "retrieve_overrides": overrides,
                              "hub_threshold": HUB}
    for name in args.sets.split(","):
        qrel, crel = DEV_SETS[name]
        qs = load_questions(args.data / qrel)
        corpus = load_corpus(args.data / crel)
        gold = [frozenset(f"p{i}" for i in idx) for idx in match_gold(qs.examples, corpus)]
        with Memory(args.stores / name, config) as mem:
            report[name] = analyse(mem, [e.question for e in qs.examples], gold)
        print(name, json.dumps({k: v for k, v in report[name].items() if k != "examples"}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
