"""LLM extraction through any OpenAI-compatible server: HippoRAG's NER-then-triples scheme.

For each passage the model is asked twice (prompts in :mod:`graphmem.llm.prompts`): first for
its named entities, then for (subject, predicate, object) triples given the passage and those
entities. A batch runs all its NER calls through :meth:`LLMClient.complete_many`, then all its
triple calls, so up to ``max_concurrency`` requests are in flight and cached replies cost
nothing.

Mapping to :class:`~graphmem.types.Extraction`:

* names and predicates go through :func:`graphmem.text.normalize_name`; a mention's label is
  the surface form first seen, whitespace collapsed;
* entities from the NER step get ``kind = "LLM"`` (:data:`NAMED_KIND`): named entities without
  a finer type, which query linking may match by name. Triple arguments the NER step missed
  ("engineer", "a large harbour") get ``kind = "NP"`` (:data:`PHRASE_KIND`), like the spaCy
  extractor's noun phrases, so they are reached through facts only;
* a triple is kept when it is exactly three non-empty strings whose subject and object differ
  after normalisation; anything else is dropped and counted. Duplicates collapse.

Bad replies never abort a batch, and they never pass for results: a NER reply with no usable
JSON gives a *failed* Extraction for that passage (no mentions, ``failure`` saying what arrived
and what was expected; the triple call is skipped); a triple reply with no usable JSON gives a
failed Extraction that keeps the NER mentions. Each request carries a check, so the client
neither caches such a reply nor answers from an unusable cached one, and counts it in its
usage's ``failures``; the extraction cache does not keep failed extractions either, so once
the server is fixed the passage is asked about again. Bad replies are also counted in
:attr:`LLMExtractor.report` with the passage's index and logged with a preview of the passage.
Transport failures (server down, retries spent, a body that is not a chat completion) are not
bad replies: :class:`~graphmem.llm.errors.LLMError` propagates, so a memory build fails as a
whole instead of storing a silently empty graph.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphmem.errors import InputError
from graphmem.llm.client import ChatRequest, Completion, LLMClient
from graphmem.llm.errors import preview
from graphmem.llm.parse import find_json, json_problem
from graphmem.llm.prompts import (
    IE_PROMPT_VERSION,
    NER_RESPONSE_FORMAT,
    TRIPLE_RESPONSE_FORMAT,
    ner_messages,
    triple_messages,
)
from graphmem.text import normalize_name
from graphmem.types import Extraction, Mention, Triple

__all__ = ["NAMED_KIND", "PHRASE_KIND", "ExtractionReport", "LLMExtractor"]

log = logging.getLogger(__name__)

#: Mention kind of entities returned by the NER step.
NAMED_KIND = "LLM"
#: Mention kind of triple arguments the NER step did not list (as spaCy's noun phrases).
PHRASE_KIND = "NP"

_EMPTY = Extraction(mentions=(), triples=())


@dataclass
class ExtractionReport:
    """What went wrong across every :meth:`LLMExtractor.extract_batch` call so far.

    ``passages`` counts passages seen; ``bad_replies`` replies with no usable JSON (NER or
    triple step); ``dropped_triples`` triples that were not three non-empty strings or had the
    same subject and object; ``dropped_entities`` NER entries that were not non-empty strings;
    ``truncated_replies`` replies cut at the token limit (or repaired) whose complete part was
    kept. ``problems`` lists ``(passage index, reason)`` for bad and truncated replies, where the
    index counts passages across all calls of this extractor from 0 (for a single call, the
    position in its input).
    """

    passages: int = 0
    bad_replies: int = 0
    dropped_triples: int = 0
    dropped_entities: int = 0
    truncated_replies: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts and problems as plain data (for JSON reports)."""
        return {
            "passages": self.passages,
            "bad_replies": self.bad_replies,
            "dropped_triples": self.dropped_triples,
            "dropped_entities": self.dropped_entities,
            "truncated_replies": self.truncated_replies,
            "problems": [list(p) for p in self.problems],
        }


