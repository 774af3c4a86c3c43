"""LoCoMo dev: the passage unit (turn vs windowed turns) x graphmem / dense / BM25, per category.

    PYTHONPATH=. python benchmarks/eval_locomo.py [--windows 0,1,2] [--store DIR]

Writes benchmarks/results/eval-locomo.json: one LoCoMo report per window and a summary of Recall@5 per window, method and group.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import replace
from pathlib import Path

from graphmem.config import MemoryConfig
from graphmem.conversation import turns_to_documents
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.eval.locomo_eval import run_locomo
from graphmem.extract import SpacyExtractor

log = logging.getLogger("eval_locomo")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "locomo-dev" / "conversations.json"


def bare_documents(turns):
    """Turn passages without the speaker's name (the speaker stays in metadata): no speaker
    entity in every passage, and no speaker for dense to match either."""
    docs = turns_to_documents(turns, window=0)
    return [replace(d, text=t.text) for d, t in zip(docs, turns, strict=True)]


def main() -> None:
    """Run every window variant and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DATA)
    parser.add_argument("--windows", default="0,1,2")
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument(
        "--bare", action="store_true", help="Also measure turns without the 'Speaker: ' prefix."
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/eval-locomo.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = MemoryConfig()
    embedder = SentenceTransformerEmbedder(config.embed)
    extractor = SpacyExtractor(config.extract)
    reports = {}
    for window in (int(w) for w in args.windows.split(",") if w):
        report = run_locomo(
            args.questions, window=window, config=config, store_dir=args.store,
            embedder=embedder, extractor=extractor, progress=log.info, include_rankings=False,
        )
        log.info("window %d\n%s", window, report.table())
        reports[f"window-{window}"] = report.to_json()
    if args.bare:
        report = run_locomo(
            args.questions, config=config, store_dir=args.store, embedder=embedder,
            extractor=extractor, progress=log.info,
            documents=bare_documents, variant="bare",
        )
        log.info("bare turns\n%s", report.table())
        reports["bare"] = report.to_json()
    summary = {
        name: {m: {g: v["recall@5"] for g, v in groups.items()} for m, groups in r["methods"].items()}
        for name, r in reports.items()
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = {"questions": str(args.questions), "recall@5": summary, "reports": reports}
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
