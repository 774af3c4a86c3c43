"""The contradiction judge at ingestion: with an LLM, which earlier facts a new passage replaces.

The offline rules (:mod:`graphmem.temporal`) relate facts through lists of predicates, so
"Marta Quill has an apartment in Berlin now" does not end "Marta Quill lives in Paris". With a
model configured (``MemoryConfig.llm``) and ``TemporalConfig.llm_judge`` on, every fact of each
passage being added is shown to the model with the earlier facts about its subject (those stored
in the namespace's index, the ``judge_candidates`` nearest the new fact by embedding cosine),
and the model names the ones the passage contradicts (:mod:`graphmem.llm.judge`). Each judged
pair (older fact, newer fact, passage) is written in the batch's transaction
(``fact_conflicts``) and joins the two facts into one competition group when the index is
built, so the later statement supersedes the earlier by time, exactly like facts of one
single-valued relation. A row lives as long as its passage and both facts: deleting the newer
document brings the older fact back as if it had never been added.

Not shown to the model, because the rules already decide them or nothing could compete: the
fact itself, earlier facts with the same object (both can hold), facts the rules already put in
the new fact's relation, and facts whose object is a date, time or number (see
:data:`graphmem.temporal.VALUELESS_KINDS`); for a replacement (upsert), facts that only the
replaced documents state. Facts of passages in the same call are not candidates for each other.

This runs with no lock held, between the model work of
:func:`graphmem.graph.builder.build_content` and the locked write. It never fails an add: a
reply that is not a usable judgement is no judgement for that fact (logged), a server that
stays down after the client's retries means no judgement for the call (logged), and the add
then stores exactly what an offline add would. At most ``TemporalConfig.max_judge_calls``
requests are made per call; replies are cached by the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graphmem.config import TemporalConfig
from graphmem.embed import Embedder
from graphmem.graph.builder import BatchContent, fact_text, passage_input
from graphmem.graph.index import GraphIndex
from graphmem.store.base import Store, Triple
from graphmem.temporal import VALUELESS_KINDS, normalize_predicate, relation_roles
from graphmem.types import Extraction

if TYPE_CHECKING:
    from graphmem.llm.client import LLMClient

__all__ = ["Conflict", "judge_conflicts"]

log = logging.getLogger(__name__)

#: (older fact, newer fact, chunk id of the passage stating the newer one), facts by name.
Conflict = tuple[Triple, Triple, str]


@dataclass(frozen=True)
class _Task:
    """One question for the model: does passage ``chunk_id`` (stating ``fact``, shown as
    ``shown``) contradict the index's facts at positions ``candidates`` (in the order shown)?"""

    chunk_id: str
    passage: str
    fact: Triple
    shown: Triple
    candidates: np.ndarray


def judge_conflicts(
    content: BatchContent,
    index: GraphIndex,
    store: Store,
    embedder: Embedder,
    client: Callable[[], LLMClient | None] | None,
    temporal: TemporalConfig,
    replaced: Sequence[str] = (),
) -> list[Conflict]:
    """The contradictions the model finds between the passages of ``content`` and the facts of
    ``index`` (see the module docstring); ``client`` gives the model client (called only when
    there is something to ask, so a client is only made when needed), ``replaced`` names the
    documents an upsert replaces. Returns [] with no client, with the judge off, or when
    nothing is worth asking."""
    off = not (temporal.enabled and temporal.llm_judge) or temporal.max_judge_calls == 0
    if client is None or off or index.n_facts == 0:
        return []
    tasks = _tasks(content, index, store, embedder, temporal, replaced)
    if len(tasks) > temporal.max_judge_calls:
        log.info(
            "contradiction judge: asking about %d of %d new facts "
            "(TemporalConfig.max_judge_calls=%d); the others follow the offline rules only",
            temporal.max_judge_calls, len(tasks), temporal.max_judge_calls,
        )
        tasks = tasks[: temporal.max_judge_calls]
    llm = client() if tasks else None
    if llm is None:
        return []
    from graphmem.llm.errors import LLMError
    from graphmem.llm.judge import judge_request, read_contradicted
    from graphmem.llm.prompts import JUDGE_PROMPT_VERSION

    requests = [
        judge_request(t.passage, t.shown, [index.fact_triple(int(c)) for c in t.candidates])
        for t in tasks
    ]
    try:
        replies = llm.complete_many(requests)
    except LLMError as exc:
        if llm.cancelled:
            raise
        log.warning(
            "contradiction judge (%s): %s; this call keeps to the offline rules",
            JUDGE_PROMPT_VERSION, exc,
        )
        return []
    out: list[Conflict] = []
    for task, reply in zip(tasks, replies):
        read = reply.rejected or read_contradicted(reply.text, len(task.candidates))
        if isinstance(read, str):
            log.warning(
                "contradiction judge (%s): no judgement for %s in passage %r: %s",
                JUDGE_PROMPT_VERSION, task.fact, task.chunk_id, read,
            )
            continue
        for i in read:
            c = int(task.candidates[i])
            older = (
                index.entity_names[index.fact_subject[c]],
                index.fact_predicates[c],
                index.entity_names[index.fact_object[c]],
            )
            out.append((older, task.fact, task.chunk_id))
    log.info("contradiction judge: %d requests, %d contradictions", len(tasks), len(out))
    return out