class LLMExtractor:
    """:class:`~graphmem.extract.Extractor` backed by an :class:`LLMClient`.

    ``name`` is ``"llm:<model>:<prompt version>"``, e.g. ``"llm:gpt-4o-mini:ie-v1"``.
    ``max_tokens`` overrides the client's reply budget for both steps. Thread-safe: the report
    is updated under a lock. Implements :class:`~graphmem.extract.Cancellable`.
    """

    def __init__(self, client: LLMClient, *, max_tokens: int | None = None) -> None:
        self.client = client
        self.max_tokens = max_tokens
        self.name: str = f"llm:{client.config.model}:{IE_PROMPT_VERSION}"
        self.report = ExtractionReport()
        self._lock = threading.Lock()

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """One :class:`Extraction` per text, in input order (empty texts give empty ones, a
        text whose reply was unusable a failed one: see the module docstring).

        Raises:
            InputError: an item is not a string.
            LLMError: a request failed for good (server down, retries spent), or
                :meth:`cancel` was called.
        """
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(
                    f"expected str, got {type(text).__name__}", source=f"extract_batch() item {i}"
                )
        with self._lock:
            base = self.report.passages
            self.report.passages += len(texts)
        results = [_EMPTY] * len(texts)
        active = [i for i, text in enumerate(texts) if text.strip()]

        check_ner = functools.partial(self._problem, "NER", "entities")
        ner = self.client.complete_many(
            [
                ChatRequest(
                    ner_messages(texts[i]), NER_RESPONSE_FORMAT, self.max_tokens, check=check_ner
                )
                for i in active
            ]
        )
        named: dict[int, list[tuple[str, str]]] = {}
        for i, reply in zip(active, ner):
            values = self._read(reply, "entities", base + i, texts[i], "NER")
            if isinstance(values, str):
                results[i] = Extraction(mentions=(), triples=(), failure=values)
            else:
                named[i] = self._entities(values)

        order = list(named)
        check_triples = functools.partial(self._problem, "triple", "triples")
        requests = [
            ChatRequest(
                triple_messages(texts[i], [label for _, label in named[i]]),
                TRIPLE_RESPONSE_FORMAT,
                self.max_tokens,
                check=check_triples,
            )
            for i in order
        ]
        for i, reply in zip(order, self.client.complete_many(requests)):
            rows = self._read(reply, "triples", base + i, texts[i], "triple")
            if isinstance(rows, str):
                results[i] = dataclasses.replace(self._assemble(named[i], []), failure=rows)
            else:
                results[i] = self._assemble(named[i], rows)
        return results

    def cancel(self) -> None:
        """Make calls in flight fail at once (see :meth:`LLMClient.cancel`)."""
        self.client.cancel()

    # ---- reply handling -----------------------------------------------------------------------

    def _problem(self, step: str, key: str, text: str) -> str | None:
        """The request check: ``None`` for a usable reply, else why it is not, in one line
        naming the endpoint and model (this becomes the Extraction's ``failure``)."""
        read = _read_list(text, key)
        if not isinstance(read, str):
            return None
        shape = json.dumps({key: ["..."]}).replace('"..."', "...")  # {"entities": [...]}
        return (
            f"{step} reply from {self.client.endpoint} (model {self.client.config.model}) is not "
            f"the JSON object the extraction prompt asks for ({shape}): {read}"
        )

    def _read(
        self, reply: Completion, key: str, index: int, passage: str, step: str
    ) -> list[Any] | str:
        """The ``key`` list of a reply (or a bare list), or why it is unusable after recording
        a bad reply."""
        if reply.rejected is not None:
            self._bad(index, passage, reply.rejected)
            return reply.rejected
        read = _read_list(reply.text, key)
        if isinstance(read, str):  # only when the client ran no check (not expected)
            reason = self._problem(step, key, reply.text) or read
            self._bad(index, passage, reason)
            return reason
        value, repaired = read
        if reply.truncated or repaired:
            reason = f"{step} reply truncated; kept {len(value)} complete {key}"
            log.info("passage %d (%r): %s", index, preview(passage, 60), reason)
            with self._lock:
                self.report.truncated_replies += 1
                self.report.problems.append((index, reason))
        return value

    def _bad(self, index: int, passage: str, reason: str) -> None:
        log.warning("passage %d (%r): %s", index, preview(passage, 60), reason)
        with self._lock:
            self.report.bad_replies += 1
            self.report.problems.append((index, reason))

    def _entities(self, values: list[Any]) -> list[tuple[str, str]]:
        """Unique (normalised name, label) pairs of the NER list, in reply order."""
        out: dict[str, str] = {}
        dropped = 0
        for raw in values:
            name = normalize_name(raw) if isinstance(raw, str) else ""
            if not name:
                dropped += 1
                continue
            out.setdefault(name, _label(raw))
        if dropped:
            with self._lock:
                self.report.dropped_entities += dropped
        return list(out.items())

    def _assemble(self, named: list[tuple[str, str]], rows: list[Any]) -> Extraction:
        """Mentions (NER entities, then new triple arguments) and valid unique triples."""
        mentions = {name: Mention(name, label, NAMED_KIND) for name, label in named}
        triples: dict[Triple, None] = {}
        dropped = 0
        for row in rows:
            if not (
                isinstance(row, list)
                and len(row) == 3
                and all(isinstance(part, str) and part.strip() for part in row)
            ):
                dropped += 1
                continue
            subject, predicate, obj = (normalize_name(part) for part in row)
            if not (subject and predicate and obj) or subject == obj:
                dropped += 1
                continue
            for raw, name in ((row[0], subject), (row[2], obj)):
                if name not in mentions:
                    mentions[name] = Mention(name, _label(raw), PHRASE_KIND)
            triples.setdefault(Triple(subject, predicate, obj))
        if dropped:
            with self._lock:
                self.report.dropped_triples += dropped
        return Extraction(mentions=tuple(mentions.values()), triples=tuple(triples))

    def __repr__(self) -> str:
        return f"LLMExtractor(name={self.name!r})"


def _read_list(text: str, key: str) -> tuple[list[Any], bool] | str:
    """The ``key`` list of a reply (or a bare list) and whether it had to be repaired, or what
    is wrong with the reply. A repaired reply that kept no complete element is wrong: it was
    cut before its first one."""
    found = find_json(text)
    if found is None:
        return json_problem(text)
    value: Any = found.value
    if isinstance(value, dict):
        value = value.get(key)
    if not isinstance(value, list):
        return f"no {key!r} list in {preview(text.strip(), 80)!r}"
    if found.repaired and not value:
        return json_problem(text)
    return value, found.repaired


def _label(raw: str) -> str:
    """Surface form with whitespace collapsed and wrapping quotes removed, case kept."""
    return " ".join(raw.split()).strip("\"'`“”‘’«» ")
