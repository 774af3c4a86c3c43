"""Retrieval with the new PPR fast path vs the previous one, on a built memory (read-only).

    python benchmarks/ppr_retrieval_check.py --store DIR --questions FILE [--out FILE]

``FILE`` is a JSON list of objects with a ``question`` key (e.g. the 2Wiki dev questions). For
every question, ``Memory.retrieve`` top-5 chunk ids are taken three ways: with the previous
solver (:func:`graphmem.retrieve.ppr.personalized_pagerank_cg`, full-graph conjugate gradients,
at the configured ``tol``), with the new fast path at the configured ``tol``, and with the new
fast path at 1e-10. The report counts questions whose ranked id lists differ (order included)
and the largest score difference among the top 5.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from graphmem import Memory
from graphmem.config import MemoryConfig, StoreConfig
from graphmem.retrieve import retriever
from graphmem.retrieve.ppr import personalized_pagerank, personalized_pagerank_cg


def _ranked(mem: Memory, questions: list[str]) -> list[list[tuple[str, float]]]:
    return [[(h.chunk_id, h.score) for h in hits] for hits in mem.retrieve_many(questions, 5)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    questions = [q["question"] for q in json.loads(args.questions.read_text())]
    config = MemoryConfig(store=StoreConfig(read_only=True))
    runs = {}
    with Memory(args.store, config) as mem:
        tol = mem.config.retrieve.tol
        try:
            retriever.personalized_pagerank = personalized_pagerank_cg
            runs["previous_cg"] = _ranked(mem, questions)
        finally:
            retriever.personalized_pagerank = personalized_pagerank
        runs["new"] = _ranked(mem, questions)
        mem.config = replace(mem.config, retrieve=replace(mem.config.retrieve, tol=1e-10))
        runs["new_tol_1e-10"] = _ranked(mem, questions)
    base = runs["previous_cg"]
    report: dict[str, object] = {"store": str(args.store), "questions": len(questions), "tol": tol}
    for name in ("new", "new_tol_1e-10"):
        other = runs[name]
        differ = [i for i, (a, b) in enumerate(zip(base, other)) if [c for c, _ in a] != [c for c, _ in b]]
        max_score = max(
            (abs(sa - sb) for a, b in zip(base, other) for (_, sa), (_, sb) in zip(a, b)), default=0.0
        )
        report[name] = {"rank_lists_differ": len(differ), "differ_at": differ[:20], "max_top5_score_diff": max_score}
    print(json.dumps(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
