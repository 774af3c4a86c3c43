"""Opt-in quality check on the shared HotpotQA-100 data (`make test-slow`, about two minutes):
graph retrieval must not fall below dense retrieval over the same passage vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmem import Document
from graphmem.eval import evaluate_rankings, load_benchmark, match_gold

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "hotpotqa-100").exists(), reason="shared data not present")
def test_graph_recall_at_5_not_below_dense_on_hotpotqa(memory_factory):
    examples, corpus = load_benchmark("hotpotqa", DATA)
    gold = [{f"p{i}" for i in idx} for idx in match_gold(examples, corpus)]
    mem = memory_factory()
    mem.add([Document(text=p.text, title=p.title, id=f"p{i}") for i, p in enumerate(corpus)])
    questions = [e.question for e in examples]
    # both rank documents (a long one spans passages): graph retrieval as the harness does it,
    # the first 5 distinct documents of 15 passages, dense by Memory.dense_ranking
    hits = mem.retrieve_many(questions, top_k=15)
    graph = [list(dict.fromkeys(h.doc_id for h in q_hits))[:5] for q_hits in hits]
    dense = mem.dense_ranking(questions, top_k=5)
    g, d = evaluate_rankings(graph, gold, ks=(5,)), evaluate_rankings(dense, gold, ks=(5,))
    assert g["recall@5"] >= d["recall@5"]
    assert g["all@5"] >= d["all@5"]
