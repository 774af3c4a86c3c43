"""Deterministic race injection for the store tests.

Two ways to make another writer commit at an exact moment, both at edges graphmem does not own:
an :class:`Embedder` that runs an action before its n-th call (a user-supplied embedder is part
of the public API), and SQLite's statement trace callback, which runs before a given statement
of a connection executes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import numpy as np

from graphmem import Document, Memory
from graphmem.embed import Embedder


class RacingEmbedder:
    """The real embedder, running ``action`` once just before its ``before_call``-th encode.

    ``Memory.add`` embeds passages first (call 1), then the entity names and fact strings that
    looked new (call 2): an action before call 2 lands after the add's optimistic existence
    checks and before its write, the window of a lost-update race."""

    def __init__(self, inner: Embedder, action: Callable[[], object], before_call: int = 2):
        self.inner = inner
        self.name = inner.name
        self.action = action
        self.before_call = before_call
        self.calls = 0
        self.fired = False

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.before_call and not self.fired:
            self.fired = True
            self.action()
        return self.inner.encode(texts)


def before_statement(
    conn: sqlite3.Connection, prefix: str, action: Callable[[], object]
) -> list[str]:
    """Run ``action`` once, just before ``conn`` executes a statement starting with ``prefix``.
    Returns a list that holds the statement once it fired."""
    fired: list[str] = []

    def trace(statement: str) -> None:
        if not fired and statement.lstrip().startswith(prefix):
            fired.append(statement)
            action()

    conn.set_trace_callback(trace)
    return fired


def add_docs(mem: Memory, docs: Sequence[Document]) -> Callable[[], object]:
    return lambda: mem.add(list(docs))


# ---- processes for the multi-process tests (module level, so ``spawn`` can import them) ------

PEOPLE = ("Odile Marchetti", "Tomas Brenner", "Ilse Varga", "Kofi Mensah", "Ana Ruiz")
TOWNS = ("Pellavon", "Askel", "Brannock", "Ferrow", "Lowmoor", "Quenby", "Tarrow")


def text_for(doc_id: str) -> str:
    """The one text document ``doc_id`` ("d<n>") ever has: readers check hits against it."""
    n = int(doc_id[1:])
    person, town, other = PEOPLE[n % 5], TOWNS[n % 7], TOWNS[(n * 3 + 1) % 7]
    return f"Record {n}: {person} was born in {town}. {person} later worked in {other}."


def writer_loop(store: str, rounds: int, start, out) -> None:  # pragma: no cover - child process
    """After ``start``: ``rounds`` times, add four documents and delete the two oldest."""
    mem = Memory(store)
    alive: list[str] = []
    ops = 0
    try:
        mem.add([Document(id="d0", text=text_for("d0"))])  # loads both models before the start
        mem.delete("d0")
        start.wait()
        for r in range(rounds):
            ids = [f"d{1 + 4 * r + i}" for i in range(4)]
            mem.add([Document(id=i, text=text_for(i)) for i in ids])
            alive += ids
            for gone in alive[:2]:
                mem.delete(gone)
            alive = alive[2:]
            ops += 1
        out.put(("writer", ops, sorted(alive), None))
    except Exception as exc:  # noqa: BLE001 - any error is reported to the test process
        out.put(("writer", ops, [], f"{type(exc).__name__}: {exc}"))
    finally:
        mem.close()


def reader_loop(store: str, start, stop, out) -> None:  # pragma: no cover - child process
    """After ``start``, query until told to stop; every hit's text must be its document's."""
    mem = Memory(store)
    mem.retrieve("warm up the model")
    start.wait()
    queries = [f"Where was {p} born?" for p in PEOPLE] + [f"Who worked in {t}?" for t in TOWNS]
    hits = mismatches = 0
    error = None
    try:
        i = 0
        while not stop.is_set():
            for h in mem.retrieve(queries[i % len(queries)], top_k=5):
                hits += 1
                if h.text != text_for(h.doc_id) or not h.chunk_id.startswith(h.doc_id + "#"):
                    mismatches += 1
            i += 1
    except Exception as exc:  # noqa: BLE001 - any error is reported to the test process
        error = f"{type(exc).__name__}: {exc}"
    finally:
        mem.close()
    out.put(("reader", hits, mismatches, error))


def add_in_batches(store: str, docs: Sequence[Document], start, out) -> None:  # pragma: no cover
    """Wait for ``start``, then add ``docs`` one at a time (many small write transactions)."""
    mem = Memory(store)
    try:
        mem.retrieve("warm up the model")
        start.wait()
        for d in docs:
            mem.add([d])
        out.put(None)
    except Exception as exc:  # noqa: BLE001 - any error is reported to the test process
        out.put(f"{type(exc).__name__}: {exc}")
    finally:
        mem.close()


def _titled(prefix: str, titles: Sequence[str]) -> tuple[Document, ...]:
    return tuple(
        Document(
            id=f"{prefix}{i}", title=t, text=f"Entry {prefix}{i} was catalogued in {1900 + i}."
        )
        for i, t in enumerate(titles)
    )


# Two sets of documents whose title entities are near-synonyms across the sets (MiniLM cosine
# 0.93-0.99), and not within a set.
NOVEL_SET = _titled(
    "a",
    [
        "Salt Lantern (novel)",
        "Askel Valley Railway",
        "Lowmoor Signal (band)",
        "Odile Marchetti (singer)",
    ],
)
ROAD_SET = _titled(
    "b",
    [
        "Salt Lantern novel",
        "Askel Valley Railroad",
        "Lowmoor Signal band",
        "Odile Marchetti singer",
    ],
)


def add_after_barrier(location: str, docs: Sequence[Document], barrier, out) -> None:  # pragma: no cover
    """Add ``docs`` in one call whose model work waits for the other writer's at ``barrier``.

    The barrier sits before the add's second encode (the entity names that looked new): by
    then each writer has taken its index and made its existence checks, and neither has
    committed, so the second to take the write lock must link synonyms to the first's
    entities from inside its transaction. Reports None, or the error."""
    from graphmem.embed import make_embedder

    embedder = RacingEmbedder(make_embedder(), lambda: barrier.wait(timeout=120))
    mem = Memory(location, embedder=embedder)
    try:
        mem.retrieve("warm up the model")  # loads the models; counts as no add call
        embedder.calls = 0
        mem.add(list(docs))
        out.put(None if embedder.fired else "the barrier was never reached")
    except Exception as exc:  # noqa: BLE001 - any error is reported to the test process
        out.put(f"{type(exc).__name__}: {exc}")
    finally:
        mem.close()
