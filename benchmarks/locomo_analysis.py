"""Why graphmem ranks as it does on LoCoMo: seeds per query, and query-time variants on built
memories (no rebuild). Reads the stores ``benchmarks/eval_locomo.py --store DIR`` leaves.

    PYTHONPATH=. python benchmarks/locomo_analysis.py --store DIR --window 1 [--variants ...]

Variants are ``name=field:value,field:value`` over :class:`RetrieveConfig` (query time only);
results go to ``--out`` (JSON) and the log. The retrieval defaults are not changed here.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
from dataclasses import replace
from pathlib import Path

from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval.harness import DEPTH_FACTOR
from graphmem.eval.locomo import load_locomo
from graphmem.eval.locomo_eval import group_metrics
from graphmem.extract import SpacyExtractor
from graphmem.memory import Memory

log = logging.getLogger("locomo_analysis")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "locomo-dev" / "conversations.json"


def parse_variant(text: str) -> tuple[str, dict]:
    """``name=field:value,...`` → (name, RetrieveConfig overrides)."""
    name, _, spec = text.partition("=")
    fields = {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition(":")
        current = getattr(RetrieveConfig(), key)
        fields[key] = type(current)(value) if not isinstance(current, bool) else value == "true"
    return name, fields


def main() -> None:
    """Rank every question with each variant; log per-category Recall@5 and seed statistics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--window", type=int, default=1)
    parser.add_argument("--questions", type=Path, default=DATA)
    parser.add_argument("--variants", nargs="*", default=["default="])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = load_locomo(args.questions)
    base = MemoryConfig()
    embedder = SentenceTransformerEmbedder(base.embed)
    extractor = SpacyExtractor(base.extract)
    results = {}
    for spec in args.variants:
        name, overrides = parse_variant(spec)
        config = replace(base, retrieve=replace(base.retrieve, **overrides))
        rankings, ordered = [], []
        modes: collections.Counter = collections.Counter()
        seeds: collections.Counter = collections.Counter()
        path = args.store / f"window-{args.window}"
        with Memory(path, config, embedder=embedder, extractor=extractor) as mem:
            for conv in data.conversations:
                qs = [q for q in data.questions if q.conversation == conv.id]
                for q in qs:
                    hits = mem.retrieve(
                        q.question, top_k=DEPTH_FACTOR * 10, namespace=conv.id
                    )
                    ids = list(dict.fromkeys(h.doc_id for h in hits))[:10]
                    rankings.append(ids)
                    ordered.append(q)
                    if hits:
                        ex = hits[0].explanation
                        modes[ex.mode] += 1
                        seeds.update(e for e, _ in ex.seed_entities)
        metrics = group_metrics(rankings, ordered)
        by_conversation = {
            conv.id: group_metrics(
                [r for r, q in zip(rankings, ordered) if q.conversation == conv.id],
                [q for q in ordered if q.conversation == conv.id],
            )["overall"]["recall@5"]
            for conv in data.conversations
        }
        results[name] = {
            "overrides": overrides,
            "recall@5": {g: m["recall@5"] for g, m in metrics.items()},
            "recall@5_by_conversation": by_conversation,
            "metrics": metrics,
            "modes": dict(modes),
            "top_seed_entities": seeds.most_common(15),
        }
        log.info("%-14s R@5 %s modes %s", name, results[name]["recall@5"], dict(modes))
        log.info("  R@5 by conversation %s", by_conversation)
        log.info("  seeds %s", seeds.most_common(8))
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
