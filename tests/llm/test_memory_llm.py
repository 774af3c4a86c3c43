"""Memory with an LLM over the scripted local server: the recognition filter decides the seed
facts, answers cite passages by document, IRCoT retrieves with the model's reasoning, and usage
shows up in stats()."""

from __future__ import annotations

import json
import re

import pytest

from graphmem import Document
from graphmem.errors import GraphMemError
from graphmem.types import Citation

from .server import RecordedRequest, Reply

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")

DOCS = [
    Document("Odile Marchetti was born in Pellavon.", id="odile", title="Odile Marchetti"),
    Document("Pellavon is a village in the Askel Valley.", id="pellavon", title="Pellavon"),
    Document("The Askel Valley lies in the province of Dunmarrow.", id="askel", title="Askel Valley"),
    Document("Brannock Mills was founded by Ivo Teller in Korsgate.", id="brannock", title="Brannock Mills"),
]
QUESTION = "In which valley was Odile Marchetti born?"


def kind(request: RecordedRequest) -> str:
    fmt = request.body.get("response_format") or {}
    if fmt.get("json_schema", {}).get("name") == "relevant_facts":
        return "filter"
    if "Reasoning so far" in request.last_user_message:
        return "step"
    return "answer"


def candidates(request: RecordedRequest) -> list[list[str]]:
    listed = request.last_user_message.split("Candidate facts: ", 1)[1]
    return json.loads(listed)["facts"]


def passage_number(request: RecordedRequest, needle: str) -> int:
    for m in re.finditer(r"\[(\d+)\] ([^\n]*)", request.last_user_message):
        if needle in m.group(2):
            return int(m.group(1))
    raise AssertionError(f"{needle!r} not shown to the model")


@pytest.fixture
def mem(memory_factory, make_client, server):
    m = memory_factory(llm=make_client(cached=True))
    m.add(DOCS)
    return m


def test_filter_keeps_only_the_facts_the_model_chose(mem, server):
    def respond(request: RecordedRequest) -> Reply:
        assert kind(request) == "filter"
        born = [f for f in candidates(request) if "born" in f[1]]
        return Reply.json({"facts": born + [["Made", "up", "fact"]]})

    server.responder = respond
    hits = mem.retrieve(QUESTION, top_k=2)
    assert len(server.requests) == 1
    assert [(f.subject, f.predicate, f.object) for f in hits[0].explanation.seed_facts] == [
        ("Odile Marchetti", "born in", "Pellavon")
    ]
    assert hits[0].doc_id == "odile"
    assert mem.stats()["llm"] == {
        "calls": 1, "cache_hits": 0, "prompt_tokens": 10, "completion_tokens": 5,
        "retries": 0, "failures": 0,
    }
    mem.retrieve(QUESTION, top_k=2)  # same question: the response cache answers
    assert len(server.requests) == 1
    assert mem.stats()["llm"]["cache_hits"] == 1


def test_unusable_filter_reply_falls_back_to_scores(mem, server, memory_factory):
    server.responder = lambda request: Reply.text("I cannot help with that.")
    with_llm = mem.retrieve(QUESTION, top_k=4)
    offline = memory_factory("offline")
    offline.add(DOCS)
    without = offline.retrieve(QUESTION, top_k=4)
    assert [h.chunk_id for h in with_llm] == [h.chunk_id for h in without]
    assert with_llm[0].explanation.seed_facts == without[0].explanation.seed_facts
    asked = len(server.requests)
    assert asked == 1
    mem.retrieve(QUESTION, top_k=4)  # the unusable reply was not cached: asked again
    assert len(server.requests) == 2
    assert (mem.stats()["llm"]["cache_hits"], mem.stats()["llm"]["failures"]) == (0, 2)


def test_answer_cites_passages_by_document(mem, server):
    shown: dict[str, int] = {}

    def respond(request: RecordedRequest) -> Reply:
        if kind(request) == "filter":
            return Reply.json({"facts": candidates(request)[:1]})
        shown["pellavon"] = passage_number(request, "Pellavon is a village")
        shown["odile"] = passage_number(request, "Odile Marchetti was born")
        return Reply.text(f"The Askel Valley [{shown['odile']}][{shown['pellavon']}, 99]")

    server.responder = respond
    answer = mem.answer(QUESTION, top_k=3)
    assert answer.text == "The Askel Valley"
    assert answer.citations == (
        Citation(shown["odile"], "odile", answer.hits[shown["odile"] - 1].chunk_id),
        Citation(shown["pellavon"], "pellavon", answer.hits[shown["pellavon"] - 1].chunk_id),
    )
    assert len(answer.hits) == 3
    assert answer.usage["calls"] == 2 and answer.usage["cache_hits"] == 0
    assert [kind(r) for r in server.requests] == ["filter", "answer"]


def test_iterative_retrieval_queries_with_the_models_reasoning(mem, server):
    thought = "Next I need the valley that Pellavon is a village of."

    def respond(request: RecordedRequest) -> Reply:
        k = kind(request)
        if k == "filter":
            return Reply.json({"facts": []})
        if k == "step":
            return Reply.text(thought + "\nextra lines are ignored")
        return Reply.text("The Askel Valley [1]")

    server.responder = respond
    answer = mem.answer(QUESTION, top_k=1, max_steps=2)
    assert [kind(r) for r in server.requests] == ["filter", "step", "filter", "answer"]
    assert thought in server.requests[2].last_user_message  # second retrieval used the thought
    assert [h.doc_id for h in answer.hits] == ["odile", "pellavon"]  # one per retrieval
    assert answer.text == "The Askel Valley"


def test_answer_without_llm_is_a_clear_error(memory_factory):
    m = memory_factory("plain")
    with pytest.raises(GraphMemError, match="answer\\(\\) needs an LLM"):
        m.answer(QUESTION)
