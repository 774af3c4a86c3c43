"""Connecting to an SQLite file and running a transaction in it: the one way the store
(:mod:`graphmem.store.sqlite_file`, :class:`graphmem.store.sqlite.SQLiteStore`), the extraction
and embedding cache (:class:`graphmem.cache.DiskCache`) and the LLM response cache
(:class:`graphmem.llm.cache.ResponseCache`) do it.

What differs between them is each one's choice and is passed in, never defaulted here: the busy
timeout (how long a statement waits for another connection's lock before failing ``database is
locked``), the isolation level (``None``: no implicit transactions, every one is explicit;
``""``: Python's implicit deferred ``BEGIN`` before an INSERT, UPDATE or DELETE), the pragmas,
and whether a transaction takes the write lock at its ``BEGIN`` (``immediate``). Every
connection may be used from any thread (``check_same_thread=False``): each owner serialises its
use behind a lock of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["connect", "run_script", "transaction"]


def connect(
    target: str | Path,
    *,
    timeout: float,
    isolation_level: str | None,
    uri: bool = False,
    pragmas: Sequence[str] = (),
) -> sqlite3.Connection:
    """A connection to ``target`` (a path, ``":memory:"``, or with ``uri`` a ``file:`` URI)
    waiting up to ``timeout`` seconds for a lock, with each of ``pragmas`` (``"name=value"``)
    run in order. Raises ``sqlite3.Error`` (the connection closed) for the caller to word."""
    conn = sqlite3.connect(
        target, timeout=timeout, isolation_level=isolation_level, uri=uri, check_same_thread=False
    )
    try:
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool) -> Iterator[sqlite3.Connection]:
    """``BEGIN`` ... ``COMMIT``, rolled back when anything raises, ``COMMIT`` included.

    ``immediate`` (``BEGIN IMMEDIATE``) takes the write lock at once, waiting for it up to the
    busy timeout: right for a transaction that writes, which then cannot fail half-way, after
    its reads, because another connection wrote first (in WAL mode a deferred transaction that
    read and then writes gets ``SQLITE_BUSY`` at once in that case, without waiting). A deferred
    ``BEGIN`` takes a read snapshot, and the write lock only at its first write. The connection
    must be outside a transaction."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the transaction is already gone (e.g. a failed COMMIT rolled it back)
        raise


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Each ``;``-separated statement of ``script`` (DDL without ``;`` inside a statement), in
    the transaction open on ``conn``: unlike ``executescript``, which commits one first."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)
