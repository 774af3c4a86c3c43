"""Prompts and response schemas for LLM extraction (HippoRAG's two steps: NER, then triples),
and for the contradiction judge of :mod:`graphmem.graph.conflicts`.

Each prompt is a system instruction, one worked example as a user/assistant turn (invented
text, so no benchmark passage leaks into the prompt), then the passage. Replies are requested as
JSON through ``response_format`` with a JSON schema; the schemas stay within the subset every
structured-output implementation accepts (no length or count constraints), and the extractor
validates shapes itself. Changing any text here changes what is extracted: bump
:data:`IE_PROMPT_VERSION`, which is part of the extractor's name and so of the store's
fingerprint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CONTRADICTION_RESPONSE_FORMAT",
    "IE_PROMPT_VERSION",
    "JUDGE_PROMPT_VERSION",
    "NER_RESPONSE_FORMAT",
    "TRIPLE_RESPONSE_FORMAT",
    "contradiction_messages",
    "ner_messages",
    "triple_messages",
]

IE_PROMPT_VERSION = "ie-v1"
# The judge's prompt version, logged with its judgements (the cache keys on the prompt text).
JUDGE_PROMPT_VERSION = "judge-v1"

_STRING_LIST = {"type": "array", "items": {"type": "string"}}

NER_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "passage_entities",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"entities": _STRING_LIST},
            "required": ["entities"],
            "additionalProperties": False,
        },
    },
}

TRIPLE_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "passage_triples",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"triples": {"type": "array", "items": _STRING_LIST}},
            "required": ["triples"],
            "additionalProperties": False,
        },
    },
}

_NER_SYSTEM = """\
You find the named entities in a passage so that they can become nodes of a knowledge graph.

List every specific, nameable thing the passage mentions: people, organisations, places, \
buildings, works (books, films, songs, paintings), events, products, species, dates, years and \
quantities that identify something. Skip generic words such as "the town" or "a painter".
Write each entity exactly as it appears in the passage and list it once.

Answer with JSON only, in the form {"entities": ["...", "..."]}."""

_EXAMPLE_PASSAGE = """\
Harrow Point Lighthouse
Harrow Point Lighthouse stands on the northern cape of Vessel Island. It was designed by the \
engineer Ottilie Branck and first lit in 1874. Her brother, the painter Jonas Branck, shows the \
tower in his canvas "Lamp Over Grey Water", which hangs in the Corrin Gallery in Saltmere."""

_EXAMPLE_ENTITIES = [
    "Harrow Point Lighthouse",
    "Vessel Island",
    "Ottilie Branck",
    "1874",
    "Jonas Branck",
    "Lamp Over Grey Water",
    "Corrin Gallery",
    "Saltmere",
]

_EXAMPLE_TRIPLES = [
    ["Harrow Point Lighthouse", "located on", "Vessel Island"],
    ["Harrow Point Lighthouse", "designed by", "Ottilie Branck"],
    ["Ottilie Branck", "occupation", "engineer"],
    ["Harrow Point Lighthouse", "first lit in", "1874"],
    ["Jonas Branck", "sibling of", "Ottilie Branck"],
    ["Jonas Branck", "occupation", "painter"],
    ["Jonas Branck", "painted", "Lamp Over Grey Water"],
    ["Lamp Over Grey Water", "depicts", "Harrow Point Lighthouse"],
    ["Lamp Over Grey Water", "held by", "Corrin Gallery"],
    ["Corrin Gallery", "located in", "Saltmere"],
]

_TRIPLE_SYSTEM = """\
You turn a passage into facts for a knowledge graph. Each fact is a triple \
[subject, predicate, object].

Rules:
- Every triple should contain at least one of the listed named entities, ideally two.
- Subjects and objects are short names, not clauses. Replace pronouns ("he", "it", "the \
company") with the name they refer to.
- Predicates are short relations in lower case, such as "born in", "founded", "member of".
- Keep only what the passage states; add no outside knowledge.
- One fact per triple; split sentences that state several.