def _tasks(
    content: BatchContent,
    index: GraphIndex,
    store: Store,
    embedder: Embedder,
    temporal: TemporalConfig,
    replaced: Sequence[str],
) -> list[_Task]:
    """One task per distinct fact of each passage whose subject has candidates, in passage
    order."""
    position = {name: i for i, name in enumerate(index.entity_names)}
    by_subject = np.argsort(index.fact_subject, kind="stable")
    subjects = index.fact_subject[by_subject]
    live = _still_stated(index, store, replaced)
    roles = relation_roles(temporal.single_valued)
    titles = {d.doc_id: d.title for d in content.docs}
    asked: list[tuple[str, str, Triple, Triple, np.ndarray]] = []
    for chunk, ex in zip(content.chunks, content.extractions):
        kinds = {m.name: m.kind for m in ex.mentions}
        for fact in dict.fromkeys((t.subject, t.predicate, t.object) for t in ex.triples):
            subject = position.get(fact[0])
            if subject is None or kinds.get(fact[2]) in VALUELESS_KINDS:
                continue
            lo, hi = np.searchsorted(subjects, [subject, subject + 1])
            rows = by_subject[lo:hi]
            rows = rows[[live[c] and _comparable(index, int(c), fact, roles) for c in rows]]
            if len(rows):
                passage = passage_input(titles.get(chunk.doc_id), chunk.text)
                asked.append((chunk.chunk_id, passage, fact, _shown(fact, ex), rows))
    if not asked:
        return []
    vectors = _fact_vectors([a[2] for a in asked], content, embedder)
    tasks = []
    for (chunk_id, passage, fact, shown, rows), vector in zip(asked, vectors):
        scores = index.facts.vectors[rows] @ vector
        nearest = rows[np.argsort(-scores, kind="stable")[: temporal.judge_candidates]]
        tasks.append(_Task(chunk_id, passage, fact, shown, nearest))
    return tasks


def _still_stated(index: GraphIndex, store: Store, replaced: Sequence[str]) -> np.ndarray:
    """Per index fact: whether a passage outside the ``replaced`` documents states it."""
    if not replaced:
        return np.ones(index.n_facts, dtype=bool)
    gone = np.isin(index.chunks.ids, store.document_chunk_ids(replaced))
    return np.asarray(index.fact_chunks @ (~gone).astype(np.float32)).ravel() > 0


def _comparable(
    index: GraphIndex, c: int, fact: Triple, roles: dict[str, tuple[int, bool]]
) -> bool:
    """Whether index fact ``c`` (about ``fact``'s subject) is worth asking about."""
    obj = index.entity_names[index.fact_object[c]]
    if obj == fact[2] or index.entity_kinds[index.fact_object[c]] in VALUELESS_KINDS:
        return False
    mine = roles.get(normalize_predicate(fact[1]))
    theirs = roles.get(normalize_predicate(index.fact_predicates[c]))
    same_rule = mine is not None and mine[1] and theirs == mine and index.validity.group[c] >= 0
    return not same_rule


def _shown(fact: Triple, ex: Extraction) -> Triple:
    """``fact`` as the model reads it: entity labels as written, where the passage has them."""
    labels = {m.name: m.label for m in ex.mentions}
    return (labels.get(fact[0], fact[0]), fact[1], labels.get(fact[2], fact[2]))


def _fact_vectors(
    facts: Sequence[Triple], content: BatchContent, embedder: Embedder
) -> list[np.ndarray]:
    """The embedding of each fact's text: from the batch's vectors when it has them, else
    embedded here (and kept out of the batch, whose vectors must stay those a write embeds)."""
    texts = [fact_text(*f) for f in facts]
    missing = list(dict.fromkeys(t for t in texts if t not in content.vectors))
    extra = dict(zip(missing, embedder.encode(missing))) if missing else {}
    return [content.vectors[t] if t in content.vectors else extra[t] for t in texts]
