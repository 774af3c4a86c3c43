"""The demo corpus end to end: a question whose answer passage shares no words with it is found
through the graph, while plain dense ranking over the same vectors misses it."""

from __future__ import annotations

import json
from pathlib import Path

from graphmem import read_documents

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_sample_corpus_two_hop(memory_factory):
    mem = memory_factory()
    docs = read_documents(EXAMPLES / "sample_corpus.jsonl")
    assert len(mem.add(docs)) == len(docs) == 17
    questions = {q["question"]: q for q in json.loads((EXAMPLES / "questions.json").read_text("utf-8"))}
    q = "Which publishing house released the book by the writer born in Pellavon?"
    assert questions[q]["supporting"] == ["odile-marchetti", "salt-lantern"]

    hits = mem.retrieve(q, top_k=5)
    assert {"odile-marchetti", "salt-lantern"} <= {h.doc_id for h in hits}
    book = next(h for h in hits if h.doc_id == "salt-lantern")
    assert book.explanation.mode == "ppr"
    assert "Odile Marchetti" in book.explanation.bridge_entities

    [dense_top5] = mem.dense_ranking([q], top_k=5)
    assert len(dense_top5) == 5 and "salt-lantern" not in dense_top5
