"""Group commit for adds: add requests that queue up behind a running write are stored by the
next write as one ``Memory.add`` call.

Why: every commit bumps the store's generation, and the writer and each reader then refresh
their graph index whatever the write's size. On the 6,119-passage 2Wiki memory (cProfile, busy
2-core machine) a one-document add took 0.70 s, 0.49 s of it the writer's refresh, and a
reader's next retrieve 0.53 s instead of 0.03 s. One commit per queue of adds pays that once
per queue instead of once per add (``benchmarks/bench_server.py`` counts commits per run).

What a client sees does not change: its add answers after the commit that stored it, with its
own ids in its own order. A batch takes only adds that arrived with no other write between them
(arrival order is kept), whose document ids differ, up to ``MAX_REQUESTS`` requests and the
server's document limit. When the combined call fails, nothing of it was stored (one
transaction), and each request is run again alone, so each gets the answer it would have had
without batching."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from graphmem.ids import doc_id_for
from graphmem.memory import Memory
from graphmem.types import Document

log = logging.getLogger(__name__)

__all__ = ["MAX_REQUESTS", "AddBatch", "run_batch"]

MAX_REQUESTS = 64
"""Most add requests per commit: 16 clients at 5% adds queue a handful; the cap keeps one
commit (and the wait of the first request in it) bounded when many small adds arrive."""


@dataclass
class _Pending:
    docs: list[Document]
    source: str
    future: Future[list[str]] = field(default_factory=Future)


@dataclass
class AddBatch:
    """Adds waiting for the writer; open (taking more) until the writer starts it."""

    max_docs: int
    items: list[_Pending] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    n_docs: int = 0

    def accepts(self, ids: set[str], n_docs: int) -> bool:
        return (not self.items or (len(self.items) < MAX_REQUESTS
                                   and self.n_docs + n_docs <= self.max_docs
                                   and self.ids.isdisjoint(ids)))

    def append(self, docs: list[Document], source: str, ids: set[str]) -> Future[list[str]]:
        pending = _Pending(docs, source)
        self.items.append(pending)
        self.ids |= ids
        self.n_docs += len(docs)
        return pending.future


def document_ids(docs: Sequence[Document]) -> set[str]:
    """The ids the documents will be stored under (given, or the default from the text)."""
    return {d.id if d.id is not None else doc_id_for(d.text) for d in docs}


def _run_alone(writer: Memory, p: _Pending) -> None:
    try:
        p.future.set_result(writer.add(p.docs, source=p.source))
    except Exception as exc:  # noqa: BLE001 - any error is the request's answer, as from a pool
        p.future.set_exception(exc)


def run_batch(writer: Memory, batch: AddBatch) -> None:
    """Store ``batch`` on the writer thread and answer each request's future."""
    live = [p for p in batch.items if p.future.set_running_or_notify_cancel()]  # not abandoned
    if len(live) == 1:
        _run_alone(writer, live[0])
        return
    if not live:
        return
    docs = [d for p in live for d in p.docs]
    try:
        ids = writer.add(docs, source=f"{len(live)} batched add requests")
    except Exception as exc:  # noqa: BLE001 - retried one by one, each gets its own error
        log.info("batched add of %d requests failed (%s); running them one by one",
                 len(live), exc)
        for p in live:
            _run_alone(writer, p)
        return
    start = 0  # Memory.add returns one id per document, in input order
    for p in live:
        p.future.set_result(ids[start:start + len(p.docs)])
        start += len(p.docs)
    log.debug("one commit for %d add requests (%d documents)", len(live), len(docs))