Answer with JSON only, in the form {"triples": [["subject", "predicate", "object"], ...]}."""


def _passage_block(passage: str) -> str:
    return f"Passage:\n{passage.strip()}"


def _triple_user(passage: str, entities: Sequence[str]) -> str:
    listed = json.dumps({"entities": list(entities)}, ensure_ascii=False)
    return f"{_passage_block(passage)}\n\nNamed entities: {listed}"


def ner_messages(passage: str) -> list[dict[str, str]]:
    """Chat messages asking for the named entities of ``passage`` as ``{"entities": [...]}``."""
    return [
        {"role": "system", "content": _NER_SYSTEM},
        {"role": "user", "content": _passage_block(_EXAMPLE_PASSAGE)},
        {"role": "assistant", "content": json.dumps({"entities": _EXAMPLE_ENTITIES})},
        {"role": "user", "content": _passage_block(passage)},
    ]


def triple_messages(passage: str, entities: Sequence[str]) -> list[dict[str, str]]:
    """Chat messages asking for the triples of ``passage``, given its named ``entities``, as
    ``{"triples": [[s, p, o], ...]}``."""
    return [
        {"role": "system", "content": _TRIPLE_SYSTEM},
        {"role": "user", "content": _triple_user(_EXAMPLE_PASSAGE, _EXAMPLE_ENTITIES)},
        {"role": "assistant", "content": json.dumps({"triples": _EXAMPLE_TRIPLES})},
        {"role": "user", "content": _triple_user(passage, entities)},
    ]


CONTRADICTION_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "contradicted_facts",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"contradicted": {"type": "array", "items": {"type": "integer"}}},
            "required": ["contradicted"],
            "additionalProperties": False,
        },
    },
}

_JUDGE_SYSTEM = """\
You keep a memory of facts up to date. A passage has just been read. You are shown one fact \
taken from it and numbered facts about the same subject that were stored before.

List the earlier facts that can no longer be true if the passage is true, because the passage \
replaces them: a new home, employer, partner, leader, name or other value that holds one at a \
time replaces the old one, however either is worded. Facts that can hold together with the \
passage (a past event, a hobby, a second attribute of another kind) are not contradicted. \
When unsure, leave a fact out.

Answer with JSON only, in the form {"contradicted": [numbers of earlier facts]}, and \
{"contradicted": []} when the passage contradicts none of them."""

_JUDGE_EXAMPLE = (
    "Tomas Reyl now teaches at the Ostmark Conservatory.",
    ["Tomas Reyl", "teach at", "Ostmark Conservatory"],
    [
        ["Tomas Reyl", "professor at", "Linden Academy"],
        ["Tomas Reyl", "born in", "Fallow"],
        ["Tomas Reyl", "play", "oboe"],
    ],
)


def _judge_user(passage: str, fact: Sequence[str], earlier: Sequence[Sequence[str]]) -> str:
    listed = "\n".join(
        f"{n}. {json.dumps(list(f), ensure_ascii=False)}" for n, f in enumerate(earlier, 1)
    )
    new = json.dumps(list(fact), ensure_ascii=False)
    return f"{_passage_block(passage)}\n\nNew fact: {new}\n\nEarlier facts:\n{listed}"


def contradiction_messages(
    passage: str, fact: Sequence[str], earlier: Sequence[Sequence[str]]
) -> list[dict[str, str]]:
    """Chat messages asking which of the ``earlier`` facts (subject, predicate, object; shown
    numbered from 1) the ``passage``, which states ``fact``, contradicts, as
    ``{"contradicted": [numbers]}``."""
    return [
        {"role": "system", "content": _JUDGE_SYSTEM},
        {"role": "user", "content": _judge_user(*_JUDGE_EXAMPLE)},
        {"role": "assistant", "content": json.dumps({"contradicted": [1]})},
        {"role": "user", "content": _judge_user(passage, fact, earlier)},
    ]
