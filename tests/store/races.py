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


def before_statement(conn: sqlite3.Connection, prefix: str, action: Callable[[], object]) -> list[str]:
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
