"""LLMExtractor over scripted replies: exact mentions and triples, the Extractor contract, and
how bad, truncated and invalid replies are counted and reported."""

from __future__ import annotations

import json
import logging

import pytest

from graphmem.extract import Extractor
from graphmem.llm import LLMError, LLMExtractor
from graphmem.types import Extraction, Mention, Triple

from .server import RecordedRequest, Reply

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")

P_GOOD = "Odile Marchetti was born in Pellavon. Pellavon lies in the Askel Valley."
P_PROSE = "The Lowmoor Signal released two albums."
P_FENCED = "Brannock Mills was founded by Ivo Teller."
P_BAD_TRIPLES = "Ferrow Bridge spans the river Lune."

# passage -> (NER reply, triple reply)
SCRIPT: dict[str, tuple[str, str]] = {
    P_GOOD: (
        json.dumps(
            {"entities": ["Odile Marchetti", "Pellavon", "Askel Valley", "odile  marchetti", 7]}
        ),
        json.dumps(
            {
                "triples": [
                    ["Odile Marchetti", "born in", "Pellavon"],
                    ["Pellavon", "lies in", "the Askel Valley"],
                    ["Pellavon", "Lies  in", "the Askel Valley"],  # duplicate once normalised
                    ["Odile Marchetti", "born in"],  # two parts
                    ["Pellavon", "is", "PELLAVON"],  # subject == object
                    ["", "in", "Pellavon"],  # empty part
                    [1, 2, 3],  # not strings
                    "Pellavon lies in the Askel Valley",  # not a list
                ]
            }
        ),
    ),
    P_PROSE: ("I'm not sure what you mean.", "unused"),
    P_FENCED: (
        'Entities:\n```json\n{"entities": ["Brannock Mills", "Ivo Teller"]}\n```',
        '{"triples": [["Brannock Mills", "founded by", "Ivo Teller"], ["Ivo Teller", "own',
    ),
    P_BAD_TRIPLES: (
        json.dumps({"entities": ["Ferrow Bridge", "Lune"]}),
        "The bridge spans a river.",
    ),
}


def respond(request: RecordedRequest) -> Reply:
    text = request.last_user_message
    for passage, (ner, triples) in SCRIPT.items():
        if passage in text:
            if "Named entities:" in text:
                truncated = passage == P_FENCED
                return Reply.text(triples, finish_reason="length" if truncated else "stop")
            return Reply.text(ner)
    return Reply.fail(404, f"unscripted passage: {text[:60]}")


@pytest.fixture
def extractor(server, make_client) -> LLMExtractor:
    server.responder = respond
    return LLMExtractor(make_client())


def test_name_and_protocol(extractor):
    assert extractor.name == "llm:fake-model:ie-v1"
    assert isinstance(extractor, Extractor)
    assert extractor.extract_batch([]) == []


