"""Asking a model which earlier facts a passage contradicts, and reading its answer strictly.

One request per (passage, new fact): the passage, the fact read from it and the numbered earlier
facts about the same subject (prompt in :mod:`graphmem.llm.prompts`). The reply must be the
JSON object ``{"contradicted": [numbers]}`` with every number one of those shown; anything else
(no JSON, a reply cut short, another shape, a number out of range, a string or a boolean where a
number belongs) is no judgement at all for that request, never a partial one. Replies are only
parsed with :mod:`json` (through :func:`graphmem.llm.parse.find_json`), never evaluated.

Each request carries the same test as its :data:`~graphmem.llm.request.ReplyCheck`, so an
unusable reply is neither cached nor answered from the cache later.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from graphmem.llm.client import ChatRequest
from graphmem.llm.errors import preview
from graphmem.llm.parse import find_json, json_problem
from graphmem.llm.prompts import CONTRADICTION_RESPONSE_FORMAT, contradiction_messages

__all__ = ["KEY", "judge_request", "read_contradicted"]

#: The key of the reply object.
KEY = "contradicted"


def read_contradicted(text: str, shown: int) -> tuple[int, ...] | str:
    """The positions (0-based, ascending, each once) of the earlier facts a reply says are
    contradicted, when ``shown`` facts were numbered 1..``shown``; or, for an unusable reply,
    why it is unusable in a few words."""
    found = find_json(text)
    if found is None:
        return json_problem(text)
    if found.repaired:
        return f"the reply was cut short: {preview(text, 80)!r}"
    value = found.value
    if not isinstance(value, dict) or KEY not in value:
        return f'expected a JSON object {{"{KEY}": [...]}}, got {preview(text, 80)!r}'
    items = value[KEY]
    if not isinstance(items, list):
        return f'"{KEY}" is {type(items).__name__}, not a list of numbers'
    out: set[int] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            return f'"{KEY}" holds {item!r}, not a fact number'
        if not 1 <= item <= shown:
            return f'"{KEY}" holds {item}, but only facts 1 to {shown} were shown'
        out.add(item - 1)
    return tuple(sorted(out))


def _check(shown: int, text: str) -> str | None:
    read = read_contradicted(text, shown)
    return read if isinstance(read, str) else None


def judge_request(
    passage: str, fact: Sequence[str], earlier: Sequence[Sequence[str]]
) -> ChatRequest:
    """The request asking whether ``passage`` (stating ``fact``) contradicts any of ``earlier``
    (each ``(subject, predicate, object)`` as the model should read them)."""
    return ChatRequest(
        contradiction_messages(passage, fact, earlier),
        CONTRADICTION_RESPONSE_FORMAT,
        check=functools.partial(_check, len(earlier)),
    )
