"""The LLM contradiction judge against the scripted OpenAI-compatible server, with the real
spaCy extractor and embedder: a paraphrase the rules miss is superseded with the judge and not
without, deleting or replacing the newer document gives what a fresh store would hold, unusable
replies leave exactly what an offline add stores, calls are bounded and cached."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path

import pytest
from llm.server import FakeOpenAIServer, RecordedRequest, Reply
from test_memory import dump

from graphmem import Document
from graphmem.config import MemoryConfig, TemporalConfig
from graphmem.llm.judge import read_contradicted
from graphmem.memory import STORE_FILE
from graphmem.store.check import check_store

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")

PARIS = Document("Marta Quill lives in Paris.", id="paris", time="2019-03-01")
HOBBY = Document("Marta Quill paints harbours in Lisbon.", id="hobby", time="2020-01-01")
APARTMENT = Document("Marta Quill has an apartment in Berlin now.", id="flat", time="2021-06-01")
MUNICH = Document("Marta Quill has an apartment in Munich now.", id="flat", time="2021-06-01")
HOLDING = {"live in Paris": False, "paint harbours": True, "paint in Lisbon": True,
           "have apartment in Berlin": True}
FAST = {"model": "fake-model", "api_key": "test-key", "max_retries": 2, "timeout_s": 5.0,
        "backoff_base_s": 0.001, "backoff_max_s": 0.005}


def judged(request: RecordedRequest) -> tuple[list[str], list[list[str]]]:
    """The new fact and the numbered earlier facts of a judge request."""
    text = request.last_user_message
    new = json.loads(re.search(r"^New fact: (.*)$", text, re.MULTILINE).group(1))
    earlier = text.split("Earlier facts:\n", 1)[1]
    numbered = re.finditer(r"^\d+\. (.*)$", earlier, re.MULTILINE)
    return new, [json.loads(m.group(1)) for m in numbered]


def is_judge(request: RecordedRequest) -> bool:
    fmt = request.body.get("response_format") or {}
    return fmt.get("json_schema", {}).get("name") == "contradicted_facts"


def residence_judge(request: RecordedRequest) -> Reply:
    """A model that knows an apartment is where one lives (and, as the recognition filter at
    retrieval, keeps every candidate fact)."""
    if not is_judge(request):
        listed = request.last_user_message.split("Candidate facts: ", 1)[1]
        return Reply.json({"facts": json.loads(listed)["facts"]})
    new, earlier = judged(request)
    if "apartment" not in new[1]:
        return Reply.json({"contradicted": []})
    return Reply.json({"contradicted": [
        n for n, f in enumerate(earlier, 1) if f[1] in ("live in", "have apartment in")
    ]})


@pytest.fixture
def server():
    with FakeOpenAIServer(responder=residence_judge) as s:
        yield s


@pytest.fixture
def llm_memory(memory_factory, server, tmp_path):
    """``llm_memory(name, cache="llm-cache", **temporal)``: a memory whose client talks to the
    scripted server and caches in ``tmp_path / cache`` (None: no cache)."""
    from graphmem.llm import LLMClient, LLMConfig

    clients = []

    def make(name: str, cache: str | None = "llm-cache", **temporal):
        config = dataclasses.replace(LLMConfig(), **FAST, base_url=server.base_url)
        client = LLMClient(config, tmp_path / f"{cache}.sqlite" if cache else None)
        clients.append(client)
        memory_config = MemoryConfig(temporal=TemporalConfig(**temporal))
        return memory_factory(name, config=memory_config, llm=client)

    yield make
    for c in clients:
        c.close()


def facts(mem) -> list[tuple]:
    return [(f.predicate, f.object, f.holds, f.valid_from, f.valid_until, f.superseded_by)
            for f in mem.facts_about("Marta Quill")]


def holding(mem) -> dict[str, bool]:
    return {f"{f.predicate} {f.object}": f.holds for f in mem.facts_about("Marta Quill")}


def add_each(mem, *docs) -> None:
    for d in docs:
        mem.add(d)


def judge_calls(server) -> int:
    return sum(is_judge(r) for r in server.requests)


def test_paraphrase_is_superseded_with_the_judge_and_not_without(llm_memory, memory_factory,
                                                                 server):
    mem = llm_memory("judged")
    add_each(mem, PARIS, HOBBY, APARTMENT)
    assert judge_calls(server) == 3  # one per new fact with earlier ones: 2 hobby, 1 apartment
    assert holding(mem) == HOLDING
    paris = next(f for f in mem.facts_about("Marta Quill") if f.object == "Paris")
    assert paris.superseded_by == (("Marta Quill", "have apartment in", "Berlin"),)
    assert paris.valid_until is not None and paris.valid_until.year == 2021
    assert mem.stats()["fact_conflicts"] == 1
    assert mem.retrieve("Where does Marta Quill live?", top_k=1)[0].doc_id == "flat"

    offline = memory_factory("offline")
    add_each(offline, PARIS, HOBBY, APARTMENT)
    assert all(holding(offline).values())
    off = llm_memory("judge-off", cache=None, llm_judge=False)
    add_each(off, PARIS, HOBBY, APARTMENT)
    assert judge_calls(server) == 3  # llm_judge=False asks nothing
    assert all(holding(off).values())
    assert dump(off) == dump(offline)


def test_deleting_the_newer_document_restores_the_older_fact(llm_memory):
    mem = llm_memory("judged")
    add_each(mem, PARIS, HOBBY, APARTMENT)
    before = dump(mem)
    assert len(before["fact_conflicts"]) == 1
    mem.delete("flat")
    fresh = llm_memory("fresh")
    add_each(fresh, PARIS, HOBBY)
    assert dump(mem) == dump(fresh) and not dump(mem)["fact_conflicts"]
    assert facts(mem) == facts(fresh)
    assert holding(mem)["live in Paris"] is True
    assert check_store(mem.path / STORE_FILE).ok


def test_deleting_the_older_document_removes_its_judgements(llm_memory):
    mem = llm_memory("judged")
    add_each(mem, PARIS, HOBBY, APARTMENT)
    mem.delete("paris")
    assert not dump(mem)["fact_conflicts"]
    assert check_store(mem.path / STORE_FILE).ok
    mem.delete_namespace("default")
    assert mem.stats()["fact_conflicts"] == 0


def test_update_equals_delete_and_add_and_a_fresh_store(llm_memory, server):
    updated = llm_memory("updated")
    add_each(updated, PARIS, HOBBY, APARTMENT)
    asked = len(server.requests)
    updated.update("flat", MUNICH)
    # the replaced version's fact is not shown to the model as an earlier fact
    shown = [f for r in server.requests[asked:] for f in judged(r)[1]]
    assert shown and ["Marta Quill", "have apartment in", "Berlin"] not in shown
    fresh = llm_memory("fresh")
    add_each(fresh, PARIS, HOBBY, MUNICH)
    assert dump(updated) == dump(fresh)
    assert facts(updated) == facts(fresh)
    paris = next(f for f in updated.facts_about("Marta Quill") if f.object == "Paris")
    assert paris.superseded_by == (("Marta Quill", "have apartment in", "Munich"),)


GARBAGE = {
    "not json": Reply.text("Paris is no longer true, I think."),
    "out of range": Reply.json({"contradicted": [1, 7]}),
    "list of strings": Reply.json(["1", "3"]),
    "strings inside": Reply.json({"contradicted": ["1"]}),
    "cut short": Reply.text('{"contradicted": [1, '),
    "http 500": Reply.fail(500, "model crashed"),
}


@pytest.mark.parametrize("reply", GARBAGE.values(), ids=GARBAGE.keys())
def test_unusable_replies_fall_back_to_the_offline_rules(reply, llm_memory, memory_factory,
                                                         server):
    mem = llm_memory("judged", cache=None)
    add_each(mem, PARIS, HOBBY)
    server.responder = lambda request: reply
    assert mem.add(APARTMENT) == ["flat"]
    assert judge_calls(server) >= 2
    offline = memory_factory("offline")
    add_each(offline, PARIS, HOBBY, APARTMENT)
    assert dump(mem) == dump(offline) and not dump(mem)["fact_conflicts"]
    assert facts(mem) == facts(offline)
    assert mem.stats()["fact_conflicts"] == 0


def test_calls_are_bounded_per_add(llm_memory, server):
    many = Document("Marta Quill has an apartment in Berlin now. Marta Quill teaches piano. "
                    "Marta Quill owns a boat in Hamburg.", id="many", time="2022-01-01")
    mem = llm_memory("bounded", max_judge_calls=2)
    add_each(mem, PARIS, HOBBY)
    asked = judge_calls(server)
    mem.add(many)
    assert judge_calls(server) - asked == 2
    unbounded = llm_memory("unbounded", cache=None)
    add_each(unbounded, PARIS, HOBBY)
    asked = judge_calls(server)
    unbounded.add(many)
    assert judge_calls(server) - asked > 2
    asked = len(server.requests)
    silent = llm_memory("silent", cache=None, max_judge_calls=0)
    add_each(silent, PARIS, HOBBY, many)
    assert len(server.requests) == asked
    for request in server.requests:
        assert len(judged(request)[1]) <= 20


def test_candidates_are_the_nearest_earlier_facts(llm_memory, server):
    mem = llm_memory("few", judge_candidates=1)
    add_each(mem, PARIS, HOBBY, APARTMENT)
    last = server.requests[-1]
    new, earlier = judged(last)
    assert new == ["Marta Quill", "have apartment in", "Berlin"]
    assert earlier == [["Marta Quill", "live in", "Paris"]]
    assert holding(mem)["live in Paris"] is False


def test_a_second_identical_build_is_served_from_the_cache(llm_memory, server):
    first = llm_memory("first")
    add_each(first, PARIS, HOBBY, APARTMENT)
    asked = len(server.requests)
    second = llm_memory("second")  # a fresh store, the same cache file
    add_each(second, PARIS, HOBBY, APARTMENT)
    assert len(server.requests) == asked
    assert second.stats()["llm"]["cache_hits"] == asked
    assert dump(second) == dump(first)


def test_read_contradicted_is_strict():
    assert read_contradicted('{"contradicted": [2, 1, 2]}', 3) == (0, 1)
    assert read_contradicted('```json\n{"contradicted": []}\n```', 3) == ()
    for bad in ('{"contradicted": [0]}', '{"contradicted": [4]}', '{"contradicted": [true]}',
                '{"contradicted": [1.0]}', '{"contradicted": "1"}', '[1, 2]', '{"other": [1]}',
                '{"contradicted": [1, ', "", "none of them", '__import__("os")'):
        assert isinstance(read_contradicted(bad, 3), str), bad


def test_the_store_file_declares_the_conflict_references(llm_memory):
    mem = llm_memory("judged")
    add_each(mem, PARIS, APARTMENT)
    c = sqlite3.connect(Path(mem.path) / STORE_FILE)
    refs = {(r[3], r[2]) for r in c.execute("PRAGMA foreign_key_list(fact_conflicts)")}
    c.close()
    assert refs == {("older", "facts"), ("newer", "facts"), ("chunk_id", "chunks")}