def test_exact_extractions_and_report(extractor, server, caplog):
    texts = [P_GOOD, P_PROSE, "   ", P_FENCED, P_BAD_TRIPLES]
    with caplog.at_level(logging.WARNING, logger="graphmem.llm.extractor"):
        got = extractor.extract_batch(texts)

    assert got[0] == Extraction(
        mentions=(
            Mention("odile marchetti", "Odile Marchetti", "LLM"),
            Mention("pellavon", "Pellavon", "LLM"),
            Mention("askel valley", "Askel Valley", "LLM"),
            Mention("the askel valley", "the Askel Valley", "NP"),
        ),
        triples=(
            Triple("odile marchetti", "born in", "pellavon"),
            Triple("pellavon", "lies in", "the askel valley"),
        ),
    )
    endpoint = f"{server.base_url}/chat/completions"
    expected = "is not the JSON object the extraction prompt asks for"
    ner_bad = (
        f"NER reply from {endpoint} (model fake-model) {expected} "
        '({"entities": [...]}): no JSON in "I\'m not sure what you mean."'
    )
    triple_bad = (
        f"triple reply from {endpoint} (model fake-model) {expected} "
        '({"triples": [...]}): no JSON in \'The bridge spans a river.\''
    )
    assert got[1] == Extraction(mentions=(), triples=(), failure=ner_bad)  # unparseable NER
    assert got[2] == Extraction(mentions=(), triples=())  # blank passage: no call at all
    assert got[3] == Extraction(  # fenced NER, truncated triples: complete triple kept
        mentions=(
            Mention("brannock mills", "Brannock Mills", "LLM"),
            Mention("ivo teller", "Ivo Teller", "LLM"),
        ),
        triples=(Triple("brannock mills", "founded by", "ivo teller"),),
    )
    assert got[4] == Extraction(  # unparseable triple reply: NER mentions kept, still failed
        mentions=(Mention("ferrow bridge", "Ferrow Bridge", "LLM"), Mention("lune", "Lune", "LLM")),
        triples=(),
        failure=triple_bad,
    )
    assert [e.failed for e in got] == [False, True, False, False, True]

    report = extractor.report
    assert report.as_dict() == {
        "passages": 5,
        "bad_replies": 2,
        "dropped_triples": 5,
        "dropped_entities": 1,
        "truncated_replies": 1,
        "problems": [
            [1, ner_bad],
            [3, "triple reply truncated; kept 1 complete triples"],
            [4, triple_bad],
        ],
    }
    # the client counted both unusable replies and cached nothing (it has no cache here)
    assert extractor.client.usage.as_dict()["failures"] == 2
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        f"passage 1 ('The Lowmoor Signal released two albums.'): {ner_bad}",
        f"passage 4 ('Ferrow Bridge spans the river Lune.'): {triple_bad}",
    ]

    # 4 NER calls (not the blank passage), 3 triple calls (not after the bad NER reply)
    bodies = [r.body for r in server.requests]
    assert len(bodies) == 7
    formats = sorted(b["response_format"]["json_schema"]["name"] for b in bodies)
    assert formats == ["passage_entities"] * 4 + ["passage_triples"] * 3
    triple_prompt = next(
        r.last_user_message
        for r in server.requests
        if "Named entities:" in r.last_user_message and P_GOOD in r.last_user_message
    )
    assert triple_prompt == (
        f"Passage:\n{P_GOOD}\n\nNamed entities: "
        '{"entities": ["Odile Marchetti", "Pellavon", "Askel Valley"]}'
    )


def test_contract_holds(extractor):
    for ex in extractor.extract_batch([P_GOOD, P_FENCED, P_BAD_TRIPLES]):
        names = [m.name for m in ex.mentions]
        assert len(names) == len(set(names))
        assert len(ex.triples) == len(set(ex.triples))
        for t in ex.triples:
            assert t.subject in names and t.object in names and t.subject != t.object


def test_passage_index_runs_across_batches(extractor):
    extractor.extract_batch([P_GOOD, P_GOOD])
    extractor.extract_batch([P_PROSE])
    assert extractor.report.passages == 3
    ((index, reason),) = extractor.report.problems
    assert index == 2 and reason.startswith("NER reply from ")


def test_server_without_json_schema_still_extracts(server, make_client):
    server.responder = respond
    server.reject_json_schema = True
    extractor = LLMExtractor(make_client())
    (got,) = extractor.extract_batch([P_GOOD])
    assert got.triples == (
        Triple("odile marchetti", "born in", "pellavon"),
        Triple("pellavon", "lies in", "the askel valley"),
    )
    assert extractor.client.supports_response_format is False


def test_transport_failure_propagates(server, make_client):
    server.responder = lambda r: Reply.fail(500, "overloaded")
    extractor = LLMExtractor(make_client(max_retries=1))
    with pytest.raises(LLMError, match="giving up after 2 attempts"):
        extractor.extract_batch([P_GOOD])


def test_non_string_input_is_named(extractor):
    from graphmem.errors import InputError

    with pytest.raises(InputError, match=r"^extract_batch\(\) item 1: expected str, got int$"):
        extractor.extract_batch(["fine", 3])  # type: ignore[list-item]
