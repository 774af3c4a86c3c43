"""Prompt builders and reply parsers for the two query-time LLM steps. Pure functions.

* **Recognition filter** (HippoRAG 2's "recognition memory"): the facts linked to a query by
  embedding similarity are shown to the model, which keeps the ones that help answer the
  question (at most :data:`MAX_FILTERED_FACTS`). :func:`build_filter_prompt` and
  :func:`parse_filter`; the reply is matched back to the candidates so an invented or edited
  fact can never enter retrieval.
* **Answering** with citations: :func:`build_answer_prompt` numbers the retrieved passages and
  asks for a short answer citing them as ``[n]``; :func:`parse_citations` reads the numbers back.

Nothing here calls a model or imports :class:`graphmem.Memory`; callers send the messages with
:class:`~graphmem.llm.client.LLMClient`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from graphmem.errors import InputError
from graphmem.llm.errors import ParseError
from graphmem.llm.parse import find_json
from graphmem.text import normalize_name

__all__ = [
    "FILTER_RESPONSE_FORMAT",
    "MAX_FILTERED_FACTS",
    "build_answer_prompt",
    "build_filter_prompt",
    "parse_citations",
    "parse_filter",
]

FactTuple = tuple[str, str, str]

#: HippoRAG 2 keeps at most four facts after the recognition filter.
MAX_FILTERED_FACTS = 4

FILTER_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "relevant_facts",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "facts": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}
            },
            "required": ["facts"],
            "additionalProperties": False,
        },
    },
}

_ANSWER_SYSTEM = """\
Answer the question using only the numbered passages below.
Give the shortest complete answer (usually a name, a date, a number or a short phrase, not a \
sentence), then the numbers of the passages that support it in square brackets, for example: \
Marrowfield [2][5]
If the passages do not contain the answer, reply: unknown"""

_FILTER_SYSTEM = f"""\
You are the recognition step of a retrieval system. You get a question and candidate facts \
[subject, predicate, object] that were retrieved for it by similarity, some of them irrelevant.
Keep only the facts that help answer the question, at most {MAX_FILTERED_FACTS}, most useful \
first. Copy each kept fact exactly as given; never change a fact or add a new one. If no fact \
helps, keep none.

