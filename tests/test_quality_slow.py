"""Opt-in quality check on the shared HotpotQA-100 data (`make test-slow`, about two minutes):
graph retrieval must not fall below dense retrieval over the same passage vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    graph = [[h.doc_id for h in hits] for hits in mem.retrieve_many(questions, top_k=5)]
    index = mem._ready_index()
    recs = mem.store.passages([int(i) for i in index.chunks.ids])
    docs = [recs[int(i)].doc_id for i in index.chunks.ids]
    scores = mem.embedder.encode(questions) @ index.chunks.vectors.T
    dense = [[docs[c] for c in np.argsort(-row, kind="stable")[:5]] for row in scores]
    g, d = evaluate_rankings(graph, gold, ks=(5,)), evaluate_rankings(dense, gold, ks=(5,))
    assert g["recall@5"] >= d["recall@5"]
    assert g["all@5"] >= d["all@5"]
