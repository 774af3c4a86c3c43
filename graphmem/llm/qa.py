"""Query-time LLM steps over any retriever: HippoRAG 2's recognition filter, answers with
citations, and optional IRCoT-style iterative retrieval.

The functions take a client and plain callables, not a :class:`graphmem.Memory`, so the facade
stays a thin wiring layer and these steps can be tested against any retriever.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from graphmem.llm.answer import (
    FILTER_RESPONSE_FORMAT,
    build_answer_prompt,
    build_filter_prompt,
    parse_citations,
    parse_filter,
)
from graphmem.llm.client import ChatRequest, LLMClient
from graphmem.llm.errors import ParseError
from graphmem.types import Answer, Citation, Hit

log = logging.getLogger(__name__)

__all__ = ["answer_question", "build_step_prompt", "next_thought", "recognize_facts"]

FactTuple = tuple[str, str, str]

_MARKERS = re.compile(r"\s*\[(?:passages?\s*)?\d+(?:\s*[,\-–]\s*\d+)*\]", re.IGNORECASE)
_FINAL = re.compile(r"so the answer is\s*:?", re.IGNORECASE)

_STEP_SYSTEM = """\
You answer a question that may need several steps, using only the numbered passages.
Write ONE next sentence of reasoning that either states a fact from the passages which brings \
you closer to the answer, or, when the passages already give the answer, write \
"So the answer is: <answer>". Do not write anything else."""


def recognize_facts(
    client: LLMClient, questions: Sequence[str], candidates: Sequence[Sequence[FactTuple]]
) -> list[list[int] | None]:
    """For each question, the indices of its candidate facts the model keeps (at most four).

    ``None`` for a question whose reply could not be parsed: the caller then keeps facts by
    score, as without an LLM. Such a reply is not cached (and counts as a failure in the
    client's usage), so the same question asks the model again. Questions without candidates
    make no call and keep nothing.
    """
    asks = [i for i, c in enumerate(candidates) if c]
    replies = client.complete_many(
        [
            ChatRequest(
                build_filter_prompt(questions[i], candidates[i]),
                FILTER_RESPONSE_FORMAT,
                check=_filter_check(candidates[i]),
            )
            for i in asks
        ]
    )
    kept: list[list[int] | None] = [[] for _ in questions]
    for i, reply in zip(asks, replies):
        if reply.rejected is not None:
            log.warning(
                "recognition filter reply for question %d from %s unusable (%s); keeping by score",
                i,
                client.endpoint,
                reply.rejected,
            )
            kept[i] = None
        else:
            kept[i] = parse_filter(reply.text, candidates[i])
    return kept


def _filter_check(candidates: Sequence[FactTuple]) -> Callable[[str], str | None]:
    """The request check of a filter reply: why :func:`parse_filter` cannot read it, or None."""

    def check(text: str) -> str | None:
        try:
            parse_filter(text, candidates)
        except ParseError as exc:
            return str(exc)
        return None

    return check


def build_step_prompt(
    question: str, passages: Sequence[str], thoughts: Sequence[str]
) -> list[dict[str, str]]:
    """Messages asking for the next reasoning sentence (IRCoT): the passages, the question and
    the sentences so far."""
    listing = "\n\n".join(f"[{i + 1}] {p.strip()}" for i, p in enumerate(passages))
    so_far = " ".join(thoughts) if thoughts else "(none yet)"
    return [
        {"role": "system", "content": _STEP_SYSTEM},
        {
            "role": "user",
            "content": f"Passages:\n{listing}\n\nQuestion: {question.strip()}\n"
            f"Reasoning so far: {so_far}\nNext sentence:",
        },
    ]


def next_thought(reply: str) -> tuple[str, bool]:
    """The first sentence of a step reply and whether it gives the final answer."""
    text = reply.strip().splitlines()[0].strip() if reply.strip() else ""
    return text, bool(_FINAL.search(text))


def answer_question(
    client: LLMClient,
    question: str,
    retrieve: Callable[[str], list[Hit]],
    *,
    max_steps: int = 1,
) -> Answer:
    """Retrieve for ``question``, then ask the model for a short answer citing the passages.

    With ``max_steps > 1``, IRCoT: after each retrieval the model writes one reasoning sentence;
    unless it already states the answer, that sentence is the next retrieval query and new
    passages join the pool, for at most ``max_steps`` retrievals in all.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    before = client.usage.as_dict()
    pool: dict[str, Hit] = {h.chunk_id: h for h in retrieve(question)}
    thoughts: list[str] = []
    for _ in range(max_steps - 1):
        reply = client.complete(build_step_prompt(question, [h.text for h in pool.values()], thoughts))
        thought, final = next_thought(reply.text)
        if final or not thought:
            break
        thoughts.append(thought)
        for h in retrieve(thought):
            pool.setdefault(h.chunk_id, h)
    hits = tuple(pool.values())
    reply = client.complete(build_answer_prompt(question, [h.text for h in hits]))
    cited = parse_citations(reply.text, len(hits))
    after = client.usage.as_dict()
    return Answer(
        text=_MARKERS.sub("", reply.text).strip(),
        citations=tuple(Citation(i + 1, hits[i].doc_id, hits[i].chunk_id) for i in cited),
        hits=hits,
        usage={k: after[k] - before.get(k, 0) for k in after},
    )
