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

Bad replies never abort a batch: a NER reply with no usable JSON gives an empty Extraction for
that passage (the triple call is skipped); a triple reply with no usable JSON keeps the NER
mentions and no triples. Both are counted in :attr:`LLMExtractor.report` with the passage's
index and logged with a preview of the passage. Transport failures (server down, retries spent)
are not bad replies: :class:`~graphmem.llm.errors.LLMError` propagates, so a memory build fails
as a whole instead of storing a silently empty graph.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphmem.errors import InputError
from graphmem.llm.client import ChatRequest, Completion, LLMClient
from graphmem.llm.errors import preview
from graphmem.llm.parse import find_json
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
    is updated under a lock.
    """

    def __init__(self, client: LLMClient, *, max_tokens: int | None = None) -> None:
        self.client = client
        self.max_tokens = max_tokens
        self.name: str = f"llm:{client.config.model}:{IE_PROMPT_VERSION}"
        self.report = ExtractionReport()
        self._lock = threading.Lock()

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """One :class:`Extraction` per text, in input order (empty texts give empty ones).

        Raises:
            InputError: an item is not a string.
            LLMError: a request failed for good (server down, retries spent).
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

        ner = self.client.complete_many(
            [
                ChatRequest(ner_messages(texts[i]), NER_RESPONSE_FORMAT, self.max_tokens)
                for i in active
            ]
        )
        named: dict[int, list[tuple[str, str]]] = {}
        for i, reply in zip(active, ner):
            values = self._read(reply, "entities", base + i, texts[i], "NER")
            if values is not None:
                named[i] = self._entities(values)

        order = list(named)
        requests = [
            ChatRequest(
                triple_messages(texts[i], [label for _, label in named[i]]),
                TRIPLE_RESPONSE_FORMAT,
                self.max_tokens,
            )
            for i in order
        ]
        for i, reply in zip(order, self.client.complete_many(requests)):
            rows = self._read(reply, "triples", base + i, texts[i], "triple")
            results[i] = self._assemble(named[i], rows or [])
        return results

    # ---- reply handling -----------------------------------------------------------------------

    def _read(
        self, reply: Completion, key: str, index: int, passage: str, step: str
    ) -> list[Any] | None:
        """The ``key`` list of a reply (or a bare list), or None after recording a bad reply."""
        found = find_json(reply.text)
        if found is None:
            self._bad(index, passage, f"{step} reply has no JSON: {preview(reply.text, 80)!r}")
            return None
        value: Any = found.value
        if isinstance(value, dict):
            value = value.get(key)
        if not isinstance(value, list):
            self._bad(
                index, passage, f"{step} reply has no {key!r} list: {preview(reply.text, 80)!r}"
            )
            return None
        if reply.truncated or found.repaired:
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


def _label(raw: str) -> str:
    """Surface form with whitespace collapsed and wrapping quotes removed, case kept."""
    return " ".join(raw.split()).strip("\"'`“”‘’«» ")