Answer with JSON only, in the form {{"facts": [["subject", "predicate", "object"], ...]}}."""

_FILTER_EXAMPLE_QUESTION = (
    "Which river flows through the birthplace of the composer of Tidewater Hymns?"
)
_FILTER_EXAMPLE_FACTS = [
    ["tidewater hymns", "composed by", "ilse varga"],
    ["tidewater hymns", "premiered in", "1931"],
    ["ilse varga", "born in", "kolmar"],
    ["river aske", "flows into", "lake morrow"],
    ["kolmar", "lies on", "river aske"],
]
_FILTER_EXAMPLE_KEPT = [
    ["tidewater hymns", "composed by", "ilse varga"],
    ["ilse varga", "born in", "kolmar"],
    ["kolmar", "lies on", "river aske"],
]

# "[3]", "[1, 4]", "[2-3]", "[Passage 2]", "[passages 1; 2]"
_CITATION_RE = re.compile(
    r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;\-–]\s*(?:passages?\s*)?\d+)*)\s*\]", re.IGNORECASE
)
_CITED_RE = re.compile(r"(\d+)(?:\s*[\-–]\s*(\d+))?")


def _check_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"question must be a non-empty string, got {question!r:.60}")
    return question.strip()


def build_answer_prompt(question: str, passages: Sequence[str]) -> list[dict[str, str]]:
    """Chat messages asking for a short answer to ``question`` grounded in ``passages``, which
    are shown numbered from 1 and cited as ``[n]``.

    Raises:
        InputError: ``question`` is empty or a passage is not a string.
    """
    question = _check_question(question)
    blocks = []
    for i, passage in enumerate(passages):
        if not isinstance(passage, str):
            raise InputError(f"expected str, got {type(passage).__name__}", source=f"passages[{i}]")
        blocks.append(f"[{i + 1}] {passage.strip()}")
    listing = "\n\n".join(blocks) if blocks else "(no passages)"
    return [
        {"role": "system", "content": _ANSWER_SYSTEM},
        {"role": "user", "content": f"Passages:\n{listing}\n\nQuestion: {question}"},
    ]


def parse_citations(text: str, n_passages: int) -> list[int]:
    """0-based indices of the passages cited in ``text`` as ``[n]`` (also ``[1, 3]``, ``[2-4]``,
    ``[Passage 2]``), in order of first citation, without repeats; numbers outside
    ``1..n_passages`` are ignored.

    >>> parse_citations("Marrowfield [2][5], see also [2, 1].", 4)
    [1, 0]
    """
    cited: list[int] = []
    for group in _CITATION_RE.finditer(text):
        for m in _CITED_RE.finditer(group.group(1)):
            first = int(m.group(1))
            last = int(m.group(2)) if m.group(2) else first
            if last < first or last - first > n_passages:
                last = first  # a reversed or absurd range: keep its start only
            for number in range(first, last + 1):
                if 1 <= number <= n_passages and number - 1 not in cited:
                    cited.append(number - 1)
    return cited


def _check_facts(facts: Sequence[Sequence[str]], source: str) -> list[FactTuple]:
    out: list[FactTuple] = []
    for i, fact in enumerate(facts):
        if (
            isinstance(fact, (str, bytes))
            or not isinstance(fact, Sequence)
            or len(fact) != 3
            or not all(isinstance(part, str) for part in fact)
        ):
            raise InputError(
                f"a fact must be (subject, predicate, object) strings, got {fact!r:.80}",
                source=f"{source}[{i}]",
            )
        out.append((fact[0], fact[1], fact[2]))
    return out


def build_filter_prompt(question: str, facts: Sequence[FactTuple]) -> list[dict[str, str]]:
    """Chat messages asking which of ``facts`` help answer ``question`` (at most
    :data:`MAX_FILTERED_FACTS`), as ``{"facts": [[s, p, o], ...]}``; pair with
    :data:`FILTER_RESPONSE_FORMAT`.

    Raises:
        InputError: ``question`` is empty or a fact is not three strings.
    """
    question = _check_question(question)
    checked = _check_facts(facts, "facts")

    def user(q: str, candidates: Sequence[Sequence[str]]) -> str:
        listed = json.dumps({"facts": [list(c) for c in candidates]}, ensure_ascii=False)
        return f"Question: {q}\n\nCandidate facts: {listed}"

    return [
        {"role": "system", "content": _FILTER_SYSTEM},
        {"role": "user", "content": user(_FILTER_EXAMPLE_QUESTION, _FILTER_EXAMPLE_FACTS)},
        {"role": "assistant", "content": json.dumps({"facts": _FILTER_EXAMPLE_KEPT})},
        {"role": "user", "content": user(question, checked)},
    ]


def _as_fact(item: Any) -> FactTuple | None:
    """A reply item as a fact: a 3-list of strings, or an object with subject/predicate/object."""
    if isinstance(item, Mapping):
        item = [item.get("subject"), item.get("predicate"), item.get("object")]
    if isinstance(item, list) and len(item) == 3 and all(isinstance(p, str) for p in item):
        return (item[0], item[1], item[2])
    return None


def _normalized(fact: Sequence[str]) -> FactTuple:
    return (normalize_name(fact[0]), normalize_name(fact[1]), normalize_name(fact[2]))


def parse_filter(
    text: str, candidates: Sequence[FactTuple], *, max_keep: int = MAX_FILTERED_FACTS
) -> list[int]:
    """Indices into ``candidates`` of the facts the model kept, in the model's order.

    A reply fact matches a candidate exactly, else after :func:`graphmem.text.normalize_name`
    of each part (case, spacing, edge punctuation). Facts matching no candidate (invented or
    edited by the model) and repeats are ignored; at most ``max_keep`` indices are returned.
    An empty list means the model kept nothing.

    Raises:
        ParseError: the reply holds no JSON, or no ``facts`` list (callers typically fall back
            to keeping facts by score).
        InputError: a candidate is not three strings, or ``max_keep < 1``.
    """
    if max_keep < 1:
        raise InputError(f"max_keep must be >= 1, got {max_keep}")
    checked = _check_facts(candidates, "candidates")
    found = find_json(text)
    if found is None:
        raise ParseError("filter reply has no JSON", text=text or "<empty>")
    items = found.value.get("facts") if isinstance(found.value, dict) else found.value
    if not isinstance(items, list):
        raise ParseError("filter reply has no 'facts' list", text=text)
    exact: dict[FactTuple, int] = {}
    loose: dict[FactTuple, int] = {}
    for index, fact in enumerate(checked):
        exact.setdefault(fact, index)
        loose.setdefault(_normalized(fact), index)
    kept: list[int] = []
    for item in items:
        said = _as_fact(item)
        if said is None:
            continue
        match = exact.get(said)
        if match is None:
            match = loose.get(_normalized(said))
        if match is None or match in kept:
            continue
        kept.append(match)
        if len(kept) == max_keep:
            break
    return kept
